"""The image transformation network of Johnson et al. 2016 (feed-forward style
transfer), as pytorch/examples' fast_neural_style TransformerNet builds it:
9x9 conv 32, two stride-2 3x3 convs (64, 128), 5 residual blocks of 128,
two nearest x2 upsamplings each followed by a 3x3 conv (64, 32; the form that
avoids transposed-conv checkerboards), 9x9 conv to the image. Reflection
padding, instance normalisation with affine parameters (Ulyanov et al. 2016)
after every conv but the last: 1,679,235 parameters for RGB, as TransformerNet.
The output is linear, as TransformerNet's (callers clip to [-1, 1] for images):
with the paper's tanh the VGG content loss drove our outputs into saturation
(flat white images, zero gradient) within 50 steps on the embedded demo, where
the linear output learns (measured: mean |G(x) - x| 0.25 after 150 steps
against 1.1 with tanh).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.models.layers import reflect_pad


class _ConvIN(nn.Module):
  features: int
  kernel: int
  stride: int = 1
  upsample: bool = False
  norm: bool = True
  relu: bool = True

  @nn.compact
  def __call__(self, x):
    if self.upsample:
      b, h, w, c = x.shape
      x = jax.image.resize(x, (b, 2 * h, 2 * w, c), 'nearest')
    x = nn.Conv(self.features, (self.kernel, self.kernel), strides=self.stride,
                padding='VALID')(reflect_pad(x, self.kernel // 2))
    if self.norm:
      x = nn.InstanceNorm(epsilon=1e-5)(x)  # affine, as InstanceNorm2d(affine=True)
    return nn.relu(x) if self.relu else x


class _Residual(nn.Module):
  features: int

  @nn.compact
  def __call__(self, x):
    h = _ConvIN(self.features, 3)(x)
    return x + _ConvIN(self.features, 3, relu=False)(h)


class TransformerNet(nn.Module):
  out_channels: int = 3
  width: int = 32          # 32 in the paper; the widths are width x (1, 2, 4)
  blocks: int = 5
  linear_output: bool = True  # TransformerNet: linear (callers clip); False: tanh

  @nn.compact
  def __call__(self, x, train: bool = False):
    del train  # instance norm: the same in training and at test time
    w = self.width
    h = _ConvIN(w, 9)(x)
    h = _ConvIN(2 * w, 3, stride=2)(h)
    h = _ConvIN(4 * w, 3, stride=2)(h)
    for _ in range(self.blocks):
      h = _Residual(4 * w)(h)
    h = _ConvIN(2 * w, 3, upsample=True)(h)
    h = _ConvIN(w, 3, upsample=True)(h)
    h = _ConvIN(self.out_channels, 9, norm=False, relu=False)(h)
    return h if self.linear_output else jnp.tanh(h)


def johnson_generator(cfg, info):
  return TransformerNet(out_channels=info.image_shape[-1], width=cfg.g_width)
