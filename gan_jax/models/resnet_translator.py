"""CycleGAN's ResNet generator (Johnson et al. 2016 as used by Zhu et al. 2017):
c7s1-64, two stride-2 downsamplings, N residual blocks with reflection padding,
two stride-2 transposed convolutions, c7s1-C, tanh.

Layer for layer the official PyTorch ResnetGenerator: with instance norm (no
affine) every conv has a bias, with batch norm none but the last; 3 channels
and 9 blocks give its 11,378,179 parameters. `model.downsamplings` (default 2)
and `model.g_width` (ngf, default 64) shrink it for small images.
"""

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.models.layers import ConvTransposeS2, norm_layer, normal_init, reflect_pad


class ResnetBlock(nn.Module):
  features: int
  norm: str
  dropout: float = 0.0
  init_std: float = 0.02

  @nn.compact
  def __call__(self, x, train: bool):
    bias = self.norm == 'instance'
    init = normal_init(self.init_std)
    h = nn.Conv(self.features, (3, 3), padding='VALID', use_bias=bias, kernel_init=init)(
        reflect_pad(x, 1))
    h = nn.relu(norm_layer(self.norm, train, scale_std=self.init_std)(h))
    if self.dropout:
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
    h = nn.Conv(self.features, (3, 3), padding='VALID', use_bias=bias, kernel_init=init)(
        reflect_pad(h, 1))
    return x + norm_layer(self.norm, train, scale_std=self.init_std)(h)


class ResnetGenerator(nn.Module):
  out_channels: int
  width: int = 64
  blocks: int = 9
  downsamplings: int = 2
  norm: str = 'instance'
  dropout: float = 0.0
  init_std: float = 0.02

  @nn.compact
  def __call__(self, x, train: bool = True):
    bias = self.norm == 'instance'
    init = normal_init(self.init_std)
    h = nn.Conv(self.width, (7, 7), padding='VALID', use_bias=bias, kernel_init=init)(
        reflect_pad(x, 3))
    h = nn.relu(norm_layer(self.norm, train, scale_std=self.init_std)(h))
    feats = self.width
    for _ in range(self.downsamplings):
      feats *= 2
      h = nn.Conv(feats, (3, 3), (2, 2), padding=((1, 1), (1, 1)), use_bias=bias,
                  kernel_init=init)(h)
      h = nn.relu(norm_layer(self.norm, train, scale_std=self.init_std)(h))
    for _ in range(self.blocks):
      h = ResnetBlock(feats, self.norm, self.dropout, self.init_std)(h, train)
    for i in range(self.downsamplings):
      feats //= 2
      # PyTorch ConvTranspose2d(k=3, stride=2, padding=1, output_padding=1): exactly 2x,
      # nn.ConvTranspose(feats, (3, 3), (2, 2), padding=((1, 2), (1, 2))) in phases.
      h = ConvTransposeS2(feats, 3, 1, use_bias=bias, kernel_init=init,
                          name=f'ConvTranspose_{i}')(h)
      h = nn.relu(norm_layer(self.norm, train, scale_std=self.init_std)(h))
    h = nn.Conv(self.out_channels, (7, 7), padding='VALID', kernel_init=init)(reflect_pad(h, 3))
    return jnp.tanh(h)


def resnet_generator(blocks: int):
  """The factory of the official ResnetGenerator with `blocks` residual blocks."""
  def make(cfg, info):
    return ResnetGenerator(out_channels=info.image_shape[-1], width=cfg.g_width, blocks=blocks,
                           downsamplings=cfg.downsamplings, norm=cfg.norm, dropout=cfg.dropout,
                           init_std=cfg.init_std)
  return make

