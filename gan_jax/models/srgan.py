"""SRGAN's networks (Ledig et al. 2017, fig. 4): the SRResNet generator and the
discriminator, layer for layer as the paper draws them.

G (k = kernel, n = channels, s = stride): conv k9n64s1 + PReLU; 16 residual
blocks (conv k3n64s1, BN, PReLU, conv k3n64s1, BN, elementwise sum); conv
k3n64s1 + BN and the long skip from before the blocks; per factor of 2 a conv
k3n256s1, pixel shuffle x2 and PReLU; conv k9n3s1. PReLU has one slope per
layer (PyTorch's default nn.PReLU(), init 0.25); convolutions have biases; BN
is affine with PyTorch's defaults. x4: 1,549,462 parameters.

D: conv k3n64s1 + LeakyReLU 0.2; seven convs (k3n64s2, k3n128s1, k3n128s2,
k3n256s1, k3n256s2, k3n512s1, k3n512s2), each + BN + LeakyReLU; dense 1024 +
LeakyReLU; dense 1 (the logit; the paper's sigmoid is in the loss). At 96 px:
23,565,505 parameters.

Corrector (old-photo restoration's model.prefill): an SRResNet at scale 1 that
reads the image and a classical restoration of it (`prefill`, a fixed function
of the image) and returns prefill + its output, its last convolution starting
at zero, so that training starts from the classical result.
"""

import math
from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen.linear import default_kernel_init

from gan_jax.errors import UserError
from gan_jax.models.layers import batch_norm


def pixel_shuffle(x, r: int):
  """Depth to space as torch.nn.PixelShuffle(r), in NHWC: output pixel (h r + i,
  w r + j) of channel c is input channel c r^2 + i r + j at (h, w)."""
  n, h, w, crr = x.shape
  c = crr // (r * r)
  x = x.reshape(n, h, w, c, r, r).transpose(0, 1, 4, 2, 5, 3)
  return x.reshape(n, h * r, w * r, c)


class PReLU(nn.Module):
  """nn.PReLU(): one learned negative slope for the layer, 0.25 at init."""

  @nn.compact
  def __call__(self, x):
    a = self.param('slope', nn.initializers.constant(0.25), ())
    return jnp.where(x >= 0, x, a * x)


class ResidualBlock(nn.Module):
  features: int = 64

  @nn.compact
  def __call__(self, x, train: bool):
    h = nn.Conv(self.features, (3, 3), padding=1)(x)
    h = PReLU()(batch_norm(train)(h))
    h = batch_norm(train)(nn.Conv(self.features, (3, 3), padding=1)(h))
    return x + h


class SRResNet(nn.Module):
  """Low-resolution images in [-1, 1] -> images `scale` times larger (linear output)."""
  scale: int = 4
  channels: int = 3
  features: int = 64
  blocks: int = 16
  zero_output: bool = False      # the last convolution starts at 0 (Corrector)

  @nn.compact
  def __call__(self, x, train: bool = True):
    x = PReLU()(nn.Conv(self.features, (9, 9), padding=4)(x))
    skip = x
    for _ in range(self.blocks):
      x = ResidualBlock(self.features)(x, train)
    x = batch_norm(train)(nn.Conv(self.features, (3, 3), padding=1)(x)) + skip
    for _ in range(int(math.log2(self.scale))):
      x = PReLU()(pixel_shuffle(nn.Conv(self.features * 4, (3, 3), padding=1)(x), 2))
    init = nn.initializers.zeros if self.zero_output else default_kernel_init
    return nn.Conv(self.channels, (9, 9), padding=4, kernel_init=init)(x)


class Corrector(nn.Module):
  """Images in [-1, 1] -> prefill(images) + an SRResNet's (scale 1) correction of it."""
  prefill: Callable
  channels: int = 3
  features: int = 64
  blocks: int = 16

  @nn.compact
  def __call__(self, x, train: bool = True):
    guide = jax.lax.stop_gradient(self.prefill(x))
    net = SRResNet(1, self.channels, self.features, self.blocks, zero_output=True, name='net')
    return guide + net(jnp.concatenate([x, guide], axis=-1), train)


class SRDiscriminator(nn.Module):
  """HR images -> one logit each."""
  features: int = 64

  @nn.compact
  def __call__(self, x, train: bool = True):
    x = nn.leaky_relu(nn.Conv(self.features, (3, 3), padding=1)(x), 0.2)
    f = self.features
    for mult, stride in [(1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)]:
      x = nn.Conv(f * mult, (3, 3), strides=(stride, stride), padding=1)(x)
      x = nn.leaky_relu(batch_norm(train)(x), 0.2)
    x = nn.leaky_relu(nn.Dense(1024)(x.reshape(x.shape[0], -1)), 0.2)
    return nn.Dense(1)(x)[:, 0]


def check_scale(scale: int) -> None:
  if scale < 2 or scale & (scale - 1):
    raise UserError(f'config.data.sr_scale={scale}: SRResNet upsamples by powers of two '
                    '(2, 4, 8)')
