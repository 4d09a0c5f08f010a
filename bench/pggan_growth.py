"""One picture of a PGGAN run's growth: the first row of the sample grid written
at the end of each stage (the loop writes one per fade and per stable stage),
one row per stage, top to bottom, with the step in the file's name order.

  python3 bench/pggan_growth.py --workdir=runs/pggan_digits [--per_row=8]

Writes <workdir>/growth.png and prints the steps it took. The grids hold the
EMA generator's samples at the stage's resolution, upsampled to the final one.
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def first_row(grid: np.ndarray, cells: int, size: int, per_row: int) -> np.ndarray:
  """The top row of a make_grid picture of cells x cells images of size px (1 px
  padding), its first per_row images."""
  if grid.shape[1] != cells * (size + 1) + 1:
    raise SystemExit(f'not a grid of {cells} x {cells} images of {size} px: {grid.shape}')
  return grid[:size + 2, :min(per_row, cells) * (size + 1) + 1]


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--workdir', required=True)
  p.add_argument('--per_row', type=int, default=8)
  a = p.parse_args()
  from gan_jax.methods.pggan import ProgressiveGAN  # pylint: disable=g-import-not-at-top
  with open(os.path.join(a.workdir, 'config.json')) as f:
    config = ml_collections.ConfigDict(json.load(f))
  schedule = ProgressiveGAN.build_schedule(config, config.data.image_size)
  ends = schedule.milestones(config.train.num_steps)
  ends[config.train.num_steps] = 'final'
  rows, used = [], []
  for step, what in sorted(ends.items()):
    path = os.path.join(a.workdir, 'samples', f'step_{step:06d}.png')
    if not os.path.exists(path):
      continue
    cells = int(round(config.train.sample_grid ** 0.5))
    rows.append(first_row(np.asarray(Image.open(path)), cells, config.data.image_size,
                          a.per_row))
    used.append(f'{step} ({what})')
  if not rows:
    raise SystemExit(f'no stage-end sample grids in {a.workdir}/samples')
  width = max(r.shape[1] for r in rows)
  rows = [np.pad(r, ((0, 0), (0, width - r.shape[1])) + ((0, 0),) * (r.ndim - 2)) for r in rows]
  out = os.path.join(a.workdir, 'growth.png')
  Image.fromarray(np.concatenate(rows)).save(out)
  print('rows, top to bottom: ' + '; '.join(used))
  print(f'wrote {out}')


if __name__ == '__main__':
  main()
