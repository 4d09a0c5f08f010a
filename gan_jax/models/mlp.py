"""The original GAN's multilayer perceptrons (Goodfellow et al. 2014).

One hidden layer each, LeakyReLU, tanh image output; the hidden width and the
slope come from the config (the seed chapter uses 128 units and slope 0.01).
"""

from typing import Tuple

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.models import DISCRIMINATORS, GENERATORS
from gan_jax.models.layers import normal_init


class MLPGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  hidden: int = 128
  leaky_slope: float = 0.01
  init_std: float = 0.0

  @nn.compact
  def __call__(self, z, train: bool = True):
    del train  # no batch norm or dropout
    init = normal_init(self.init_std)
    h = nn.leaky_relu(nn.Dense(self.hidden, kernel_init=init)(z), self.leaky_slope)
    size = self.image_shape[0] * self.image_shape[1] * self.image_shape[2]
    x = jnp.tanh(nn.Dense(size, kernel_init=init)(h))
    return x.reshape((z.shape[0],) + tuple(self.image_shape))


class MLPDiscriminator(nn.Module):
  hidden: int = 128
  leaky_slope: float = 0.01
  init_std: float = 0.0

  @nn.compact
  def __call__(self, x, train: bool = True):
    del train
    init = normal_init(self.init_std)
    h = x.reshape((x.shape[0], -1))
    h = nn.leaky_relu(nn.Dense(self.hidden, kernel_init=init)(h), self.leaky_slope)
    return nn.Dense(1, kernel_init=init)(h)[:, 0]


@GENERATORS.register('mlp')
def mlp_generator(cfg, image_shape):
  return MLPGenerator(image_shape=tuple(image_shape), hidden=cfg.g_width,
                      leaky_slope=cfg.leaky_slope, init_std=cfg.init_std)


@DISCRIMINATORS.register('mlp')
def mlp_discriminator(cfg, image_shape):
  del image_shape
  return MLPDiscriminator(hidden=cfg.d_width, leaky_slope=cfg.leaky_slope,
                          init_std=cfg.init_std)
