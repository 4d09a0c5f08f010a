"""DCGAN against PacDCGAN on the embedded stacked digits (PacGAN's Table 2 on
embedded data): the table of final evaluations and one picture, real stacked
digits beside each run's last sample grid.

  python3 launch.py --config=experiments/pacgan_stacked_digits.py --workdir=runs/stacked_dcgan
  python3 launch.py --config=experiments/pacgan_stacked_digits.py:pack2 --workdir=runs/stacked_pac2
  python3 bench/stacked_digits.py runs/stacked_dcgan=experiments/pacgan_stacked_digits.py \
      runs/stacked_pac2=experiments/pacgan_stacked_digits.py:pack2

Each run is evaluated afresh (`--mode=eval` on its latest checkpoint: 26,000
samples). Writes bench/out/stacked_digits.png (left to right: real stacked
digits, then each run's last sample grid in the order given).
"""

import argparse
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from gan_jax import images as images_lib  # noqa: E402
from gan_jax.data.embedded import stacked_digits  # noqa: E402
from gan_jax.data.pipeline import to_float  # noqa: E402

KEYS = ('stacked_digits_modes', 'stacked_digits_reverse_kl', 'stacked_digits_confident',
        'stacked_digits_confident_modes')


def evaluate(workdir, spec):
  out = subprocess.run([sys.executable, os.path.join(ROOT, 'launch.py'), f'--config={spec}',
                        f'--workdir={workdir}', '--mode=eval'], capture_output=True, text=True,
                       check=True, cwd=ROOT).stdout
  return json.loads(out.strip().splitlines()[-1])


def main():
  p = argparse.ArgumentParser()
  p.add_argument('runs', nargs='+', help='workdir=experiment[:options]')
  args = p.parse_args()
  runs = [(r.split('=', 1)[0], evaluate(*r.split('=', 1))) for r in args.runs]
  print('| run | steps | modes (of 1,000) | reverse KL | all 3 channels confident | '
        'modes among those |')
  print('|---|---|---|---|---|---|')
  first = runs[0][1]
  print(f'| real (held-out stacked digits) | | {first["stacked_digits_real_modes"]} | '
        f'{first["stacked_digits_real_reverse_kl"]:.3f} | '
        f'{100 * first["stacked_digits_real_confident"]:.1f} % | '
        f'{first["stacked_digits_real_confident_modes"]} |')
  grids = []
  for wd, r in runs:
    print(f'| {os.path.basename(os.path.normpath(wd))} | {r["step"]} | {r[KEYS[0]]} | '
          f'{r[KEYS[1]]:.3f} | {100 * r[KEYS[2]]:.1f} % | {r[KEYS[3]]} |')
    grids.append(np.asarray(Image.open(sorted(glob.glob(os.path.join(wd, 'samples',
                                                                      'step_*.png')))[-1])))
  real = stacked_digits(ml_collections.ConfigDict(dict(split='test', image_size=16, channels=3)))
  grids.insert(0, np.asarray(images_lib.make_grid(to_float(real.images[:64]))))
  h = max(g.shape[0] for g in grids)
  gap = np.full((h, 8, 3), 255, np.uint8)
  row = np.concatenate(sum(([np.pad(g[..., :3], ((0, h - g.shape[0]), (0, 0), (0, 0))), gap]
                            for g in grids), [])[:-1], axis=1)
  os.makedirs(os.path.join(ROOT, 'bench', 'out'), exist_ok=True)
  out = os.path.join(ROOT, 'bench', 'out', 'stacked_digits.png')
  Image.fromarray(row).resize((row.shape[1] * 2, row.shape[0] * 2), Image.NEAREST).save(out)
  print(f'picture: {out}')


if __name__ == '__main__':
  main()
