"""Multilayer perceptrons: the original GAN's (Goodfellow et al. 2014) and the
conditional GAN's (Mirza & Osindero 2014), which concatenates a one-hot label
to G's noise and to D's input.

`depth` hidden layers of `width` units with LeakyReLU; G ends in tanh (images)
or is linear (2-D point data, `model.tanh_output=False`). `model.mlp_batchnorm`
adds DCGAN's BatchNorm (every hidden layer of G, D's hidden layers but the
first), for the DCGAN recipe on 2-D data.
"""

from typing import Tuple

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.errors import UserError
from gan_jax.models.layers import batch_norm, conditional_classes, normal_init, one_hot, sn


class MLPGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  hidden: int = 128
  depth: int = 1
  leaky_slope: float = 0.01
  init_std: float = 0.0
  num_classes: int = 0      # > 0: class-conditional
  tanh_output: bool = True
  batchnorm: bool = False

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    init = normal_init(self.init_std)
    h = z
    if self.num_classes:
      h = jnp.concatenate([h, one_hot(labels, self.num_classes)], axis=-1)
    for _ in range(self.depth):
      h = nn.Dense(self.hidden, kernel_init=init)(h)
      if self.batchnorm:
        h = batch_norm(train)(h)
      h = nn.leaky_relu(h, self.leaky_slope)
    size = self.image_shape[0] * self.image_shape[1] * self.image_shape[2]
    x = nn.Dense(size, kernel_init=init)(h)
    if self.tanh_output:
      x = jnp.tanh(x)
    return x.reshape((z.shape[0],) + tuple(self.image_shape))


class MLPDiscriminator(nn.Module):
  hidden: int = 128
  depth: int = 1
  leaky_slope: float = 0.01
  init_std: float = 0.0
  num_classes: int = 0
  spectral_norm: bool = False
  batchnorm: bool = False

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    init = normal_init(self.init_std)
    h = x.reshape((x.shape[0], -1))
    if self.num_classes:
      h = jnp.concatenate([h, one_hot(labels, self.num_classes)], axis=-1)
    for i in range(self.depth):
      h = sn(nn.Dense(self.hidden, kernel_init=init), h, self.spectral_norm, train)
      if self.batchnorm and i > 0:
        h = batch_norm(train)(h)
      h = nn.leaky_relu(h, self.leaky_slope)
    return sn(nn.Dense(1, kernel_init=init), h, self.spectral_norm, train)[:, 0]


class MaxoutDiscriminator(nn.Module):
  """Maxout MLP (Goodfellow et al. 2013): each hidden unit is the max of `pieces`
  linear pieces; PacGAN's and VEEGAN's toy D (3 layers of 200 units, 5 pieces)."""
  hidden: int = 200
  depth: int = 3
  pieces: int = 5
  init_std: float = 0.0
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    del labels
    init = normal_init(self.init_std)
    h = x.reshape((x.shape[0], -1))
    for _ in range(self.depth):
      h = sn(nn.Dense(self.hidden * self.pieces, kernel_init=init), h, self.spectral_norm, train)
      h = h.reshape(h.shape[0], self.hidden, self.pieces).max(axis=-1)
    return sn(nn.Dense(1, kernel_init=init), h, self.spectral_norm, train)[:, 0]


def mlp_generator(cfg, info):
  return MLPGenerator(image_shape=tuple(info.image_shape), hidden=cfg.g_width, depth=cfg.depth,
                      leaky_slope=cfg.leaky_slope, init_std=cfg.init_std,
                      num_classes=conditional_classes(cfg, info), tanh_output=cfg.tanh_output,
                      batchnorm=cfg.mlp_batchnorm)


def mlp_discriminator(cfg, info):
  return MLPDiscriminator(hidden=cfg.d_width, depth=cfg.d_depth or cfg.depth,
                          leaky_slope=cfg.leaky_slope, init_std=cfg.init_std,
                          num_classes=conditional_classes(cfg, info),
                          spectral_norm=cfg.spectral_norm, batchnorm=cfg.mlp_batchnorm)


def maxout_discriminator(cfg, info):
  if cfg.conditional:
    raise UserError("discriminator 'maxout' is unconditional; use 'mlp' for model.conditional")
  return MaxoutDiscriminator(hidden=cfg.d_width, depth=cfg.d_depth or cfg.depth,
                             pieces=cfg.maxout_pieces, init_std=cfg.init_std,
                             spectral_norm=cfg.spectral_norm)
