"""Reading and writing pretrained weight files, shared by the feature networks
(FID Inception, VGG): PyTorch state dicts (through torch, when installed), our
.npz conversions, and a fingerprint that names a set of weights in cache keys
and protocols."""

import hashlib
import os
from typing import Dict, Mapping

import jax
import numpy as np

from gan_jax.errors import UserError


def read_torch_state_dict(path: str, converter: str) -> Dict[str, np.ndarray]:
  """A PyTorch state dict as numpy arrays. Needs torch; without it the error names
  `converter` (the script that turns the file into an .npz where torch is)."""
  try:
    import torch  # pylint: disable=g-import-not-at-top  (optional: only .pth files need it)
  except ImportError:
    raise UserError(f'reading {path} (a PyTorch file) needs torch: pip install torch, or '
                    f'convert it once where torch is installed with python {converter} '
                    'IN.pth OUT.npz') from None
  try:
    sd = torch.load(path, map_location='cpu', weights_only=True)
  except Exception as e:  # pylint: disable=broad-except
    raise UserError(f'{path} is not a readable PyTorch state dict ({type(e).__name__}: '
                    f'{str(e)[:200]})') from None
  if not isinstance(sd, Mapping):
    raise UserError(f'{path} holds a {type(sd).__name__}, not a state dict')
  return {k: v.detach().cpu().numpy() for k, v in sd.items() if hasattr(v, 'detach')}


def save_npz(variables, path: str) -> None:
  """A params tree as an .npz of '/'-joined names (written atomically)."""
  flat = {'/'.join(str(getattr(p, 'key', p)) for p in k): np.asarray(v)
          for k, v in jax.tree_util.tree_flatten_with_path(variables)[0]}
  tmp = path + '.tmp.npz'
  np.savez(tmp, **flat)
  os.replace(tmp, path)


def variables_fingerprint(variables) -> str:
  """First 12 hex digits of a sha256 over the weights (names, shapes, values):
  part of every cache key, so statistics from other weights are never reused.
  A .pth file and its .npz conversion have the same fingerprint."""
  h = hashlib.sha256()
  for path, leaf in sorted(jax.tree_util.tree_flatten_with_path(variables)[0],
                           key=lambda kv: jax.tree_util.keystr(kv[0])):
    arr = np.ascontiguousarray(np.asarray(leaf, np.float32))
    h.update(jax.tree_util.keystr(path).encode())
    h.update(str(arr.shape).encode())
    h.update(arr.tobytes())
  return h.hexdigest()[:12]
