"""Total-variation denoising (Chambolle 2004) in JAX, as scikit-image's
`denoise_tv_chambolle(image, weight, channel_axis=-1)` computes it: each channel
of each image on its own, the dual projection step tau = 1/4, at most
`max_iterations`, stopping a channel when its energy changes by less than
eps x its first energy. Batched, inside the compiled program: a channel that has
stopped keeps its result while the others go on.

Why: the restoration method's `model.prefill='tv'` starts its network from this
denoised image and lets it learn only the correction.
"""

import jax
import jax.numpy as jnp


def _divergence(p):
  """scikit-image's d = -sum(p) with p[axis] shifted by one along its axis added."""
  py, px = p
  d = -(py + px)
  d = d.at[:, 1:].add(py[:, :-1])
  return d.at[:, :, 1:].add(px[:, :, :-1])


def _gradient(u):
  """Forward differences; the last row (column) is 0."""
  gy = jnp.zeros_like(u).at[:, :-1].set(u[:, 1:] - u[:, :-1])
  gx = jnp.zeros_like(u).at[:, :, :-1].set(u[:, :, 1:] - u[:, :, :-1])
  return jnp.stack([gy, gx])


def tv_denoise(images, weight: float = 0.1, eps: float = 2e-4, max_iterations: int = 200):
  """(N, H, W, C) float images -> denoised, channel by channel (scikit-image's
  weight: the larger, the smoother, in the images' own units)."""
  f = jnp.moveaxis(jnp.asarray(images, jnp.float32), -1, 1)      # (N, C, H, W)
  n, c, h, w = f.shape
  f = f.reshape(n * c, h, w)
  tau, size = 0.25, h * w
  per_channel = lambda x: jnp.sum(x, axis=(1, 2))

  def step(i, carry):
    p, out, e_init, e_prev, done = carry
    d = jnp.where(i > 0, _divergence(p), 0.0)
    new_out = f + d
    g = _gradient(new_out)
    norm = jnp.sqrt(jnp.sum(g ** 2, axis=0))
    energy = (per_channel(d ** 2) + weight * per_channel(norm)) / size
    new_p = (p - tau * g) / (1.0 + norm * tau / weight)
    e_init = jnp.where(i == 0, energy, e_init)
    stops = (i > 0) & (jnp.abs(e_prev - energy) < eps * e_init)
    live = ~done
    out = jnp.where(live[:, None, None], new_out, out)
    p = jnp.where((live & ~stops)[None, :, None, None], new_p, p)
    e_prev = jnp.where(live & ~stops, energy, e_prev)
    return p, out, e_init, e_prev, done | stops

  zeros = jnp.zeros((n * c,), jnp.float32)
  carry = (jnp.zeros((2, n * c, h, w), jnp.float32), f, zeros, zeros,
           jnp.zeros((n * c,), bool))
  _, out, *_ = jax.lax.fori_loop(0, max_iterations, step, carry)
  return jnp.moveaxis(out.reshape(n, c, h, w), 1, -1)
