"""StyleGAN2's networks as NVlabs/stylegan2-ada-pytorch builds them
(training/networks.py), in plain XLA ops: no custom kernels to compile.

Conventions (all from the reference):
  * Equalised learning rate: weights are stored N(0, 1) (/ lr_multiplier for
    dense layers) and scaled at run time by lr_multiplier / sqrt(fan_in); biases
    by lr_multiplier.
  * Activations: leaky ReLU 0.2 times sqrt(2) (bias_act's def_gain); a layer
    asked for `gain` g multiplies by g too and clamps to +-conv_clamp * g.
  * Resampling by the [1, 3, 3, 1] FIR filter (outer product / 64): upsampling
    inserts zeros and filters with gain 4, downsampling filters then drops.
  * Generator: mapping (z normalised by its second moment, the embedded label
    too; `mapping_layers` dense layers at lr x 0.01; the tracked average w_avg,
    beta 0.995, for truncation), synthesis (learned 4x4 constant; per
    resolution a modulated 3x3 conv that upsamples and a plain one, each with
    per-pixel noise of learned strength; ToRGB per resolution, the 'skip'
    output architecture). channels(res) = min(channel_base // res, channel_max).
  * Discriminator: 'resnet' blocks (skip 1x1 without bias, both paths times
    sqrt(0.5)) or 'orig' (the cifar config), minibatch stddev, the epilogue
    (3x3 conv, dense, output), projection onto a mapped label when conditional.
Images are NHWC in [-1, 1]. Parameter counts equal the reference's (tests).
"""

import math
from typing import Any, Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.fir import fir_axis

SQRT2 = math.sqrt(2.0)
NOISE_MODES = ('random', 'const', 'none')


def channels_at(res: int, channel_base: int, channel_max: int) -> int:
  return min(channel_base // res, channel_max)


def num_ws(resolution: int) -> int:
  """w vectors the synthesis network consumes: two per resolution above 4 x 4, one
  at 4 x 4, and one for the last ToRGB."""
  return 2 * int(math.log2(resolution)) - 2


def normalize_2nd_moment(x, eps: float = 1e-8):
  return x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps)


def lrelu(x, gain: float = 1.0, clamp: Optional[float] = None):
  """bias_act's 'lrelu': leaky ReLU 0.2, times sqrt(2) x gain, clamped."""
  x = jnp.where(x >= 0, x, 0.2 * x) * (SQRT2 * gain)
  if clamp is not None:
    x = jnp.clip(x, -clamp * gain, clamp * gain)
  return x


# -- the FIR filter ---------------------------------------------------------------------

FIR_TAPS = np.array([1.0, 3.0, 3.0, 1.0]) / 8.0   # one axis of the 2-D filter


def fir_filter():
  """The 2-D filter, outer([1, 3, 3, 1]) / 64 (setup_filter's)."""
  return np.outer(FIR_TAPS, FIR_TAPS)


def upfirdn(x, up: int = 1, down: int = 1, pad=(0, 0), gain: float = 1.0):
  """upfirdn2d with the [1, 3, 3, 1] filter on NHWC: zeros inserted after each
  sample (up), padded (pad = (before, after), both axes), filtered, every
  `down`-th sample kept. The filter is separable, so each axis in turn, with
  sqrt(gain) per axis."""
  taps = FIR_TAPS * math.sqrt(gain)
  x = fir_axis(x, taps, up, down, pad, axis=1)
  return fir_axis(x, taps, up, down, pad, axis=2)


def upsample2d(x):
  """x2 (the image skip path): upfirdn2d.upsample2d's pad [2, 1], gain 4."""
  return upfirdn(x, up=2, pad=(2, 1), gain=4.0)


def conv2d(x, kernel, up: int = 1, down: int = 1):
  """A k x k convolution (HWIO kernel, cross-correlation, 'same' size), resampled
  as conv2d_resample: up = 2 inserts zeros, pads (k//2 + 2, k//2 + 1), filters
  (gain 4) and applies the kernel flipped (the transposed convolution the
  reference computes); down = 2 filters with pad k//2 + 1 (k > 1) or 1 (1 x 1)
  first and convolves with stride 2."""
  k = kernel.shape[0]
  dn = ('NHWC', 'HWIO', 'NHWC')
  if up > 1:
    x = upfirdn(x, up=2, pad=(k // 2 + 2, k // 2 + 1), gain=4.0)
    return jax.lax.conv_general_dilated(x, kernel[::-1, ::-1], (1, 1), 'VALID',
                                        dimension_numbers=dn)
  if down > 1:
    if k == 1:
      return jax.lax.conv_general_dilated(upfirdn(x, down=2, pad=(1, 1)), kernel, (1, 1),
                                          'VALID', dimension_numbers=dn)
    x = upfirdn(x, pad=(k // 2 + 1, k // 2 + 1))
    return jax.lax.conv_general_dilated(x, kernel, (2, 2), 'VALID', dimension_numbers=dn)
  p = k // 2
  return jax.lax.conv_general_dilated(x, kernel, (1, 1), ((p, p), (p, p)),
                                      dimension_numbers=dn)


# -- layers -------------------------------------------------------------------------------

class Dense(nn.Module):
  """FullyConnectedLayer: equalised rate, lr_multiplier, bias_init; 'linear' or 'lrelu'."""
  features: int
  activation: str = 'linear'
  lr_multiplier: float = 1.0
  bias_init: float = 0.0

  @nn.compact
  def __call__(self, x):
    fan_in = x.shape[-1]
    lr = self.lr_multiplier
    w = self.param('weight', lambda k, s: jax.random.normal(k, s) / lr, (fan_in, self.features))
    b = self.param('bias', lambda k, s: jnp.full(s, self.bias_init), (self.features,))
    y = x @ (w * (lr / math.sqrt(fan_in))) + b * lr
    return lrelu(y) if self.activation == 'lrelu' else y


class Conv(nn.Module):
  """Conv2dLayer: equalised rate, optional down x2, 'lrelu' or 'linear', clamp."""
  features: int
  kernel: int
  activation: str = 'lrelu'
  down: int = 1
  use_bias: bool = True
  conv_clamp: Optional[float] = None
  dtype: Any = jnp.float32          # the computation's; parameters stay float32

  @nn.compact
  def __call__(self, x, gain: float = 1.0):
    cin, k = x.shape[-1], self.kernel
    w = self.param('weight', nn.initializers.normal(1.0), (k, k, cin, self.features))
    x = conv2d(x.astype(self.dtype), (w * (1.0 / math.sqrt(cin * k * k))).astype(self.dtype),
               down=self.down)
    if self.use_bias:
      x = x + self.param('bias', nn.initializers.zeros, (self.features,)).astype(self.dtype)
    clamp = self.conv_clamp
    if self.activation == 'lrelu':
      return lrelu(x, gain, clamp)
    x = x * gain if gain != 1 else x
    return jnp.clip(x, -clamp * gain, clamp * gain) if clamp is not None else x


def modulated_conv(x, weight, styles, demodulate: bool = True, up: int = 1):
  """x (N, H, W, I) * styles (N, I), the shared kernel (k, k, I, O), then each output
  channel divided by its norm over (k, k, I) when demodulating: the reference's
  non-fused path, the same numbers as its grouped convolution."""
  dtype = x.dtype                     # styles and coefficients in float32, applied in x's
  y = conv2d(x * styles[:, None, None, :].astype(dtype), weight.astype(dtype), up=up)
  if demodulate:
    sq = jnp.sum(jnp.square(weight), axis=(0, 1))                        # (I, O)
    d = jax.lax.rsqrt(jnp.square(styles) @ sq + 1e-8)                    # (N, O)
    y = y * d[:, None, None, :].astype(dtype)
  return y


class SynthesisLayer(nn.Module):
  """Modulated 3x3 conv (+ upsampling), noise, bias, lrelu, clamp."""
  features: int
  resolution: int
  up: int = 1
  noise_mode: str = 'random'
  conv_clamp: Optional[float] = None
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, w, gain: float = 1.0):
    x = x.astype(self.dtype)
    cin = x.shape[-1]
    styles = Dense(cin, bias_init=1.0, name='affine')(w)
    weight = self.param('weight', nn.initializers.normal(1.0), (3, 3, cin, self.features))
    strength = self.param('noise_strength', nn.initializers.zeros, ())
    const = self.variable('buffers', 'noise_const',
                          lambda: jax.random.normal(self.make_rng('params'),
                                                    (self.resolution, self.resolution, 1)))
    x = modulated_conv(x, weight, styles, up=self.up)
    if self.noise_mode == 'random':
      noise = jax.random.normal(self.make_rng('noise'), x.shape[:3] + (1,), jnp.float32)
      x = x + (noise * strength).astype(x.dtype)
    elif self.noise_mode == 'const':
      x = x + (const.value * strength).astype(x.dtype)
    x = x + self.param('bias', nn.initializers.zeros, (self.features,)).astype(x.dtype)
    return lrelu(x, gain, self.conv_clamp)


class ToRGB(nn.Module):
  """Its output is float32 whatever the block's dtype (the image sum is)."""
  channels: int
  conv_clamp: Optional[float] = None

  @nn.compact
  def __call__(self, x, w):
    cin = x.shape[-1]
    styles = Dense(cin, bias_init=1.0, name='affine')(w) * (1.0 / math.sqrt(cin))
    weight = self.param('weight', nn.initializers.normal(1.0), (1, 1, cin, self.channels))
    x = modulated_conv(x, weight, styles, demodulate=False).astype(jnp.float32)
    x = x + self.param('bias', nn.initializers.zeros, (self.channels,))
    return jnp.clip(x, -self.conv_clamp, self.conv_clamp) if self.conv_clamp else x


class MappingNetwork(nn.Module):
  """z (and the label, one-hot) -> w, (N, num_ws, w_dim). w_avg is tracked in the
  'buffers' collection when `track_w_avg` (training G); truncation psi pulls
  the first `cutoff` ws (all when None) towards it."""
  w_dim: int = 512
  num_ws: Optional[int] = None
  layers: int = 8
  lr_multiplier: float = 0.01
  w_avg_beta: Optional[float] = 0.995

  @nn.compact
  def __call__(self, z, c=None, psi: float = 1.0, cutoff: Optional[int] = None,
               track_w_avg: bool = False):
    parts = [normalize_2nd_moment(z)] if z is not None and z.shape[-1] else []
    if c is not None:
      parts.append(normalize_2nd_moment(Dense(self.w_dim, name='embed')(c)))
    x = jnp.concatenate(parts, axis=-1)
    for i in range(self.layers):
      x = Dense(self.w_dim, 'lrelu', self.lr_multiplier, name=f'fc{i}')(x)
    if self.num_ws is None:
      return x
    w_avg = self.variable('buffers', 'w_avg', lambda: jnp.zeros((self.w_dim,)))
    if track_w_avg and not self.is_initializing():
      mean = jnp.mean(jax.lax.stop_gradient(x), axis=0)
      w_avg.value = mean + self.w_avg_beta * (w_avg.value - mean)
    ws = jnp.broadcast_to(x[:, None, :], (x.shape[0], self.num_ws, self.w_dim))
    if psi != 1:
      avg = w_avg.value
      cut = self.num_ws if cutoff is None else cutoff
      ws = ws.at[:, :cut].set(avg + psi * (ws[:, :cut] - avg))
    return ws


def block_dtype(res: int, resolution: int, low_precision_res: int):
  """bfloat16 for the `low_precision_res` highest resolutions (the reference's
  num_fp16_res, in bfloat16: float32's exponent range, so no overflow scaling)."""
  highest = int(math.log2(resolution))
  return jnp.bfloat16 if int(math.log2(res)) > highest - low_precision_res else jnp.float32


class SynthesisNetwork(nn.Module):
  resolution: int
  channels: int = 3
  channel_base: int = 32768
  channel_max: int = 512
  noise_mode: str = 'random'
  conv_clamp: Optional[float] = None
  low_precision_res: int = 0

  @nn.compact
  def __call__(self, ws):
    ch = lambda r: channels_at(r, self.channel_base, self.channel_max)
    n = ws.shape[0]
    const = self.param('const', nn.initializers.normal(1.0), (4, 4, ch(4)))
    x = jnp.broadcast_to(const[None], (n, 4, 4, ch(4)))
    img, w_idx, res = None, 0, 4
    while res <= self.resolution:
      kw = dict(noise_mode=self.noise_mode, conv_clamp=self.conv_clamp,
                dtype=block_dtype(res, self.resolution, self.low_precision_res))
      if res > 4:
        x = SynthesisLayer(ch(res), res, up=2, name=f'b{res}_conv0', **kw)(x, ws[:, w_idx])
        w_idx += 1
      x = SynthesisLayer(ch(res), res, name=f'b{res}_conv1', **kw)(x, ws[:, w_idx])
      w_idx += 1
      y = ToRGB(self.channels, self.conv_clamp, name=f'b{res}_torgb')(x, ws[:, w_idx])
      img = y if img is None else upsample2d(img) + y
      res *= 2
    return img


class Generator(nn.Module):
  """(z, one-hot label or None) -> images (N, res, res, channels)."""
  resolution: int
  channels: int = 3
  z_dim: int = 512
  w_dim: int = 512
  mapping_layers: int = 8
  channel_base: int = 32768
  channel_max: int = 512
  noise_mode: str = 'random'
  conv_clamp: Optional[float] = None
  low_precision_res: int = 0        # bfloat16 in this many highest resolutions' blocks

  def setup(self):
    self.mapping = MappingNetwork(self.w_dim, num_ws(self.resolution), self.mapping_layers)
    self.synthesis = SynthesisNetwork(self.resolution, self.channels, self.channel_base,
                                      self.channel_max, self.noise_mode, self.conv_clamp,
                                      self.low_precision_res)

  def __call__(self, z, c=None, psi: float = 1.0, cutoff: Optional[int] = None,
               track_w_avg: bool = False):
    return self.synthesis(self.mapping(z, c, psi, cutoff, track_w_avg))

  def map(self, z, c=None, psi: float = 1.0, cutoff: Optional[int] = None,
          track_w_avg: bool = False):
    return self.mapping(z, c, psi, cutoff, track_w_avg)

  def synthesize(self, ws):
    return self.synthesis(ws)


def minibatch_stddev(x, group_size: int, num_channels: int = 1):
  """MinibatchStdLayer: sample i is in group i mod (N / G), as the reference's reshape."""
  n, h, w, c = x.shape
  g = min(group_size, n) if group_size else n
  f = num_channels
  y = x.reshape(g, n // g, h, w, f, c // f)
  y = y - jnp.mean(y, axis=0)
  y = jnp.sqrt(jnp.mean(jnp.square(y), axis=0) + 1e-8)       # (N/G, H, W, F, C/F)
  y = jnp.mean(y, axis=(1, 2, 4))                              # (N/G, F)
  y = jnp.tile(y, (g, 1))[:, None, None, :]
  return jnp.concatenate([x, jnp.broadcast_to(y, (n, h, w, f))], axis=-1)


class Discriminator(nn.Module):
  """images (N, res, res, C) and one-hot labels (or None) -> logits (N,)."""
  resolution: int
  channel_base: int = 32768
  channel_max: int = 512
  architecture: str = 'resnet'     # or 'orig'
  mbstd_group: int = 4
  mbstd_channels: int = 1
  conv_clamp: Optional[float] = None
  mapping_layers: int = 8          # of the label mapping (conditional)
  low_precision_res: int = 0       # bfloat16 in this many highest resolutions' blocks

  @nn.compact
  def __call__(self, x, c=None):
    ch = lambda r: channels_at(r, self.channel_base, self.channel_max)
    clamp = self.conv_clamp
    res = self.resolution
    dtype = lambda r: block_dtype(r, self.resolution, self.low_precision_res)
    x = Conv(ch(res), 1, conv_clamp=clamp, dtype=dtype(res), name=f'b{res}_fromrgb')(x)
    while res > 4:
      kw = dict(conv_clamp=clamp, dtype=dtype(res))
      if self.architecture == 'resnet':
        y = Conv(ch(res // 2), 1, 'linear', down=2, use_bias=False, dtype=dtype(res),
                 name=f'b{res}_skip')(x, gain=math.sqrt(0.5))
        x = Conv(ch(res), 3, name=f'b{res}_conv0', **kw)(x)
        x = Conv(ch(res // 2), 3, down=2, name=f'b{res}_conv1', **kw)(x, gain=math.sqrt(0.5))
        x = y + x
      else:
        x = Conv(ch(res), 3, name=f'b{res}_conv0', **kw)(x)
        x = Conv(ch(res // 2), 3, down=2, name=f'b{res}_conv1', **kw)(x)
      res //= 2
    x = x.astype(jnp.float32)                                  # the epilogue in float32
    if self.mbstd_group:
      x = minibatch_stddev(x, self.mbstd_group, self.mbstd_channels)
    x = Conv(ch(4), 3, conv_clamp=clamp, name='b4_conv')(x)
    x = x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)        # the reference's NCHW flatten
    x = Dense(ch(4), 'lrelu', name='b4_fc')(x)
    if c is None:
      return Dense(1, name='b4_out')(x)[:, 0]
    cmap_dim = ch(4)
    cmap = MappingNetwork(cmap_dim, None, self.mapping_layers, w_avg_beta=None,
                          name='mapping')(None, c)
    out = Dense(cmap_dim, name='b4_out')(x)
    return jnp.sum(out * cmap, axis=-1) / math.sqrt(cmap_dim)

