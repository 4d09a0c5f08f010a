"""Biharmonic hole filling in JAX: the smoothest completion of an image's known
pixels, computed inside the compiled program.

The fill u minimises sum(|L u|^2) over the image, with L the 5-point graph
Laplacian (edge pixels have fewer neighbours) and u fixed to the image outside
the hole. Its optimality condition is (L^2 u) = 0 at every hole pixel: in the
interior the 13-point biharmonic stencil: the system scikit-image's
`inpaint_biharmonic` solves with a sparse direct solver (tests/test_inpainting.py
finds the same solution, border holes included, except that scikit-image clips it
to the image's range). Here it is solved by conjugate gradients on the
hole's pixels (the system H L^2 H is symmetric positive definite there), batched
over images and channels, and started from the fill of the half-resolution image
(mask-weighted 2 x 2 averages), so that large holes converge in a fixed number of
iterations.

Why: the inpainting method's `model.prefill='biharmonic'` starts its network from
this fill and lets it learn only the correction. The fill reads only the known
pixels, so the method's output still does not depend on the hole's values.
"""

import jax
import jax.numpy as jnp

COARSEST = 8          # no half-resolution start below this many pixels on a side
ITERATIONS = 400      # per resolution; scikit-image's solution to 1e-4 on 48 px photo crops
                      # with 10-40 % holes (100 leave up to 0.018 per hole pixel)


def laplacian(u):
  """The graph Laplacian of an (N, H, W, C) image: each pixel's 4-neighbour sum
  minus its value times its number of neighbours (symmetric, so L^T L = L^2)."""
  p = jnp.pad(u, ((0, 0), (1, 1), (1, 1), (0, 0)), mode='edge')
  return p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:] - 4 * u


def _solve(known, hole, start, iterations):
  """Conjugate gradients for H L^2 (known + H v) = 0, from v = start (on the hole)."""
  h = jnp.broadcast_to(hole, known.shape)
  apply = lambda v: h * laplacian(laplacian(h * v))
  dot = lambda a, b: jnp.sum(a * b, axis=(1, 2), keepdims=True)
  b = -h * laplacian(laplacian(known))
  v = h * start
  r = b - apply(v)
  p, rr = r, dot(r, r)

  def step(_, carry):
    v, r, p, rr = carry
    ap = apply(p)
    pap = dot(p, ap)
    alpha = jnp.where(pap > 0, rr / jnp.where(pap > 0, pap, 1.0), 0.0)
    v, r = v + alpha * p, r - alpha * ap
    rr_new = dot(r, r)
    beta = jnp.where(rr > 0, rr_new / jnp.where(rr > 0, rr, 1.0), 0.0)
    return v, r, r + beta * p, rr_new

  v, *_ = jax.lax.fori_loop(0, iterations, step, (v, r, p, rr))
  return known + h * v


def _half(images, hole):
  """Mask-weighted 2 x 2 averages; a coarse pixel is a hole where all four are."""
  n, hh, ww, c = images.shape
  valid = jnp.broadcast_to(1.0 - hole, images.shape)
  pool = lambda x: x.reshape(n, hh // 2, 2, ww // 2, 2, x.shape[-1]).sum(axis=(2, 4))
  weight = pool(valid)
  coarse = pool(images * valid) / jnp.maximum(weight, 1.0)
  return coarse, (pool(hole) >= 4).astype(images.dtype)


def biharmonic_fill(images, hole, iterations: int = ITERATIONS):
  """(N, H, W, C) images, (N, H, W, 1) hole (1 = missing) -> the images with each
  hole filled biharmonically. Known pixels are returned unchanged; the hole's
  values are never read. Not differentiated (a fixed input, like the data)."""
  images = jax.lax.stop_gradient(images.astype(jnp.float32))
  hole = jax.lax.stop_gradient(hole.astype(jnp.float32))
  known = images * (1.0 - hole)
  _, hh, ww, _ = images.shape
  if hh % 2 == 0 and ww % 2 == 0 and min(hh, ww) // 2 >= COARSEST:
    coarse = biharmonic_fill(*_half(known, hole), iterations)
    start = jnp.repeat(jnp.repeat(coarse, 2, axis=1), 2, axis=2)
  else:  # each image and channel's mean known value
    count = jnp.maximum(jnp.sum(1.0 - hole, axis=(1, 2), keepdims=True), 1.0)
    start = jnp.broadcast_to(jnp.sum(known, axis=(1, 2), keepdims=True) / count, images.shape)
  return _solve(known, hole, start, iterations)
