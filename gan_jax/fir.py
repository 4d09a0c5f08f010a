"""Separable FIR resampling (upfirdn2d's work) as shifted multiply-adds along one
axis at a time: XLA fuses them into one elementwise loop; a depthwise
convolution ran 30 times slower on the CPU (bench/RESULTS.md,
StyleGAN2-ADA)."""

import jax.numpy as jnp


def fir_axis(x, taps, up: int, down: int, pad, axis: int):
  """upfirdn along one axis: zeros after each sample (up), pad (negative crops),
  correlate with `taps`, keep every `down`-th."""
  x = jnp.moveaxis(x, axis, -1)
  shape = x.shape
  if up > 1:
    x = jnp.stack([x] + [jnp.zeros_like(x)] * (up - 1), axis=-1).reshape(shape[:-1] + (-1,))
  lo, hi = pad
  x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(max(lo, 0), max(hi, 0))])
  x = x[..., max(-lo, 0): x.shape[-1] - max(-hi, 0)]
  k = len(taps)
  out_len = x.shape[-1] - k + 1
  y = sum(float(taps[j]) * x[..., j: j + out_len] for j in range(k))
  y = y[..., ::down] if down > 1 else y
  return jnp.moveaxis(y, -1, axis)
