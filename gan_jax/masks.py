"""Hole masks for inpainting, drawn inside jit from a key, so that a step's masks
are decided by (seed, step) as its batch is.

A mask is (N, H, W, 1) float32: 1 where the pixel is missing (the hole), 0 where
it is known. Kinds:
  'rect'   one axis-aligned rectangle per image, its area the drawn ratio of the
           image (aspect ratio between 1:2 and 2:1), anywhere inside it;
  'stroke' free-form brush strokes as DeepFill v2 draws its training masks (Yu et
           al. 2019, sec. 3.2): random walks of 4 to 12 vertices, each turn up
           to 2 pi / 5, strokes of round brushes with widths 5 % to 15 % of the
           image side. Strokes are added until the hole covers the drawn ratio
           (the last one may overshoot it; at most MAX_STROKES);
  'mixed'  either of the two, with probability 1/2 each.
The ratio of each image is drawn uniformly from [min_ratio, max_ratio].
"""

import math

import jax
import jax.numpy as jnp

from gan_jax.errors import UserError

KINDS = ('rect', 'stroke', 'mixed')
MAX_STROKES = 10
MAX_VERTICES = 12


def check(kind: str, min_ratio: float, max_ratio: float) -> None:
  if kind not in KINDS:
    raise UserError(f'config.data.mask.kind={kind!r}; allowed: {", ".join(KINDS)}')
  if not 0.0 < min_ratio <= max_ratio < 1.0:
    raise UserError(f'config.data.mask.min_ratio={min_ratio}, max_ratio={max_ratio}: need '
                    '0 < min_ratio <= max_ratio < 1 (the fraction of the image that is hole)')


def _grid(h: int, w: int):
  """Pixel centres (H, W) in units of the image's shorter side."""
  s = float(min(h, w))
  y, x = jnp.meshgrid((jnp.arange(h) + 0.5) / s, (jnp.arange(w) + 0.5) / s, indexing='ij')
  return y, x


def segment_distance(y, x, a, b):
  """Distance of each pixel (y, x) (H, W) to each segment a -> b ((S, 2) as (y, x)):
  (S, H, W). A segment of zero length is a point (the brush's round end)."""
  ay, ax, by, bx = (v[:, None, None] for v in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
  dy, dx = by - ay, bx - ax
  t = ((y - ay) * dy + (x - ax) * dx) / jnp.maximum(dy * dy + dx * dx, 1e-12)
  t = jnp.clip(t, 0.0, 1.0)
  return jnp.hypot(y - (ay + t * dy), x - (ax + t * dx))


def rectangle(key, ratio, h: int, w: int):
  """(H, W) with one rectangle of area ~ ratio x H x W set to 1."""
  k_aspect, k_y, k_x = jax.random.split(key, 3)
  aspect = jnp.exp(jax.random.uniform(k_aspect, (), minval=-math.log(2), maxval=math.log(2)))
  rh = jnp.clip(jnp.round(jnp.sqrt(ratio * aspect) * h), 1, h)
  rw = jnp.clip(jnp.round(ratio * h * w / rh), 1, w)
  top = jnp.floor(jax.random.uniform(k_y, ()) * (h - rh + 1))
  left = jnp.floor(jax.random.uniform(k_x, ()) * (w - rw + 1))
  yy, xx = jnp.arange(h)[:, None], jnp.arange(w)[None, :]
  inside = (yy >= top) & (yy < top + rh) & (xx >= left) & (xx < left + rw)
  return inside.astype(jnp.float32)


def one_stroke(key, y, x):
  """(H, W) of one free-form stroke: a brush dragged along a random walk."""
  k_start, k_n, k_angle, k_turn, k_len, k_width = jax.random.split(key, 6)
  extent = jnp.asarray([y.shape[0], y.shape[1]], jnp.float32) / min(y.shape)
  start = jax.random.uniform(k_start, (2,)) * extent
  n_vertices = jax.random.randint(k_n, (), 4, MAX_VERTICES + 1)
  turns = jax.random.uniform(k_turn, (MAX_VERTICES,), minval=-1.0, maxval=1.0) * (2 * math.pi / 5)
  angles = jax.random.uniform(k_angle, (), maxval=2 * math.pi) + jnp.cumsum(turns)
  lengths = jax.random.uniform(k_len, (MAX_VERTICES,), minval=0.05, maxval=0.2)
  steps = jnp.stack([jnp.sin(angles), jnp.cos(angles)], -1) * lengths[:, None]
  points = jnp.clip(start + jnp.cumsum(steps, axis=0), 0.0, extent)
  points = jnp.concatenate([start[None], points])
  width = jax.random.uniform(k_width, (), minval=0.05, maxval=0.15)
  d = segment_distance(y, x, points[:-1], points[1:])
  used = jnp.arange(MAX_VERTICES) < n_vertices - 1
  return jnp.any((d <= width / 2) & used[:, None, None], axis=0).astype(jnp.float32)


def strokes(key, ratio, h: int, w: int):
  """(H, W): strokes added one by one until their union covers `ratio` of the image."""
  y, x = _grid(h, w)
  each = jax.vmap(lambda k: one_stroke(k, y, x))(jax.random.split(key, MAX_STROKES))
  union = jax.lax.cummax(each, axis=0)
  coverage = jnp.mean(union, axis=(1, 2))
  enough = jnp.argmax(coverage >= ratio)        # the first union that covers the ratio
  last = jnp.where(coverage[-1] >= ratio, enough, MAX_STROKES - 1)
  return union[last]


def random_masks(key, n: int, h: int, w: int, kind: str = 'mixed', min_ratio: float = 0.1,
                 max_ratio: float = 0.4):
  """(n, h, w, 1) hole masks of `kind`, one independent draw per image."""
  check(kind, min_ratio, max_ratio)

  def one(k):
    k_ratio, k_kind, k_rect, k_stroke = jax.random.split(k, 4)
    ratio = jax.random.uniform(k_ratio, (), minval=min_ratio, maxval=max_ratio)
    if kind == 'rect':
      return rectangle(k_rect, ratio, h, w)
    if kind == 'stroke':
      return strokes(k_stroke, ratio, h, w)
    use_rect = jax.random.bernoulli(k_kind)
    return jnp.where(use_rect, rectangle(k_rect, ratio, h, w), strokes(k_stroke, ratio, h, w))
  return jax.vmap(one)(jax.random.split(key, n))[..., None]
