"""SNGAN's ResNet generator and discriminator for 32x32 images (Miyato et al.
2018, appendix B.4, table 4), and their class-conditional forms for cGAN-PD
(Miyato & Koyama 2018): conditional BatchNorm in G, a projection discriminator.
The same networks without spectral norm are the ResNet WGAN-GP (Gulrajani et
al. 2017, gan_cifar_resnet.py) as Mimicry builds it.

Follows Mimicry (torch_mimicry sngan_32.py, resblocks.py), which REPRODUCING.md
compares with; pfnet-research/sngan_projection agrees on the initialisation:
- init: xavier-uniform, gain sqrt(2) for the residual 3x3 convs c1, c2 of every
  G and D block, gain 1 for shortcuts, G's first dense and last conv, D's
  dense and class embedding; biases 0 (Mimicry leaves PyTorch's default
  uniform(+-1/sqrt(fan_in)) there). Conditional BN: scale N(1, 0.02), offset 0.
- G's upsampling (model.upsample): 'bilinear' (Mimicry's F.interpolate,
  align_corners=False) or 'nearest' (the Chainer code's unpooling).

G: z -> dense 4x4xW -> k x [BN, ReLU, up 2x, conv3x3, BN, ReLU, conv3x3 (+ up,
conv1x1 shortcut)] -> BN, ReLU, conv3x3, tanh; k = log2(size / 4).
D (every layer spectrally normalised): optimized block [conv3x3, ReLU, conv3x3,
avgpool (+ avgpool, conv1x1)] -> block with downsampling -> blocks without ->
ReLU, global sum pool (WGAN-GP: mean) -> dense 1 (+ <embed(y), h> with a
projection). At 32x32 RGB, W = 256 (G) and 128 (D): G 4,276,739 and D
1,053,825 parameters.
"""

import functools
import math
from typing import Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.errors import UserError
from gan_jax.models.dcgan import num_doublings
from gan_jax.models.layers import batch_norm, conditional_classes, scale_init, sn

def xavier(gain: float = 1.0):
  """PyTorch's xavier_uniform_(w, gain): U(+-gain sqrt(6 / (fan_in + fan_out)))."""
  return nn.initializers.variance_scaling(gain ** 2, 'fan_avg', 'uniform')


_INIT = xavier(1.0)
_RESIDUAL = xavier(math.sqrt(2.0))  # c1, c2 of every block
# PyTorch's default conv init (kaiming_uniform, a = sqrt(5)): U(+-1 / sqrt(fan_in)).
# Mimicry's WGAN-GP rebuilds its shortcuts and leaves G's last conv at it.
TORCH_DEFAULT = nn.initializers.variance_scaling(1.0 / 3.0, 'fan_in', 'uniform')
UPSAMPLE_MODES = ('bilinear', 'nearest')


class CondBatchNorm(nn.Module):
  """BatchNorm whose scale and offset are looked up per class (de Vries et al. 2017)."""
  num_classes: int

  @nn.compact
  def __call__(self, x, labels, train):
    x = batch_norm(train, use_scale=self.num_classes == 0, use_bias=self.num_classes == 0)(x)
    if self.num_classes == 0:
      return x
    c = x.shape[-1]
    gamma = nn.Embed(self.num_classes, c, embedding_init=scale_init(0.02), name='gamma')(labels)
    beta = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros, name='beta')(labels)
    return x * gamma[:, None, None, :] + beta[:, None, None, :]


def _up(x, mode):
  """2x upsampling; jax.image.resize's 'bilinear' is align_corners=False (tested
  against torch.nn.functional.interpolate)."""
  b, h, w, c = x.shape
  return jax.image.resize(x, (b, 2 * h, 2 * w, c), mode)


def _down(x):
  return nn.avg_pool(x, (2, 2), (2, 2))


class GBlock(nn.Module):
  features: int
  num_classes: int = 0
  upsample: str = 'bilinear'
  shortcut_init: nn.initializers.Initializer = _INIT

  @nn.compact
  def __call__(self, x, labels, train):
    h = nn.relu(CondBatchNorm(self.num_classes)(x, labels, train))
    h = nn.Conv(self.features, (3, 3), padding=1, kernel_init=_RESIDUAL)(_up(h, self.upsample))
    h = nn.relu(CondBatchNorm(self.num_classes)(h, labels, train))
    h = nn.Conv(self.features, (3, 3), padding=1, kernel_init=_RESIDUAL)(h)
    sc = nn.Conv(self.features, (1, 1), padding=0, kernel_init=self.shortcut_init)
    return h + sc(_up(x, self.upsample))


class SNGANGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  width: int = 256
  num_classes: int = 0
  upsample: str = 'bilinear'
  shortcut_init: nn.initializers.Initializer = _INIT
  out_init: nn.initializers.Initializer = _INIT

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    size, _, channels = self.image_shape
    x = nn.Dense(4 * 4 * self.width, kernel_init=_INIT)(z).reshape((-1, 4, 4, self.width))
    for _ in range(num_doublings(size)):
      x = GBlock(self.width, self.num_classes, self.upsample, self.shortcut_init)(x, labels, train)
    x = nn.relu(batch_norm(train)(x))
    return jnp.tanh(nn.Conv(channels, (3, 3), padding=1, kernel_init=self.out_init)(x))


class DBlock(nn.Module):
  features: int
  downsample: bool
  optimized: bool = False  # the first block: no pre-activation, shortcut pools first
  spectral_norm: bool = True
  shortcut_init: nn.initializers.Initializer = _INIT

  @nn.compact
  def __call__(self, x, train):
    conv = lambda k, init: nn.Conv(self.features, (k, k), padding=k // 2, kernel_init=init)
    norm = lambda layer, h: sn(layer, h, self.spectral_norm, train)
    h = x if self.optimized else nn.relu(x)
    h = norm(conv(3, _RESIDUAL), h)
    h = norm(conv(3, _RESIDUAL), nn.relu(h))
    if self.downsample:
      h = _down(h)
    sc = x
    if self.optimized:
      sc = norm(conv(1, self.shortcut_init), _down(x))
    elif self.downsample or x.shape[-1] != self.features:
      sc = norm(conv(1, self.shortcut_init), x)
      sc = _down(sc) if self.downsample else sc
    return h + sc


class SNGANDiscriminator(nn.Module):
  image_size: int
  width: int = 128
  num_classes: int = 0
  spectral_norm: bool = True
  pool: str = 'sum'     # global pooling before the dense: 'sum' (SNGAN), 'mean' (WGAN-GP)
  shortcut_init: nn.initializers.Initializer = _INIT

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    k = num_doublings(self.image_size)  # 32 -> 3: two downsampling blocks, then two plain
    block = functools.partial(DBlock, self.width, spectral_norm=self.spectral_norm,
                              shortcut_init=self.shortcut_init)
    h = block(True, optimized=True)(x, train)
    for i in range(k):
      h = block(downsample=i < k - 2)(h, train)
    h = (jnp.sum if self.pool == 'sum' else jnp.mean)(nn.relu(h), axis=(1, 2))
    out = sn(nn.Dense(1, kernel_init=_INIT), h, self.spectral_norm, train)[:, 0]
    if self.num_classes:
      embed = nn.Embed(self.num_classes, self.width, embedding_init=_INIT)
      out = out + jnp.sum(sn(embed, labels, self.spectral_norm, train) * h, axis=-1)
    return out


def check_upsample(mode: str) -> str:
  if mode not in UPSAMPLE_MODES:
    raise UserError(f'config.model.upsample={mode!r}; allowed: {", ".join(UPSAMPLE_MODES)}')
  return mode


def sngan_generator(cfg, info):
  num_doublings(info.image_shape[0])
  return SNGANGenerator(image_shape=tuple(info.image_shape), width=cfg.g_width,
                        num_classes=conditional_classes(cfg, info),
                        upsample=check_upsample(cfg.upsample))


def sngan_discriminator(cfg, info):
  num_doublings(info.image_shape[0])
  return SNGANDiscriminator(image_size=info.image_shape[0], width=cfg.d_width,
                            num_classes=conditional_classes(cfg, info))


def wgan_gp_resnet_generator(cfg, info):
  """Mimicry's WGAN-GP G: SNGAN's, with the shortcuts and last conv at PyTorch's default init."""
  num_doublings(info.image_shape[0])
  return SNGANGenerator(image_shape=tuple(info.image_shape), width=cfg.g_width,
                        num_classes=conditional_classes(cfg, info),
                        upsample=check_upsample(cfg.upsample), shortcut_init=TORCH_DEFAULT,
                        out_init=TORCH_DEFAULT)


def wgan_gp_resnet_discriminator(cfg, info):
  """Mimicry's WGAN-GP D: SNGAN's without spectral norm, mean pooled, default-init shortcuts."""
  num_doublings(info.image_shape[0])
  return SNGANDiscriminator(image_size=info.image_shape[0], width=cfg.d_width,
                            num_classes=conditional_classes(cfg, info), spectral_norm=False,
                            pool='mean', shortcut_init=TORCH_DEFAULT)
