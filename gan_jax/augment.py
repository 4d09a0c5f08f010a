"""DiffAugment (Zhao et al. 2020): differentiable augmentations applied to the
real and the fake images D sees, so G still gets gradients through them.

Policy is a comma-separated subset of 'color,translation,cutout', the paper's
recommended set. Parameters follow the official implementation: brightness
+U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5), translation up to
1/8 of the size with zero fill, one cutout square of half the size.
Everything is drawn per sample from the given key, so a fixed key gives the
same augmentation for the same batch.
"""

import jax
import jax.numpy as jnp

from gan_jax.errors import UserError

POLICIES = ('color', 'translation', 'cutout')


def check_policy(policy: str) -> None:
  bad = [p for p in policy.split(',') if p and p not in POLICIES]
  if bad:
    raise UserError(f'config.augment.policy has unknown part(s) {bad}; '
                    f'allowed: {", ".join(POLICIES)}')


def _color(x, key):
  kb, ks, kc = jax.random.split(key, 3)
  n = x.shape[0]
  x = x + (jax.random.uniform(kb, (n, 1, 1, 1)) - 0.5)
  mean = jnp.mean(x, axis=3, keepdims=True)
  x = (x - mean) * (jax.random.uniform(ks, (n, 1, 1, 1)) * 2.0) + mean
  mean = jnp.mean(x, axis=(1, 2, 3), keepdims=True)
  return (x - mean) * (jax.random.uniform(kc, (n, 1, 1, 1)) + 0.5) + mean


def _shift_rows(x, shift):
  """Per-sample shift along axis 1 with zero fill: out[i] = x[i - shift]."""
  h = x.shape[1]
  src = jnp.arange(h)[None, :] - shift[:, None]                  # (n, h)
  valid = (src >= 0) & (src < h)
  g = jnp.take_along_axis(x, jnp.clip(src, 0, h - 1)[:, :, None, None], axis=1)
  return g * valid[:, :, None, None]


def _translation(x, key, ratio=0.125):
  n, h, w, _ = x.shape
  ky, kx = jax.random.split(key)
  sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
  dy = jax.random.randint(ky, (n,), -sy, sy + 1)
  dx = jax.random.randint(kx, (n,), -sx, sx + 1)
  x = _shift_rows(x, dy)
  return jnp.swapaxes(_shift_rows(jnp.swapaxes(x, 1, 2), dx), 1, 2)


def _cutout(x, key, ratio=0.5):
  n, h, w, _ = x.shape
  ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
  ky, kx = jax.random.split(key)
  # Centre of the square, as the official code: offset in [0, size + (1 - cut % 2)).
  cy = jax.random.randint(ky, (n, 1), 0, h + (1 - ch % 2))
  cx = jax.random.randint(kx, (n, 1), 0, w + (1 - cw % 2))
  rows = jnp.arange(h)[None, :] - cy + ch // 2                    # inside when in [0, ch)
  cols = jnp.arange(w)[None, :] - cx + cw // 2
  in_r = (rows >= 0) & (rows < ch)
  in_c = (cols >= 0) & (cols < cw)
  mask = 1.0 - (in_r[:, :, None] & in_c[:, None, :]).astype(x.dtype)
  return x * mask[..., None]


_OPS = {'color': _color, 'translation': _translation, 'cutout': _cutout}


def diff_augment(x, key, policy: str):
  """Applies the policy's augmentations in order; identity for an empty policy."""
  for i, name in enumerate(p for p in policy.split(',') if p):
    x = _OPS[name](x, jax.random.fold_in(key, i))
  return x
