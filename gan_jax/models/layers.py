"""Small pieces shared by the model files."""

import flax.linen as nn


def normal_init(std: float):
  """N(0, std) kernel init as in DCGAN; std 0 keeps Flax's default (LeCun normal)."""
  return nn.initializers.normal(std) if std > 0 else nn.initializers.lecun_normal()
