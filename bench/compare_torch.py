"""gan_jax against PyTorch on the same machine, family by family: our jitted
train step (or feature pass) against a PyTorch one written here from the same
specification (same shapes, same optimizer, same batch, same threads).

  python3 bench/compare_torch.py                 # every family below
  python3 bench/compare_torch.py dcgan32 --steps=30

Families:
  dcgan32    DCGAN-32 RGB, width 64, batch 64: one D update (real and fake
             batches through D separately, BCE) and one G update on fresh
             noise, Adam; BatchNorm in train mode (as gan_jax's GAN step).
  inception  FID Inception on 32 x 32 images resized to 299, batch 32, against
             pytorch-fid's InceptionV3 (bench/inception_speed.py).

Prints ms per step (median of --steps after warm-up; Inception: best of
--repeats, as images/s) for both and the ratio torch time / ours (> 1: we are
faster). PyTorch runs with as many threads as the machine has cores.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'bench'))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import jax  # noqa: E402
import numpy as np  # noqa: E402

import inception_speed  # noqa: E402  (bench/)
from timing import median_ms  # noqa: E402  (bench/)
from train_step_speed import time_step  # noqa: E402  (bench/)


def ours_dcgan_counts(size: int, width: int):
  from gan_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  from gan_jax.data.base import DataInfo  # pylint: disable=g-import-not-at-top
  from gan_jax.inference import count_params  # pylint: disable=g-import-not-at-top
  from gan_jax.methods.gan import GAN  # pylint: disable=g-import-not-at-top
  c = config_lib.base_config()
  c.data.image_size, c.data.channels = size, 3
  c.model.g_width = c.model.d_width = width
  state = GAN(c, DataInfo((size, size, 3), 0)).init(jax.random.PRNGKey(0))
  return [count_params(state.g.params), count_params(state.d.params)]


def torch_dcgan_step_ms(size: int, batch: int, width: int, steps: int) -> float:
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  k = {16: 2, 32: 3, 64: 4}[size]
  feats = width * 2 ** (k - 1)
  g_layers = [nn.Unflatten(1, (feats, 4, 4))]
  for i in range(k):
    out = 3 if i == k - 1 else feats // 2
    g_layers += [nn.BatchNorm2d(feats), nn.ReLU(),
                 nn.ConvTranspose2d(feats, out, 4, 2, 1, bias=False)]
    feats = out
  g = nn.Sequential(nn.Linear(100, width * 2 ** (k - 1) * 16, bias=False), *g_layers, nn.Tanh())
  d_layers, c = [], 3
  for i in range(k):
    d_layers.append(nn.Conv2d(c, width * 2 ** i, 4, 2, 1, bias=False))
    if i > 0:
      d_layers.append(nn.BatchNorm2d(width * 2 ** i))
    d_layers.append(nn.LeakyReLU(0.2))
    c = width * 2 ** i
  d = nn.Sequential(*d_layers, nn.Conv2d(c, 1, 4, 1, 0, bias=False), nn.Flatten())
  counts = [sum(p.numel() for p in n.parameters()) for n in (g, d)]
  if counts != ours_dcgan_counts(size, width):
    raise AssertionError(f'the PyTorch DCGAN {counts} is not ours {ours_dcgan_counts(size, width)}')
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  bce = nn.BCEWithLogitsLoss()
  real = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (batch, 3, size, size))
                          .astype(np.float32))
  ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

  def step():
    with torch.no_grad():
      fake = g(torch.randn(batch, 100))
    opt_d.zero_grad(set_to_none=True)
    loss_d = bce(d(real), ones) + bce(d(fake), zeros)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    loss_g = bce(d(g(torch.randn(batch, 100))), ones)
    loss_g.backward()
    opt_g.step()
  return median_ms(step, steps)


def dcgan32(args):
  ours = time_step(32, 3, 64, args.steps, 64)
  theirs = torch_dcgan_step_ms(32, 64, 64, args.steps)
  return 'DCGAN-32 train step, batch 64', f'{ours:.1f} ms', f'{theirs:.1f} ms', theirs / ours


def inception(args):
  ours, theirs = inception_speed.measure(32, 32, args.repeats)
  if theirs is None:
    return 'FID Inception 32 -> 299, batch 32', f'{ours:.1f} img/s', 'not installed', float('nan')
  return 'FID Inception 32 -> 299, batch 32', f'{ours:.1f} img/s', f'{theirs:.1f} img/s', \
      ours / theirs


FAMILIES = {'dcgan32': dcgan32, 'inception': inception}


def main():
  p = argparse.ArgumentParser()
  p.add_argument('families', nargs='*', default=list(FAMILIES), help=', '.join(FAMILIES))
  p.add_argument('--steps', type=int, default=20)
  p.add_argument('--repeats', type=int, default=3)
  args = p.parse_args()
  import torch  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(os.cpu_count())
  dev = jax.devices()[0]
  print(f'machine: {os.cpu_count()} cores; jax {jax.__version__} on {dev.platform} '
        f'{getattr(dev, "device_kind", "")}; torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads')
  print('| family | gan_jax | PyTorch | ratio (> 1: gan_jax faster) |')
  print('|---|---|---|---|')
  for name in args.families:
    what, ours, theirs, ratio = FAMILIES[name](args)
    print(f'| {what} | {ours} | {theirs} | {ratio:.2f} |', flush=True)


if __name__ == '__main__':
  main()
