"""DCGAN generator and discriminator (Radford et al. 2015, sec. 3 and fig. 1).

Fully convolutional: 4x4 kernels with stride 2, BatchNorm in every layer but
G's output and D's input, ReLU in G, LeakyReLU(0.2) in D, tanh output,
N(0, 0.02) weights and N(1, 0.02) BatchNorm scales (pytorch/examples'
weights_init; the std is model.init_std). Any square resolution 4 * 2^k
(k >= 1) works: G projects z to 4x4 and doubles k times; D halves down to
4x4 and ends in a 4x4 valid conv. With BatchNorm no layer carries a bias, as
in the reference PyTorch code (64x64 RGB: G 3,576,704 and D 2,765,568
parameters). G's 4x4 stride-2 transposed convs run in their exact four-phase
form (models/layers.py).

Class-conditional (model.conditional): a one-hot label is concatenated to z,
and to D's input as constant channels.
"""

import math
from typing import Tuple

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.errors import UserError
from gan_jax.models.layers import (ConvTranspose4x4s2, batch_norm, conditional_classes,
                                   normal_init, one_hot, sn)


def num_doublings(size: int) -> int:
  k = int(round(math.log2(size / 4))) if size >= 8 else 0
  if size < 8 or 4 * 2 ** k != size:
    raise UserError(f'DCGAN needs image_size = 4 * 2^k with k >= 1 (8, 16, 32, 64, ...); '
                    f'got data.image_size={size}')
  return k


class DCGANGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  width: int = 64
  batchnorm: bool = True
  init_std: float = 0.02
  num_classes: int = 0

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    size, _, channels = self.image_shape
    k = num_doublings(size)
    init = normal_init(self.init_std)
    if self.num_classes:
      z = jnp.concatenate([z, one_hot(labels, self.num_classes)], axis=-1)
    feats = self.width * 2 ** (k - 1)
    x = nn.Dense(4 * 4 * feats, use_bias=not self.batchnorm, kernel_init=init)(z)
    x = x.reshape((z.shape[0], 4, 4, feats))
    for i in range(k):
      if self.batchnorm:
        x = batch_norm(train, scale_std=self.init_std)(x)
      x = nn.relu(x)
      feats = channels if i == k - 1 else feats // 2
      x = ConvTranspose4x4s2(feats, use_bias=not self.batchnorm, kernel_init=init,
                             name=f'ConvTranspose_{i}')(x)  # nn.ConvTranspose's names
    return jnp.tanh(x)


class DCGANDiscriminator(nn.Module):
  image_size: int
  width: int = 64
  batchnorm: bool = True
  leaky_slope: float = 0.2
  init_std: float = 0.02
  num_classes: int = 0
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    k = num_doublings(self.image_size)
    init = normal_init(self.init_std)
    if self.num_classes:
      y = one_hot(labels, self.num_classes)[:, None, None, :]
      x = jnp.concatenate([x, jnp.broadcast_to(y, x.shape[:3] + y.shape[-1:])], axis=-1)
    for i in range(k):
      conv = nn.Conv(self.width * 2 ** i, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)),
                     use_bias=not self.batchnorm, kernel_init=init)
      x = sn(conv, x, self.spectral_norm, train)
      if self.batchnorm and i > 0:
        x = batch_norm(train, scale_std=self.init_std)(x)
      x = nn.leaky_relu(x, self.leaky_slope)
    head = nn.Conv(1, (4, 4), padding='VALID', use_bias=not self.batchnorm, kernel_init=init)
    x = sn(head, x, self.spectral_norm, train)
    return x.reshape((x.shape[0],))


def dcgan_generator(cfg, info):
  num_doublings(info.image_shape[0])
  return DCGANGenerator(image_shape=tuple(info.image_shape), width=cfg.g_width,
                        batchnorm=cfg.g_batchnorm, init_std=cfg.init_std,
                        num_classes=conditional_classes(cfg, info))


def dcgan_discriminator(cfg, info):
  num_doublings(info.image_shape[0])
  return DCGANDiscriminator(image_size=info.image_shape[0], width=cfg.d_width,
                            batchnorm=cfg.d_batchnorm, leaky_slope=cfg.leaky_slope,
                            init_std=cfg.init_std, num_classes=conditional_classes(cfg, info),
                            spectral_norm=cfg.spectral_norm)
