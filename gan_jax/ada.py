"""Adaptive discriminator augmentation (Karras et al. 2020, "Training generative
adversarial networks with limited data"), as stylegan2-ada-pytorch's
training/augment.py and training_loop.py define it, in plain XLA ops.

The pipeline: each transform is applied to each image with probability
strength x p (every strength is 1 in the named pipes), drawn per image.
  blit   x-flip, rotation by multiples of 90 degrees, integer translation (up to
         1/8 of the size)
  geom   isotropic scale (log2 ~ N(0, 0.2)), rotation (uniform, before and after
         the anisotropic scale, each with 1 - sqrt(1 - p) so that one or both
         happen with p), anisotropic scale (log2 ~ N(0, 0.2)), fractional
         translation (N(0, 0.125) of the size)
  color  brightness (+N(0, 0.2)), contrast (x 2^N(0, 0.5)), luma flip
         (Householder reflection through the luma axis), hue rotation around it
         (uniform), saturation (x 2^N(0, 1) off it); hue and saturation on
         colour images only
The geometric transforms of one image are composed into one matrix and
applied once: reflect padding, x2 upsampling with the sym6 wavelet lowpass,
bilinear sampling, the matching x2 downsampling (so an integer transform is
exact to float rounding). Everything is differentiable, so G's loss sees the
augmented fakes too. The colour transforms compose into one 4 x 4 matrix per
image.

One difference in the form, not the numbers: the reference pads by the margin
the whole batch needs (a data-dependent shape), at most size - 1; jit needs a
static shape, so we always pad by size - 1. The margin covers every pixel the
transforms sample, so the outputs are equal (tested against the reference's
steps in PyTorch, to 1e-5, with margins below and at the maximum).

p's controller (`adjust_p`): every `interval` steps, p += sign(E[sign D(real)] -
target) x batch x interval / (kimg x 1000), floored at 0 (not capped at 1, as
the reference), the mean taken over every real logit D saw since the last
adjustment.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.errors import UserError
from gan_jax.fir import fir_axis

# The named pipes of the reference's train.py (--augpipe) that we implement.
PIPES = {
    'blit': ('xflip', 'rotate90', 'xint'),
    'geom': ('scale', 'rotate', 'aniso', 'xfrac'),
    'color': ('brightness', 'contrast', 'lumaflip', 'hue', 'saturation'),
    'bg': ('xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac'),
    'bgc': ('xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac',
            'brightness', 'contrast', 'lumaflip', 'hue', 'saturation'),
}
GEOMETRIC = ('xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac')

# The reference's strengths (AugmentPipe's defaults).
XINT_MAX, SCALE_STD, ROTATE_MAX, ANISO_STD, XFRAC_STD = 0.125, 0.2, 1.0, 0.2, 0.125
BRIGHTNESS_STD, CONTRAST_STD, HUE_MAX, SATURATION_STD = 0.2, 0.5, 1.0, 1.0

# The sym6 wavelet's lowpass taps (Daubechies' symlet, 12 taps), the geometric
# resampling filter.
SYM6 = np.array([0.015404109327027373, 0.0034907120842174702, -0.11799011114819057,
                 -0.048311742585633, 0.4910559419267466, 0.787641141030194,
                 0.3379294217276218, -0.07263752278646252, -0.021060292512300564,
                 0.04472490177066578, 0.0017677118642428036, -0.007800708325034148])


def check_pipe(pipe: str) -> None:
  if pipe and pipe not in PIPES:
    raise UserError(f'config.augment.pipe={pipe!r}; allowed: \'\' (none), '
                    f'{", ".join(PIPES)}')


def adjust_p(p, mean_sign, target: float, batch: int, interval: int, kimg: float):
  """The reference's controller: one adjustment after `interval` steps of `batch`."""
  step = jnp.sign(mean_sign - target) * (batch * interval) / (kimg * 1000.0)
  return jnp.maximum(p + step, 0.0)


# -- 3 x 3 (2-D) and 4 x 4 (colour) homogeneous matrices, one per image -----------------

def _stack(rows):
  return jnp.stack([jnp.stack(r, axis=-1) for r in rows], axis=-2)


def translate2d(tx, ty):
  o, z = jnp.ones_like(tx), jnp.zeros_like(tx)
  return _stack([[o, z, tx], [z, o, ty], [z, z, o]])


def scale2d(sx, sy):
  o, z = jnp.ones_like(sx), jnp.zeros_like(sx)
  return _stack([[sx, z, z], [z, sy, z], [z, z, o]])


def rotate2d(theta):
  c, s = jnp.cos(theta), jnp.sin(theta)
  o, z = jnp.ones_like(theta), jnp.zeros_like(theta)
  return _stack([[c, -s, z], [s, c, z], [z, z, o]])


def translate3d(t):
  m = jnp.broadcast_to(jnp.eye(4), t.shape + (4, 4))
  return m.at[..., :3, 3].set(t[..., None])


def scale3d(s):
  return jnp.broadcast_to(jnp.eye(4), s.shape + (4, 4)) * jnp.concatenate(
      [jnp.broadcast_to(s[..., None], s.shape + (3,)), jnp.ones(s.shape + (1,))],
      axis=-1)[..., None, :]


def rotate3d(v, theta):
  """Rotation by theta about the unit axis v (Rodrigues), homogeneous 4 x 4."""
  vx, vy, vz = v[0], v[1], v[2]
  s, c = jnp.sin(theta), jnp.cos(theta)
  cc = 1.0 - c
  o, z = jnp.ones_like(theta), jnp.zeros_like(theta)
  return _stack([[vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s, z],
                 [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s, z],
                 [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c, z],
                 [z, z, z, o]])


LUMA = np.array([1.0, 1.0, 1.0, 0.0]) / math.sqrt(3.0)


# -- drawing the parameters --------------------------------------------------------------

def _chosen(key, shape, prob):
  return jax.random.uniform(key, shape) < prob


def geometric_matrix(key, n: int, h: int, w: int, p, ops):
  """G_inv (n, 3, 3): output pixel coordinates (centred) -> input ones."""
  keys = iter(jax.random.split(key, 20))
  g = jnp.broadcast_to(jnp.eye(3), (n, 3, 3))
  if 'xflip' in ops:
    i = jnp.floor(jax.random.uniform(next(keys), (n,)) * 2)
    i = jnp.where(_chosen(next(keys), (n,), p), i, 0.0)
    g = g @ scale2d(1.0 / (1 - 2 * i), jnp.ones((n,)))
  if 'rotate90' in ops:
    i = jnp.floor(jax.random.uniform(next(keys), (n,)) * 4)
    i = jnp.where(_chosen(next(keys), (n,), p), i, 0.0)
    g = g @ rotate2d(np.pi / 2 * i)
  if 'xint' in ops:
    t = (jax.random.uniform(next(keys), (n, 2)) * 2 - 1) * XINT_MAX
    t = jnp.where(_chosen(next(keys), (n, 1), p), t, 0.0)
    g = g @ translate2d(-jnp.round(t[:, 0] * w), -jnp.round(t[:, 1] * h))
  if 'scale' in ops:
    s = jnp.exp2(jax.random.normal(next(keys), (n,)) * SCALE_STD)
    s = jnp.where(_chosen(next(keys), (n,), p), s, 1.0)
    g = g @ scale2d(1.0 / s, 1.0 / s)
  p_rot = 1.0 - jnp.sqrt(jnp.clip(1.0 - p, 0.0, 1.0))  # P(before or after) = p
  if 'rotate' in ops:
    theta = (jax.random.uniform(next(keys), (n,)) * 2 - 1) * np.pi * ROTATE_MAX
    theta = jnp.where(_chosen(next(keys), (n,), p_rot), theta, 0.0)
    g = g @ rotate2d(theta)                 # before the anisotropic scale
  if 'aniso' in ops:
    s = jnp.exp2(jax.random.normal(next(keys), (n,)) * ANISO_STD)
    s = jnp.where(_chosen(next(keys), (n,), p), s, 1.0)
    g = g @ scale2d(1.0 / s, s)
  if 'rotate' in ops:
    theta = (jax.random.uniform(next(keys), (n,)) * 2 - 1) * np.pi * ROTATE_MAX
    theta = jnp.where(_chosen(next(keys), (n,), p_rot), theta, 0.0)
    g = g @ rotate2d(theta)                 # after it
  if 'xfrac' in ops:
    t = jax.random.normal(next(keys), (n, 2)) * XFRAC_STD
    t = jnp.where(_chosen(next(keys), (n, 1), p), t, 0.0)
    g = g @ translate2d(-t[:, 0] * w, -t[:, 1] * h)
  return g


def color_matrix(key, n: int, channels: int, p, ops):
  """C (n, 4, 4) acting on homogeneous RGB."""
  keys = iter(jax.random.split(key, 10))
  c = jnp.broadcast_to(jnp.eye(4), (n, 4, 4))
  v = jnp.asarray(LUMA, jnp.float32)
  vv = jnp.outer(v, v)
  if 'brightness' in ops:
    b = jax.random.normal(next(keys), (n,)) * BRIGHTNESS_STD
    b = jnp.where(_chosen(next(keys), (n,), p), b, 0.0)
    c = translate3d(b) @ c
  if 'contrast' in ops:
    s = jnp.exp2(jax.random.normal(next(keys), (n,)) * CONTRAST_STD)
    s = jnp.where(_chosen(next(keys), (n,), p), s, 1.0)
    c = scale3d(s) @ c
  if 'lumaflip' in ops:
    i = jnp.floor(jax.random.uniform(next(keys), (n, 1, 1)) * 2)
    i = jnp.where(_chosen(next(keys), (n, 1, 1), p), i, 0.0)
    c = (jnp.eye(4) - 2 * vv * i) @ c
  if 'hue' in ops and channels > 1:
    theta = (jax.random.uniform(next(keys), (n,)) * 2 - 1) * np.pi * HUE_MAX
    theta = jnp.where(_chosen(next(keys), (n,), p), theta, 0.0)
    c = rotate3d(v, theta) @ c
  if 'saturation' in ops and channels > 1:
    s = jnp.exp2(jax.random.normal(next(keys), (n, 1, 1)) * SATURATION_STD)
    s = jnp.where(_chosen(next(keys), (n, 1, 1), p), s, 1.0)
    c = (vv + (jnp.eye(4) - vv) * s) @ c
  return c


# -- applying them -----------------------------------------------------------------------

def _bilinear(x, px, py):
  """grid_sample (bilinear, zeros outside) of NHWC x at pixel coordinates (n, H, W)."""
  n, h, w, c = x.shape
  flat = x.reshape(n, h * w, c)
  x0, y0 = jnp.floor(px), jnp.floor(py)
  out = 0.0
  for dy in (0, 1):
    for dx in (0, 1):
      xi, yi = x0 + dx, y0 + dy
      weight = (1 - jnp.abs(px - xi)) * (1 - jnp.abs(py - yi))
      inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
      idx = (jnp.clip(yi, 0, h - 1) * w + jnp.clip(xi, 0, w - 1)).astype(jnp.int32)
      vals = jnp.take_along_axis(flat, idx.reshape(n, -1, 1), axis=1)
      out = out + vals.reshape(idx.shape + (c,)) * (weight * inside)[..., None]
  return out


def apply_geometric(images, g_inv):
  """The reference's execution of G_inv (NHWC), with the static padding."""
  n, h, w, _ = images.shape
  taps = SYM6 / SYM6.sum()
  hz_pad = len(taps) // 4
  mx, my = w - 1, h - 1
  x = jnp.pad(images, ((0, 0), (my, my), (mx, mx), (0, 0)), mode='reflect')
  # x2 upsampling (upfirdn2d.upsample2d: pad ((k + 1) // 2, k // 2 - 1), gain 2 per
  # axis, the filter flipped: a true convolution).
  up_pad = ((len(taps) + 1) // 2, (len(taps) - 2) // 2)
  for axis in (1, 2):
    x = fir_axis(x, taps[::-1] * 2.0, 2, 1, up_pad, axis)
  g = scale2d(jnp.full((n,), 2.0), jnp.full((n,), 2.0)) @ g_inv @ scale2d(
      jnp.full((n,), 0.5), jnp.full((n,), 0.5))
  half = jnp.full((n,), 0.5)
  g = translate2d(-half, -half) @ g @ translate2d(half, half)
  # Output grid of (size + 2 hz_pad) x 2 pixels; centred coordinates.
  ho, wo = (h + 2 * hz_pad) * 2, (w + 2 * hz_pad) * 2
  hi, wi = x.shape[1:3]
  ys = jnp.arange(ho, dtype=jnp.float32) - (ho - 1) / 2
  xs = jnp.arange(wo, dtype=jnp.float32) - (wo - 1) / 2
  gx = g[:, 0, 0, None, None] * xs[None, None, :] + g[:, 0, 1, None, None] * ys[None, :, None] \
      + g[:, 0, 2, None, None]
  gy = g[:, 1, 0, None, None] * xs[None, None, :] + g[:, 1, 1, None, None] * ys[None, :, None] \
      + g[:, 1, 2, None, None]
  x = _bilinear(x, gx + (wi - 1) / 2, gy + (hi - 1) / 2)
  # x2 downsampling (downsample2d with padding -2 hz_pad, flip_filter: correlation).
  down_pad = (-2 * hz_pad + (len(taps) - 1) // 2, -2 * hz_pad + (len(taps) - 2) // 2)
  for axis in (1, 2):
    x = fir_axis(x, taps, 1, 2, down_pad, axis)
  return x


def apply_color(images, c):
  channels = images.shape[-1]
  if channels == 3:
    return jnp.einsum('nhwj,nij->nhwi', images, c[:, :3, :3]) + c[:, None, None, :3, 3]
  row = jnp.mean(c[:, :3, :], axis=1)                       # grey: the mean of the rows
  return images * jnp.sum(row[:, :3], axis=1)[:, None, None, None] + row[:, 3, None, None, None]


def augment(images, key, p, pipe: str):
  """The pipe's transforms on NHWC images, each with probability p."""
  ops = PIPES[pipe]
  n, h, w, channels = images.shape
  k_geom, k_color = jax.random.split(key)
  if any(op in GEOMETRIC for op in ops):
    images = apply_geometric(images, geometric_matrix(k_geom, n, h, w, p, ops))
  if any(op not in GEOMETRIC for op in ops):
    images = apply_color(images, color_matrix(k_color, n, channels, p, ops))
  return images
