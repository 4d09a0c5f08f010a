"""The 70x70 PatchGAN discriminator of pix2pix and CycleGAN (Isola et al. 2017):
C64 (no norm) - C128 - C256, 4x4 stride 2, then C512 stride 1 and a 1-channel
4x4 output, LeakyReLU 0.2. Its output is a map of patch decisions (B, h, w),
each seeing a 70x70 receptive field at 256 px.

As the official NLayerDiscriminator: biases only where no batch norm follows;
3 input channels with instance norm: 2,764,737 parameters; pix2pix's 6
(input and output concatenated) with batch norm: 2,768,705.
"""

import flax.linen as nn

from gan_jax.models.layers import norm_layer, normal_init


class PatchDiscriminator(nn.Module):
  width: int = 64
  layers: int = 3
  norm: str = 'instance'
  init_std: float = 0.02

  @nn.compact
  def __call__(self, x, train: bool = True):
    bias = self.norm == 'instance'
    init = normal_init(self.init_std)
    pad = ((1, 1), (1, 1))
    h = nn.leaky_relu(nn.Conv(self.width, (4, 4), (2, 2), padding=pad, kernel_init=init)(x), 0.2)
    for n in range(1, self.layers + 1):
      stride = 2 if n < self.layers else 1
      h = nn.Conv(self.width * min(2 ** n, 8), (4, 4), (stride, stride), padding=pad,
                  use_bias=bias, kernel_init=init)(h)
      h = nn.leaky_relu(norm_layer(self.norm, train, scale_std=self.init_std)(h), 0.2)
    return nn.Conv(1, (4, 4), padding=pad, kernel_init=init)(h)[..., 0]


def patchgan(cfg, info):
  del info
  return PatchDiscriminator(width=cfg.d_width, layers=cfg.d_layers, norm=cfg.norm,
                            init_std=cfg.init_std)
