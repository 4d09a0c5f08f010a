"""Inpainting networks: the partial-convolution U-Net of Liu et al. 2018 ("Image
inpainting for irregular holes using partial convolutions", sec. 3) and the
spectral-normalised PatchGAN discriminator of DeepFill v2 (Yu et al. 2019,
sec. 3.3).

Partial convolution (Liu et al. eq. 1-2, as NVIDIA/partialconv computes it): with
X the input, M its validity mask (1 known, 0 hole; one per input channel),
  x' = W^T (X . M) * sum(1) / sum(M) + b   where sum(M) > 0, else 0,
  m' = 1                                   where sum(M) > 0, else 0,
the sums over the kernel window and every input channel; zero padding counts as
hole, so borders are renormalised too. A hole pixel's value never reaches the
output: the network sees only the known pixels.

U-Net (their sec. 3.3 at 512 px, `depth` 8): encoder PConv kernels 7, 5, 5, 3, 3, 3,
3, 3, each stride 2, widths 64, 128, 256, 512, 512, ..., ReLU, batch norm on all
but the first; decoder per level: nearest x2 upsampling of features and mask,
concatenation with the encoder's skip (features and masks), PConv 3x3 stride 1,
batch norm and LeakyReLU 0.2; the last level concatenates the input image and
mask and ends in a PConv to the image's channels without norm or activation.
Every partial convolution has a bias (NVIDIA's PartialConv2d default, and the
PyTorch port naoto0804/pytorch-inpainting-with-partial-conv). 512 px, depth 8,
RGB: 32,865,236 parameters (counted by hand in tests/test_inpainting.py).

SN-PatchGAN (DeepFill v2): `layers` 5x5 stride-2 convolutions of widths 64, 128,
256, 256, ..., each spectrally normalised and followed by LeakyReLU 0.2 (the
official build_sn_patch_gan_discriminator); every element of the last feature
map is a decision (hinge loss). Input: the
image and the hole mask, concatenated.

With a `guide` (the inpainting method's model.prefill: a classical fill of the
hole, made from the known pixels only) the U-Net reads it as extra input channels,
valid everywhere, and returns guide + its output, the last layer initialised to
zero: training starts from the guide and learns its correction.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen.linear import default_kernel_init

from gan_jax.models.layers import batch_norm, sn

ENCODER_KERNELS = (7, 5, 5)        # then 3 x 3


class PartialConv(nn.Module):
  """(x, valid) -> (x', valid'): valid has x's shape (one mask per channel)."""
  features: int
  kernel: int
  stride: int = 1
  zero_init: bool = False

  @nn.compact
  def __call__(self, x, valid):
    k, s = self.kernel, self.stride
    pad = ((k // 2, k // 2), (k // 2, k // 2))
    init = nn.initializers.zeros if self.zero_init else default_kernel_init
    raw = nn.Conv(self.features, (k, k), (s, s), padding=pad, use_bias=False,
                  kernel_init=init)(x * valid)
    ones = jnp.ones((k, k, valid.shape[-1], 1), valid.dtype)
    count = jax.lax.conv_general_dilated(valid, ones, (s, s), pad,
                                         dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    new_valid = (count > 0).astype(x.dtype)
    scale = k * k * valid.shape[-1] / jnp.maximum(count, 1.0)
    bias = self.param('bias', nn.initializers.zeros, (self.features,))
    out = (raw * scale + bias) * new_valid
    return out, jnp.broadcast_to(new_valid, out.shape)


def _upsample(x):
  n, h, w, c = x.shape
  return jax.image.resize(x, (n, 2 * h, 2 * w, c), 'nearest')


class PConvUNet(nn.Module):
  """(image in [-1, 1], hole mask (N, H, W, 1), 1 = missing) -> image (linear output).
  H and W must be multiples of 2 ** depth. With `guided`, call it with guide=(N, H, W,
  channels): read as known everywhere, and the output is guide + the U-Net's."""
  channels: int = 3
  width: int = 64
  depth: int = 8
  guided: bool = False

  def widths(self):
    return [self.width * min(2 ** i, 8) for i in range(self.depth)]

  @nn.compact
  def __call__(self, image, hole, train: bool = True, guide=None):
    if self.guided != (guide is not None):
      raise ValueError(f'PConvUNet(guided={self.guided}) called with guide={guide is not None}')
    valid = jnp.broadcast_to(1.0 - hole, image.shape)
    x, m = image * valid, valid
    if self.guided:
      x, m = jnp.concatenate([x, guide], -1), jnp.concatenate([m, jnp.ones_like(guide)], -1)
    skips = [(x, m)]
    for i, w in enumerate(self.widths()):
      kernel = ENCODER_KERNELS[i] if i < len(ENCODER_KERNELS) else 3
      x, m = PartialConv(w, kernel, 2, name=f'enc_{i + 1}')(x, m)
      if i > 0:
        x = batch_norm(train, name=f'enc_bn_{i + 1}')(x)
      x = nn.relu(x)
      skips.append((x, m))
    skips.pop()
    for i in reversed(range(self.depth)):
      sx, sm = skips[i]
      x = jnp.concatenate([_upsample(x), sx], axis=-1)
      m = jnp.concatenate([_upsample(m), sm], axis=-1)
      if i == 0:
        x, m = PartialConv(self.channels, 3, zero_init=self.guided, name='dec_1')(x, m)
        return guide + x if self.guided else x
      x, m = PartialConv(self.widths()[i - 1], 3, name=f'dec_{i + 1}')(x, m)
      x = nn.leaky_relu(batch_norm(train, name=f'dec_bn_{i + 1}')(x), 0.2)
    raise AssertionError('unreachable')


class SNPatchDiscriminator(nn.Module):
  """(image, hole mask) -> (N, h w c) decisions: every element of the last feature map."""
  width: int = 64
  layers: int = 6

  @nn.compact
  def __call__(self, image, hole, train: bool = True):
    x = jnp.concatenate([image, hole], axis=-1)
    for i in range(self.layers):
      conv = nn.Conv(self.width * min(2 ** i, 4), (5, 5), (2, 2), padding=((2, 2), (2, 2)),
                     name=f'conv_{i + 1}')
      x = nn.leaky_relu(sn(conv, x, True, train), 0.2)
    return x.reshape(x.shape[0], -1)
