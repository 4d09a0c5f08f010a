"""Old-photo degradations, drawn inside jit from a key, so that a step's degraded
inputs are decided by (seed, step) as its batch is.

Each degradation has a probability p and a range [min, max] its strength is
drawn from, per image (config.degrade.<name>.p / .min / .max). They are applied
in the order a print ages and is then scanned (after Wan et al. 2020, "Bringing
old photos back to life", sec. 3.3):
  fade      blend towards a faded sepia print: strength in [0, 1] (1 = all sepia,
            contrast halved, blacks lifted to 0.25);
  blur      Gaussian blur, sigma in pixels;
  lowres    down by an integer factor and back (MATLAB's bicubic imresize), factor
            in [min, max] (2 to 4);
  scratches bright thin lines across the print: how many (integer range);
  dust      dark and bright specks: how many (integer range);
  grain     film grain: monochrome noise blurred by one pixel, its std in [0, 1]
            intensity units;
  noise     Gaussian noise per channel, std in [0, 1] intensity units;
  jpeg      JPEG compression at a quality in [min, max] (libjpeg's quality scaling of
            the standard tables, 4:2:0 chroma; entropy coding is lossless, so it
            is left out: the rest is the codec's whole loss).
Images are (N, H, W, C) in [-1, 1], RGB or grey; the result is rounded to 8-bit
levels, as a scanned file holds.
"""

import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from gan_jax.errors import UserError
from gan_jax.masks import segment_distance
from gan_jax.resize import imresize_jax

ORDER = ('fade', 'blur', 'lowres', 'scratches', 'dust', 'grain', 'noise', 'jpeg')
LOWRES_FACTORS = (2, 3, 4)
BLUR_RADIUS = 8          # the Gaussian kernel's half width in pixels (sigma up to ~2.7)

# ITU T.81 Annex K: the standard luminance and chrominance quantisation tables.
JPEG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], np.float32)
JPEG_CHROMA = np.array([
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32, np.float32)


def default_config() -> ml_collections.ConfigDict:
  """The restore_photos demo's pipeline: every kind, each with probability 1/2."""
  def d(p, lo, hi):
    return ml_collections.ConfigDict(dict(p=p, min=lo, max=hi))
  return ml_collections.ConfigDict(dict(
      fade=d(0.5, 0.2, 0.8), blur=d(0.5, 0.5, 1.5), lowres=d(0.3, 2, 3),
      scratches=d(0.5, 1, 4), dust=d(0.5, 5, 30), grain=d(0.5, 0.02, 0.06),
      noise=d(0.5, 0.01, 0.05), jpeg=d(0.5, 30, 80)))


def check(cfg) -> None:
  """Names and ranges of config.degrade, before any compute."""
  unknown = sorted(set(cfg.keys()) - set(ORDER))
  if unknown:
    raise UserError(f'config.data.degrade has {unknown}; allowed: {", ".join(ORDER)}')
  for name in ORDER:
    c = cfg[name]
    if not 0.0 <= c.p <= 1.0:
      raise UserError(f'config.data.degrade.{name}.p={c.p}; a probability is in [0, 1]')
    if c.min > c.max or c.min < 0:
      raise UserError(f'config.data.degrade.{name}: min={c.min}, max={c.max}; need 0 <= min <= max')
  if not (LOWRES_FACTORS[0] <= cfg.lowres.min and cfg.lowres.max <= LOWRES_FACTORS[-1]):
    raise UserError(f'config.data.degrade.lowres: min={cfg.lowres.min}, max={cfg.lowres.max}; '
                    f'factors are {LOWRES_FACTORS[0]} to {LOWRES_FACTORS[-1]}')
  if not (1 <= cfg.jpeg.min and cfg.jpeg.max <= 100):
    raise UserError(f'config.data.degrade.jpeg: min={cfg.jpeg.min}, max={cfg.jpeg.max}; JPEG '
                    'qualities are 1 to 100')
  if cfg.blur.max * 3 > BLUR_RADIUS:
    raise UserError(f'config.data.degrade.blur.max={cfg.blur.max}; at most {BLUR_RADIUS / 3:.2f} '
                    'pixels (the kernel is 3 sigma wide)')


# -- the degradations, on one image (H, W, C) in [0, 1] -----------------------------

def _gray(x):
  if x.shape[-1] == 1:
    return x
  return (0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2])[..., None]


def fade(x, strength):
  """Towards sepia (the classic sepia matrix), lower contrast, lifted blacks."""
  g = _gray(x)
  tone = jnp.asarray([1.07, 0.74, 0.43]) if x.shape[-1] == 3 else jnp.ones((1,))
  aged = jnp.clip(0.25 + 0.5 * g * tone, 0.0, 1.0)
  return (1 - strength) * x + strength * aged


def gaussian_kernel(sigma, radius: int = BLUR_RADIUS):
  t = jnp.arange(-radius, radius + 1, dtype=jnp.float32)
  k = jnp.exp(-0.5 * jnp.square(t / jnp.maximum(sigma, 1e-3)))
  return k / jnp.sum(k)


def blur(x, sigma, radius: int = BLUR_RADIUS):
  """Separable Gaussian blur, reflected at the borders (scipy's 'mirror' mode)."""
  k = gaussian_kernel(sigma, radius)
  p = jnp.pad(x, ((radius, radius), (radius, radius), (0, 0)), mode='reflect')
  h, w = x.shape[:2]
  rows = sum(k[i] * p[i:i + h] for i in range(2 * radius + 1))
  return sum(k[i] * rows[:, i:i + w] for i in range(2 * radius + 1))


def lowres(x, factor):
  """Bicubic down by `factor` (traced, one of LOWRES_FACTORS) and back up."""
  h, w = x.shape[:2]
  outs = [imresize_jax(imresize_jax(x[None], 1.0 / f), f)[0, :h, :w] for f in LOWRES_FACTORS]
  return jnp.select([factor == f for f in LOWRES_FACTORS], outs, x)


def _lines(key, count, h, w, max_count: int, length, width, curve: float):
  """(H, W) in [0, 1]: up to max_count thin segments (the first `count`), soft-edged."""
  s = float(min(h, w))
  y, x = jnp.meshgrid((jnp.arange(h) + 0.5) / s, (jnp.arange(w) + 0.5) / s, indexing='ij')
  k_a, k_angle, k_len, k_bend = jax.random.split(key, 4)
  a = jax.random.uniform(k_a, (max_count, 2)) * jnp.asarray([h / s, w / s])
  angle = jax.random.uniform(k_angle, (max_count,), maxval=2 * math.pi)
  ln = jax.random.uniform(k_len, (max_count,), minval=length[0], maxval=length[1])
  mid = a + 0.5 * ln[:, None] * jnp.stack([jnp.sin(angle), jnp.cos(angle)], -1)
  bend = jax.random.normal(k_bend, (max_count,)) * curve
  mid = mid + bend[:, None] * jnp.stack([jnp.cos(angle), -jnp.sin(angle)], -1)
  b = a + ln[:, None] * jnp.stack([jnp.sin(angle), jnp.cos(angle)], -1)
  d = jnp.minimum(segment_distance(y, x, a, mid), segment_distance(y, x, mid, b))   # (S, H, W)
  soft = jnp.clip(1.0 - d * s / width, 0.0, 1.0)
  used = jnp.arange(max_count) < count
  return jnp.max(soft * used[:, None, None], axis=0)


def scratches(key, x, count):
  """Long thin bright lines (at most 8)."""
  h, w = x.shape[:2]
  m = _lines(key, count, h, w, 8, (0.4, 1.2), 0.8, 0.05)[..., None]
  return x + m * (0.9 - x)


def dust(key, x, count):
  """Specks of one to two pixels (at most 40), half dark and half bright."""
  h, w = x.shape[:2]
  keys = jax.random.split(key, 2)
  n_bright = count // 2
  bright = _lines(keys[0], n_bright, h, w, 20, (0.0, 0.02), 1.2, 0.0)[..., None]
  dark = _lines(keys[1], count - n_bright, h, w, 20, (0.0, 0.02), 1.2, 0.0)[..., None]
  return (x + bright * (0.95 - x)) * (1 - 0.9 * dark)


def grain(key, x, std):
  """Monochrome noise, blurred by sigma 0.7 px (the grain is larger than a pixel)."""
  n = jax.random.normal(key, x.shape[:2] + (1,))
  n = blur(n, 0.7, 2)
  return x + std * n / jnp.maximum(jnp.std(n), 1e-6)


def noise(key, x, std):
  return x + std * jax.random.normal(key, x.shape)


def _dct_matrix():
  """The orthonormal 8-point DCT-II as a matrix (rows: frequencies)."""
  k, n = np.meshgrid(np.arange(8), np.arange(8), indexing='ij')
  m = np.cos((2 * n + 1) * k * np.pi / 16) * np.sqrt(2 / 8)
  m[0] /= np.sqrt(2)
  return jnp.asarray(m, jnp.float32)


def quant_table(base, quality):
  """libjpeg's jpeg_quality_scaling + jpeg_add_quant_table (baseline: up to 255)."""
  q = jnp.clip(quality, 1, 100)
  scale = jnp.where(q < 50, 5000.0 / q, 200.0 - 2.0 * q)
  return jnp.clip(jnp.floor((base * scale + 50.0) / 100.0), 1.0, 255.0).reshape(8, 8)


def _code_plane(plane, table):
  """One channel (H, W) in [0, 255], H and W multiples of 8: DCT, quantise, back."""
  h, w = plane.shape
  d = _dct_matrix()
  blocks = (plane - 128.0).reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
  coef = jnp.einsum('ij,abjk,lk->abil', d, blocks, d)
  coef = jnp.round(coef / table) * table
  back = jnp.einsum('ji,abjk,kl->abil', d, coef, d)
  return back.transpose(0, 2, 1, 3).reshape(h, w) + 128.0


def jpeg(x, quality):
  """x (H, W, C) in [0, 1] -> its JPEG at `quality` (traced), decoded, in [0, 1]."""
  h, w, c = x.shape
  ph, pw = -(-h // 16) * 16, -(-w // 16) * 16
  v = jnp.pad(jnp.round(jnp.clip(x, 0, 1) * 255.0), ((0, ph - h), (0, pw - w), (0, 0)),
              mode='edge')
  luma_q = quant_table(jnp.asarray(JPEG_LUMA), quality)
  if c == 1:
    out = jnp.round(_code_plane(v[..., 0], luma_q))[..., None]
    return jnp.clip(out[:h, :w], 0, 255) / 255.0
  r, g, b = v[..., 0], v[..., 1], v[..., 2]
  y = 0.299 * r + 0.587 * g + 0.114 * b                       # JFIF full-range YCbCr
  cb = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b
  cr = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b
  chroma_q = quant_table(jnp.asarray(JPEG_CHROMA), quality)
  y = _code_plane(jnp.round(y), luma_q)

  def chroma(p):
    small = jnp.round(p.reshape(ph // 2, 2, pw // 2, 2).mean(axis=(1, 3)))   # 4:2:0
    coded = _code_plane(small, chroma_q)
    return jax.image.resize(coded, (ph, pw), 'linear')   # libjpeg's fancy (triangle) upsampling
  cb, cr = chroma(cb) - 128.0, chroma(cr) - 128.0
  rgb = jnp.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], -1)
  return jnp.clip(jnp.round(rgb[:h, :w]), 0, 255) / 255.0


# -- the pipeline ----------------------------------------------------------------------

def _draw(key, c, integer: bool):
  """(applied?, strength) of one degradation for one image."""
  k_p, k_s = jax.random.split(key)
  on = jax.random.uniform(k_p) < c.p
  if integer:
    return on, jax.random.randint(k_s, (), int(c.min), int(c.max) + 1)
  return on, jax.random.uniform(k_s, (), minval=c.min, maxval=c.max)


def degrade_one(key, x, cfg):
  """One image (H, W, C) in [0, 1] through the pipeline."""
  keys = jax.random.split(key, 2 * len(ORDER))
  for i, name in enumerate(ORDER):
    c = cfg[name]
    if c.p <= 0:
      continue
    on, s = _draw(keys[2 * i], c, name in ('lowres', 'scratches', 'dust'))
    k = keys[2 * i + 1]
    if name == 'fade':
      y = fade(x, s)
    elif name == 'blur':
      y = blur(x, s)
    elif name == 'lowres':
      y = lowres(x, s)
    elif name == 'scratches':
      y = scratches(k, x, s)
    elif name == 'dust':
      y = dust(k, x, s)
    elif name == 'grain':
      y = grain(k, x, s)
    elif name == 'noise':
      y = noise(k, x, s)
    else:
      y = jpeg(x, s)
    x = jnp.where(on, jnp.clip(y, 0.0, 1.0), x)
  return x


def degrade(key, images, cfg):
  """(N, H, W, C) in [-1, 1] -> degraded, in 8-bit levels of [-1, 1]; one draw per image."""
  x = (images + 1.0) / 2.0
  out = jax.vmap(lambda k, im: degrade_one(k, im, cfg))(jax.random.split(key, len(images)), x)
  return jnp.round(jnp.clip(out, 0.0, 1.0) * 255.0) / 127.5 - 1.0
