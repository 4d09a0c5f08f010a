"""Progressive GAN's networks (Karras et al. 2018, tkarras/progressive_growing_of_gans
networks.py G_paper and D_paper, Table 2), with every resolution's layers built
from the start and run up to the current one.

Channels at resolution r: min(channel_base // r, channel_max) (the paper's
fmap_base 8192, fmap_max 512 is channel_base 16384 here; the counting StyleGAN2
uses). Every weight is stored N(0, 1) and multiplied at run time by
gain / sqrt(fan_in) (equalised learning rate, sec. 4.1), gain sqrt(2) except
ToRGB and D's last dense layer (1) and G's first dense layer (sqrt(2) / 4, the
official code's "match the original Theano implementation"); biases start at 0.

G: pixel norm of z -> dense to 4x4 -> conv 3x3 -> per resolution 8 ... r: nearest
x2 upsampling, two conv 3x3; each conv and the dense layer followed by bias,
LeakyReLU 0.2 and pixel norm (sec. 4.2); ToRGB (1x1, linear) per resolution.
D: FromRGB (1x1) per resolution; per resolution r ... 8: conv 3x3, conv 3x3 to
the next channel count and 2x2 average pooling; at 4x4: minibatch standard
deviation (one feature, groups of 4; sec. 3), conv 3x3, dense, dense to 1.
The official code fuses G's upsampling into a transposed conv and D's pooling
into a strided conv (fused_scale=True): the same functions (D's bias and
activation follow the pooling there too; a ported G kernel is flipped in space,
its input and output axes swapped).

Fading a resolution in (sec. 2, fig. 2): at level of detail lod (0 = the full
resolution; lod_r = log2(final / r)), the images of resolution r are
lerp(ToRGB_r(x_r), upsample(ToRGB_{r/2}(x_{r/2})), clip(lod - lod_r, 0, 1)), and D
mirrors it with FromRGB_{r/2} on the 2x2-averaged input. Called with `res` (a
static int) the networks run up to that resolution only, which is what a
training stage compiles; G called without it runs every resolution and upsamples
to the final one ('linear' structure), which sampling at any stage uses.
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.errors import UserError

LEAKY_SLOPE = 0.2


def channels_at(res: int, channel_base: int, channel_max: int) -> int:
  return min(channel_base // res, channel_max)


def pixel_norm(x, eps: float = 1e-8):
  """Each pixel's feature vector scaled to unit root-mean-square (sec. 4.2)."""
  return x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps)


def upsample2x(x):
  """Nearest-neighbour x2 (upscale2d)."""
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


def downsample2x(x):
  """2x2 average pooling (downscale2d)."""
  b, h, w, c = x.shape
  return jnp.mean(x.reshape(b, h // 2, 2, w // 2, 2, c), axis=(2, 4))


def lerp_clip(a, b, t):
  return a + (b - a) * jnp.clip(t, 0.0, 1.0)


def minibatch_stddev(x, group_size: int = 4):
  """Sec. 3: for groups of min(group_size, N) samples (sample n in group n mod
  N / G, as the official reshape), the standard deviation of every feature over
  the group, averaged over features and pixels, appended as one constant channel."""
  n, h, w, c = x.shape
  g = min(group_size, n)
  if n % g:
    raise UserError(f'minibatch standard deviation: batch {n} is not divisible by its group '
                    f'size {g}; use a batch size divisible by {g}')
  y = x.reshape(g, n // g, h, w, c)
  y = y - jnp.mean(y, axis=0, keepdims=True)
  y = jnp.sqrt(jnp.mean(jnp.square(y), axis=0) + 1e-8)
  y = jnp.mean(y, axis=(1, 2, 3))                     # (n / g,)
  y = jnp.tile(y, g).reshape(n, 1, 1, 1)              # sample k*(n/g) + m gets y[m]
  return jnp.concatenate([x, jnp.broadcast_to(y, (n, h, w, 1)).astype(x.dtype)], axis=-1)


class EqualizedDense(nn.Module):
  """Dense with its weight N(0, 1) scaled by gain / sqrt(fan_in) at run time; no
  bias (the caller adds it where the official code does, after reshaping)."""
  features: int
  gain: float = math.sqrt(2.0)

  @nn.compact
  def __call__(self, x):
    w = self.param('kernel', nn.initializers.normal(1.0), (x.shape[-1], self.features))
    return x @ (w * (self.gain / math.sqrt(x.shape[-1])))


class EqualizedConv(nn.Module):
  """k x k 'SAME' convolution, weight N(0, 1) scaled by gain / sqrt(k k C_in), then
  (down: 2x2 average pooling, the official conv2d_downscale2d) the bias."""
  features: int
  kernel: int = 3
  gain: float = math.sqrt(2.0)
  down: bool = False

  @nn.compact
  def __call__(self, x):
    k, cin = self.kernel, x.shape[-1]
    w = self.param('kernel', nn.initializers.normal(1.0), (k, k, cin, self.features))
    y = jax.lax.conv_general_dilated(x, w * (self.gain / math.sqrt(k * k * cin)), (1, 1), 'SAME',
                                     dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    if self.down:
      y = downsample2x(y)
    return y + self.param('bias', nn.initializers.zeros, (self.features,))


def _act(x):
  return nn.leaky_relu(x, LEAKY_SLOPE)


def _levels(resolution: int):
  return [2 ** k for k in range(2, int(math.log2(resolution)) + 1)]


def _stage_lod(resolution: int, res: int) -> float:
  return math.log2(resolution) - math.log2(res)


class ProgressiveGenerator(nn.Module):
  resolution: int
  channels: int
  channel_base: int
  channel_max: int

  def nf(self, res):
    return channels_at(res, self.channel_base, self.channel_max)

  @nn.compact
  def __call__(self, z, lod, res=None):
    """z (B, z_dim), lod a (traced) scalar -> images (B, res, res, C); res=None:
    every resolution run and the result upsampled to the final one."""
    top = res or self.resolution
    x = pixel_norm(z)
    c4 = self.nf(4)
    x = EqualizedDense(c4 * 16, gain=math.sqrt(2.0) / 4, name='4x4_dense')(x)
    x = x.reshape(-1, c4, 4, 4).transpose(0, 2, 3, 1)   # the official NCHW reshape
    x = pixel_norm(_act(x + self.param('4x4_dense_bias', nn.initializers.zeros, (c4,))))
    x = pixel_norm(_act(EqualizedConv(c4, name='4x4_conv')(x)))
    images = None
    for r in _levels(top):
      if r > 4:
        x = upsample2x(x)
        x = pixel_norm(_act(EqualizedConv(self.nf(r), name=f'{r}x{r}_conv0')(x)))
        x = pixel_norm(_act(EqualizedConv(self.nf(r), name=f'{r}x{r}_conv1')(x)))
      if res is not None and r < top // 2:
        continue  # a stage's output reads its own ToRGB and the one below only
      rgb = EqualizedConv(self.channels, 1, gain=1.0, name=f'to_rgb_{r}')(x)
      images = rgb if images is None else lerp_clip(
          rgb, upsample2x(images), lod - _stage_lod(self.resolution, r))
    return images


class ProgressiveDiscriminator(nn.Module):
  resolution: int
  channel_base: int
  channel_max: int
  mbstd_group: int = 4

  def nf(self, res):
    return channels_at(res, self.channel_base, self.channel_max)

  @nn.compact
  def __call__(self, images, lod):
    """images (B, r, r, C) at a stage's resolution r (static, from the shape), lod
    traced -> (B,) raw scores."""
    top = images.shape[1]
    from_rgb = {r: EqualizedConv(self.nf(r), 1, name=f'from_rgb_{r}')
                for r in _levels(self.resolution)}
    blocks = {r: self._block(r) for r in _levels(self.resolution)[1:]}
    if self.is_initializing():  # every resolution's layers exist from the start
      for r in _levels(self.resolution):
        if r != top:
          from_rgb[r](jnp.zeros((1, r, r, images.shape[-1]), images.dtype))
        if r > 4 and r != top:
          blocks[r](jnp.zeros((1, r, r, self.nf(r)), images.dtype))
    x = _act(from_rgb[top](images))
    if top > 4:
      x = blocks[top](x)
      lower = _act(from_rgb[top // 2](downsample2x(images)))
      x = lerp_clip(x, lower, lod - _stage_lod(self.resolution, top))
      for r in _levels(top // 2)[:0:-1]:
        x = blocks[r](x)
    x = minibatch_stddev(x, self.mbstd_group) if self.mbstd_group > 1 else x
    x = _act(EqualizedConv(self.nf(4), name='4x4_conv')(x))
    x = x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)   # the official NCHW flatten
    x = _act(EqualizedDense(self.nf(2), name='4x4_dense0')(x)
             + self.param('4x4_dense0_bias', nn.initializers.zeros, (self.nf(2),)))
    x = EqualizedDense(1, gain=1.0, name='4x4_dense1')(x) + self.param(
        '4x4_dense1_bias', nn.initializers.zeros, (1,))
    return x[:, 0]

  def _block(self, r):
    conv0 = EqualizedConv(self.nf(r), name=f'{r}x{r}_conv0')
    conv1 = EqualizedConv(self.nf(r // 2), down=True, name=f'{r}x{r}_conv1_down')
    return lambda x: _act(conv1(_act(conv0(x))))


def check_resolution(resolution: int, what: str = 'config.data.image_size') -> None:
  if resolution < 4 or resolution & (resolution - 1):
    raise UserError(f'{what}={resolution}: progressive growing needs a power of two >= 4 '
                    '(4, 8, ..., 1024)')


def pggan_networks(model_cfg, info):
  """(generator, discriminator) for config.model (channel_base, channel_max,
  mbstd_group) and the data's final resolution."""
  resolution, channels = info.image_shape[0], info.image_shape[-1]
  check_resolution(resolution)
  for key in ('channel_base', 'channel_max'):
    if model_cfg[key] <= 0:
      raise UserError(f'config.model.{key}={model_cfg[key]} must be > 0')
  if model_cfg.channel_base // resolution < 1:
    raise UserError(f'config.model.channel_base={model_cfg.channel_base} leaves no channels at '
                    f'{resolution} px (channels there: channel_base // {resolution}); raise it')
  g = ProgressiveGenerator(resolution, channels, model_cfg.channel_base, model_cfg.channel_max)
  d = ProgressiveDiscriminator(resolution, model_cfg.channel_base, model_cfg.channel_max,
                               model_cfg.mbstd_group)
  return g, d
