"""SNGAN's ResNet generator and discriminator for 32x32 images (Miyato et al.
2018, appendix B.4, table 4; the layout of Mimicry's SNGAN-32), and their
class-conditional forms for cGAN-PD (Miyato & Koyama 2018): conditional
BatchNorm in G, a projection discriminator.

G: z -> dense 4x4xW -> k x [BN, ReLU, up 2x, conv3x3, BN, ReLU, conv3x3 (+ up,
conv1x1 shortcut)] -> BN, ReLU, conv3x3, tanh; k = log2(size / 4).
D (every layer spectrally normalised): optimized block [conv3x3, ReLU, conv3x3,
avgpool (+ avgpool, conv1x1)] -> block with downsampling -> blocks without ->
ReLU, global sum pool -> dense 1 (+ <embed(y), h> with a projection).
At 32x32 RGB, W = 256 (G) and 128 (D): G 4,276,739 and D 1,053,825 parameters.
"""

from typing import Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.models.dcgan import num_doublings
from gan_jax.models.layers import batch_norm, conditional_classes, sn

_INIT = nn.initializers.xavier_uniform()


class CondBatchNorm(nn.Module):
  """BatchNorm whose scale and offset are looked up per class (de Vries et al. 2017)."""
  num_classes: int

  @nn.compact
  def __call__(self, x, labels, train):
    x = batch_norm(train, use_scale=self.num_classes == 0, use_bias=self.num_classes == 0)(x)
    if self.num_classes == 0:
      return x
    c = x.shape[-1]
    gamma = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.ones, name='gamma')(labels)
    beta = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros, name='beta')(labels)
    return x * gamma[:, None, None, :] + beta[:, None, None, :]


def _up(x):
  b, h, w, c = x.shape
  return jax.image.resize(x, (b, 2 * h, 2 * w, c), 'nearest')


def _down(x):
  return nn.avg_pool(x, (2, 2), (2, 2))


class GBlock(nn.Module):
  features: int
  num_classes: int = 0

  @nn.compact
  def __call__(self, x, labels, train):
    h = nn.relu(CondBatchNorm(self.num_classes)(x, labels, train))
    h = nn.Conv(self.features, (3, 3), padding=1, kernel_init=_INIT)(_up(h))
    h = nn.relu(CondBatchNorm(self.num_classes)(h, labels, train))
    h = nn.Conv(self.features, (3, 3), padding=1, kernel_init=_INIT)(h)
    return h + nn.Conv(self.features, (1, 1), padding=0, kernel_init=_INIT)(_up(x))


class SNGANGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  width: int = 256
  num_classes: int = 0

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    size, _, channels = self.image_shape
    x = nn.Dense(4 * 4 * self.width, kernel_init=_INIT)(z).reshape((-1, 4, 4, self.width))
    for _ in range(num_doublings(size)):
      x = GBlock(self.width, self.num_classes)(x, labels, train)
    x = nn.relu(batch_norm(train)(x))
    return jnp.tanh(nn.Conv(channels, (3, 3), padding=1, kernel_init=_INIT)(x))


class DBlock(nn.Module):
  features: int
  downsample: bool
  optimized: bool = False  # the first block: no pre-activation, shortcut pools first

  @nn.compact
  def __call__(self, x, train):
    conv = lambda k: nn.Conv(self.features, (k, k), padding=k // 2, kernel_init=_INIT)
    h = x if self.optimized else nn.relu(x)
    h = sn(conv(3), h, True, train)
    h = sn(conv(3), nn.relu(h), True, train)
    if self.downsample:
      h = _down(h)
    sc = x
    if self.optimized:
      sc = sn(conv(1), _down(x), True, train)
    elif self.downsample or x.shape[-1] != self.features:
      sc = sn(conv(1), x, True, train)
      sc = _down(sc) if self.downsample else sc
    return h + sc


class SNGANDiscriminator(nn.Module):
  image_size: int
  width: int = 128
  num_classes: int = 0

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    k = num_doublings(self.image_size)  # 32 -> 3: two downsampling blocks, then two plain
    h = DBlock(self.width, True, optimized=True)(x, train)
    for i in range(k):
      h = DBlock(self.width, downsample=i < k - 2)(h, train)
    h = jnp.sum(nn.relu(h), axis=(1, 2))
    out = sn(nn.Dense(1, kernel_init=_INIT), h, True, train)[:, 0]
    if self.num_classes:
      embed = nn.Embed(self.num_classes, self.width, embedding_init=_INIT)
      out = out + jnp.sum(sn(embed, labels, True, train) * h, axis=-1)
    return out


def sngan_generator(cfg, info):
  num_doublings(info.image_shape[0])
  return SNGANGenerator(image_shape=tuple(info.image_shape), width=cfg.g_width,
                        num_classes=conditional_classes(cfg, info))


def sngan_discriminator(cfg, info):
  num_doublings(info.image_shape[0])
  return SNGANDiscriminator(image_size=info.image_shape[0], width=cfg.d_width,
                            num_classes=conditional_classes(cfg, info))
