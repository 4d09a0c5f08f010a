"""Inception feature throughput: our Flax FID Inception (jitted, resize and
quantization included) against pytorch-fid's InceptionV3 on the same machine,
with the same seeded random weights (the real ones are not downloadable here;
speed does not depend on the values).

  python3 bench/inception_speed.py [--batch=32] [--size=32] [--repeats=3]

Needs torch, torchvision and pytorch-fid for the comparison (requirements-ci.txt);
without them it times ours alone. Prints images/s for each and the ratio.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from gan_jax.metrics import inception as inc  # noqa: E402
from timing import best_rate  # noqa: E402  (bench/timing.py)


def pytorch_fid_net(sd):
  """pytorch-fid's InceptionV3 (pool3 features) holding the numpy state dict sd."""
  import torch  # pylint: disable=g-import-not-at-top
  import pytorch_fid.inception as pfi  # pylint: disable=g-import-not-at-top
  full = {k: torch.from_numpy(v) for k, v in sd.items()}
  original = pfi.load_state_dict_from_url
  pfi.load_state_dict_from_url = lambda url, progress=True: full
  try:
    from test_inception import _torch_keys  # pylint: disable=g-import-not-at-top
    for k in _torch_keys(pfi):
      if k.endswith('num_batches_tracked'):
        full[k] = torch.tensor(0)
    return pfi.InceptionV3([3]).eval()
  finally:
    pfi.load_state_dict_from_url = original


def setup(batch: int, size: int):
  """(seeded state dict, our variables, images in [-1, 1], our feature pass (v, x))."""
  from test_inception import random_state_dict_numpy  # pylint: disable=g-import-not-at-top
  sd = random_state_dict_numpy(0)
  variables = jax.device_put(inc.torch_state_dict_to_variables(sd))
  images = np.random.default_rng(0).uniform(-1, 1, (batch, size, size, 3)).astype(np.float32)
  fn = lambda v, x: inc.FIDInception().apply(v, inc.network_input(inc.quantize(x), 'bilinear'))[0]
  return sd, variables, images, fn


def torch_input(images):
  """The same images as pytorch-fid reads them: quantized to 8 bits, in [0, 1], NCHW."""
  import torch  # pylint: disable=g-import-not-at-top
  return torch.from_numpy(np.floor(np.clip(images * 127.5 + 128, 0, 255)) / 255).permute(0, 3, 1, 2)


def measure(batch: int, size: int, repeats: int, device: str = 'cpu'):
  """(ours, pytorch-fid's) images/s on the same seeded weights and images; theirs
  is None without pytorch-fid. PyTorch runs on `device` (cpu or cuda)."""
  sd, variables, images, fn = setup(batch, size)
  fn, x = jax.jit(fn), jnp.asarray(images)
  ours = best_rate(lambda: fn(variables, x).block_until_ready(), batch, repeats)
  try:
    import torch  # pylint: disable=g-import-not-at-top
    import pytorch_fid.inception  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
  except ImportError:
    return ours, None
  net = pytorch_fid_net(sd).to(device)
  xt = torch_input(images).to(device)

  def run():
    net(xt)
    if device != 'cpu':
      torch.cuda.synchronize()
  with torch.no_grad():
    theirs = best_rate(run, batch, repeats)
  return ours, theirs


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--batch', type=int, default=32)
  p.add_argument('--size', type=int, default=32)
  p.add_argument('--repeats', type=int, default=3)
  a = p.parse_args()
  ours, theirs = measure(a.batch, a.size, a.repeats)
  print(f'device: {jax.devices()[0].device_kind}; batch {a.batch} of {a.size}x{a.size} -> 299')
  print(f'gan_jax Flax FID Inception: {ours:.1f} images/s')
  if theirs is None:
    print('pytorch-fid not installed: no comparison')
    return
  import torch  # pylint: disable=g-import-not-at-top
  print(f'pytorch-fid InceptionV3 (torch {torch.__version__}, {torch.get_num_threads()} threads): '
        f'{theirs:.1f} images/s')
  print(f'ratio ours / pytorch-fid: {ours / theirs:.2f}x')


if __name__ == '__main__':
  main()
