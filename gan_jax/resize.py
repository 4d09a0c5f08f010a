"""MATLAB's imresize(x, 1/s, 'bicubic') (antialiased), the resizer behind the
low-resolution inputs of published super-resolution tables (SRGAN, EDSR,
DIV2K's bicubic track): Keys' cubic kernel with a = -0.5, stretched by s when
shrinking (so it averages over the footprint of each output pixel), weights
normalised to sum 1, and the image mirrored at its borders ('symmetric').

Pillow's BICUBIC resize is the same kernel and antialiasing but clips the
kernel at the borders instead of mirroring: the two agree away from the edges
(tests/test_srgan.py checks that), and differ within about 2 s pixels of them.
"""

import math

import jax.numpy as jnp
import numpy as np


def _cubic(x):
  ax = np.abs(x)
  return np.where(ax <= 1, 1.5 * ax**3 - 2.5 * ax**2 + 1,
                  np.where(ax <= 2, -0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2, 0.0))


def _weights(in_len: int, out_len: int, scale: float):
  """(indices (out, P), weights (out, P)) of one axis, as MATLAB's contributions()."""
  kernel_width = 4.0 / scale if scale < 1 else 4.0
  x = np.arange(1, out_len + 1, dtype=np.float64)
  u = x / scale + 0.5 * (1 - 1 / scale)          # output pixel centre in input coordinates
  left = np.floor(u - kernel_width / 2)
  taps = int(math.ceil(kernel_width)) + 2
  idx = left[:, None] + np.arange(taps)[None, :]  # 1-based
  dist = u[:, None] - idx
  w = scale * _cubic(scale * dist) if scale < 1 else _cubic(dist)
  w = w / np.sum(w, axis=1, keepdims=True)
  mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])
  idx = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
  keep = np.any(w != 0, axis=0)                   # MATLAB drops all-zero columns
  return idx[:, keep], w[:, keep]


def imresize(images, scale: float):
  """(N, H, W, C) or (H, W, C) float array -> resized by `scale` (1/4 for x4 LR
  inputs), in float64 with no rounding; the caller rounds to uint8 if it stores."""
  x = np.asarray(images, np.float64)
  single = x.ndim == 3
  if single:
    x = x[None]
  n, h, w, c = x.shape
  out_h, out_w = int(math.ceil(h * scale)), int(math.ceil(w * scale))
  for axis, (length, out_len) in ((1, (h, out_h)), (2, (w, out_w))):
    idx, wts = _weights(length, out_len, scale)
    gathered = np.take(x, idx, axis=axis)         # (..., out, P, ...)
    shape = [1] * gathered.ndim
    shape[axis], shape[axis + 1] = wts.shape
    x = np.sum(gathered * wts.reshape(shape), axis=axis + 1)
  return x[0] if single else x


def resize_matrix(in_len: int, scale: float) -> np.ndarray:
  """The (out, in) matrix of one axis of imresize: a linear map, so that a batch
  can be resized inside a jitted step as two matrix products."""
  out_len = int(math.ceil(in_len * scale))
  idx, wts = _weights(in_len, out_len, scale)
  m = np.zeros((out_len, in_len))
  np.add.at(m, (np.repeat(np.arange(out_len), idx.shape[1]), idx.reshape(-1)), wts.reshape(-1))
  return m


def imresize_jax(images, scale: float):
  """imresize of (N, H, W, C) inside jit (float32; the same numbers within rounding)."""
  _, h, w, _ = images.shape
  mh = jnp.asarray(resize_matrix(h, scale), images.dtype)
  mw = jnp.asarray(resize_matrix(w, scale), images.dtype)
  return jnp.einsum('oh,nhwc,pw->nopc', mh, images, mw)

