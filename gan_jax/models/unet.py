"""pix2pix's U-Net generator (Isola et al. 2017): an encoder of 4x4 stride-2
convolutions down to 1x1 (8 at 256 px, 7 at 128 px), a mirrored decoder of
transposed convolutions, and skip connections concatenating encoder layer i
to decoder layer n - i. Dropout 0.5 in the first three decoder layers below
the innermost (the paper's noise source, kept on at test time).

Built recursively as the official UnetGenerator, so the parameter count is
its: unet_256 with batch norm 54,413,955. unet_64 / unet_32 are the same
design with 6 / 5 levels, for small images.
"""

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.errors import UserError
from gan_jax.models.layers import ConvTransposeS2, norm_layer, normal_init, strided_conv


class UnetBlock(nn.Module):
  """One level: down, the inner levels, up; input concatenated to the output
  (except at the outermost level, which ends in tanh)."""
  outer: int
  inner: int
  out_channels: int = 0           # outermost only
  submodule: nn.Module = None
  outermost: bool = False
  innermost: bool = False
  dropout: float = 0.0
  norm: str = 'batch'
  init_std: float = 0.02

  @nn.compact
  def __call__(self, x, train: bool):
    bias = self.norm == 'instance'
    init = normal_init(self.init_std)
    h = x if self.outermost else nn.leaky_relu(x, 0.2)
    h = strided_conv(h, self.inner, 4, 2, 1, use_bias=bias, kernel_init=init, name='Conv_0')
    if not (self.outermost or self.innermost):
      h = norm_layer(self.norm, train, scale_std=self.init_std)(h)
    if self.submodule is not None:
      h = self.submodule(h, train)
    h = nn.relu(h)
    # PyTorch ConvTranspose2d(k=4, stride=2, padding=1): exactly 2x,
    # nn.ConvTranspose(out_feats, (4, 4), (2, 2), padding=((2, 2), (2, 2))) in phases.
    out_feats = self.out_channels if self.outermost else self.outer
    h = ConvTransposeS2(out_feats, 4, 2, use_bias=bias or self.outermost, kernel_init=init,
                        name='ConvTranspose_0')(h)
    if self.outermost:
      return jnp.tanh(h)
    h = norm_layer(self.norm, train, scale_std=self.init_std)(h)
    if self.dropout:
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
    return jnp.concatenate([x, h], axis=-1)


class UnetGenerator(nn.Module):
  out_channels: int
  num_downs: int = 8
  width: int = 64
  norm: str = 'batch'
  dropout: float = 0.5
  init_std: float = 0.02

  @nn.compact
  def __call__(self, x, train: bool = True):
    size = x.shape[1]
    if size % (2 ** self.num_downs):
      raise UserError(f'a U-Net with {self.num_downs} downsamplings needs image sizes divisible '
                      f'by {2 ** self.num_downs}; got {size}')
    w, kw = self.width, dict(norm=self.norm, init_std=self.init_std)
    block = UnetBlock(w * 8, w * 8, innermost=True, **kw)
    for _ in range(self.num_downs - 5):
      block = UnetBlock(w * 8, w * 8, submodule=block, dropout=self.dropout, **kw)
    block = UnetBlock(w * 4, w * 8, submodule=block, **kw)
    block = UnetBlock(w * 2, w * 4, submodule=block, **kw)
    block = UnetBlock(w, w * 2, submodule=block, **kw)
    block = UnetBlock(x.shape[-1], w, out_channels=self.out_channels, submodule=block,
                      outermost=True, **kw)
    return block(x, train)


def unet_generator(num_downs: int):
  """The factory of the official UnetGenerator with `num_downs` downsamplings
  (8: unet_256, 7: unet_128)."""
  def make(cfg, info):
    return UnetGenerator(out_channels=info.image_shape[-1], num_downs=num_downs,
                         width=cfg.g_width, norm=cfg.norm, dropout=cfg.dropout,
                         init_std=cfg.init_std)
  return make

