"""Mode coverage of the MLP GAN and the DCGAN recipe on the 2-D mixtures
(embedded:ring8, embedded:grid25): modes covered and the high-quality fraction
of 2,500 samples, per seed.

  python3 bench/toy_modes.py [--steps=10000] [--seeds=0,1]

"MLP GAN" is experiments/toy2d.py as it is (Goodfellow et al.'s non-saturating
GAN with 3 x 128 LeakyReLU MLPs, Adam 1e-4 / 0.5). The 2-D points have no
image structure for DCGAN's convolutions, so "DCGAN recipe" keeps the MLPs
and adds what DCGAN changed in training: BatchNorm in G and in D (not D's
first layer), LeakyReLU 0.2, Adam 2e-4 / 0.5 (Radford et al. 2015, sec. 3-4).
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mode_collapse import run  # noqa: E402  (puts the repo on sys.path)

RECIPES = [
    ('MLP GAN', {}),
    ('DCGAN recipe', {'model.mlp_batchnorm': True, 'model.leaky_slope': 0.2,
                      'optim.g.lr': 2e-4, 'optim.d.lr': 2e-4}),
]


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--steps', type=int, default=10000)
  p.add_argument('--seeds', default='0,1')
  p.add_argument('--datasets', default='ring8,grid25')
  a = p.parse_args()
  seeds = [int(s) for s in a.seeds.split(',')]
  total = {'ring8': 8, 'grid25': 25}
  print(f'{a.steps} G steps, batch 256; modes covered / high-quality fraction per seed {seeds}')
  print('| model | data | ' + ' | '.join(f'seed {s}' for s in seeds) + ' | wall |')
  print('|---|---|' + '---|' * len(seeds) + '---|')
  for name, overrides in RECIPES:
    for d in a.datasets.split(','):
      t, cells = time.time(), []
      for s in seeds:
        with tempfile.TemporaryDirectory() as wd:
          modes, hq = run(d, overrides, a.steps, s, wd)
        cells.append(f'{modes}/{total[d]}, {hq:.3f}')
      print(f'| {name} | {d} | ' + ' | '.join(cells) + f' | {time.time() - t:.0f} s |', flush=True)


if __name__ == '__main__':
  main()
