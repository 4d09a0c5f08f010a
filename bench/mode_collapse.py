"""Mode-collapse study: the same MLP pair on the 2-D mixtures with each
adversarial loss / regulariser, a fixed budget each; prints modes covered and
the high-quality fraction (within 3 std of a mode) of 2,500 samples.

  python3 bench/mode_collapse.py [--steps=5000] [--seeds=0] [--datasets=ring8,grid25] [--only=WGAN]

Every run is experiments/toy2d.py with the overrides shown in the table.
"""

import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'experiments'))

import numpy as np  # noqa: E402

WGAN_GP = {'loss.adversarial': 'wasserstein', 'loss.gradient_penalty': 10.0, 'train.n_critic': 5,
           'optim.g.b1': 0.0, 'optim.g.b2': 0.9, 'optim.d.b1': 0.0, 'optim.d.b2': 0.9}
COMBOS = [
    ('minimax (saturating)', {'loss.adversarial': 'minimax'}),
    ('non-saturating', {}),
    ('non-saturating + label smoothing 0.1', {'loss.label_smoothing': 0.1}),
    ('LSGAN', {'loss.adversarial': 'lsgan'}),
    ('hinge', {'loss.adversarial': 'hinge'}),
    ('WGAN (clip 0.01, n_critic 5)', {'loss.adversarial': 'wasserstein',
                                      'optim.d.weight_clip': 0.01, 'train.n_critic': 5}),
    ('WGAN as its reference code (RMSProp 5e-5, clamp before each critic step, 100 critic '
     'steps on the first 25 G steps and every 500th)',
     {'loss.adversarial': 'wasserstein', 'optim.d.weight_clip': 0.01,
      'optim.d.clip_before_step': True, 'train.n_critic': 5, 'train.critic_boost': 100,
      'optim.g.name': 'rmsprop', 'optim.d.name': 'rmsprop', 'optim.g.lr': 5e-5,
      'optim.d.lr': 5e-5}),
    ('WGAN-GP (lambda 10, n_critic 5)', WGAN_GP),
    ('non-saturating + R1 (gamma 1)', {'loss.r1_gamma': 1.0}),
    ('hinge + spectral norm', {'loss.adversarial': 'hinge', 'model.spectral_norm': True}),
    ('non-saturating + EMA 0.999', {'ema.decay': 0.999}),
]


def run(dataset, overrides, steps, seed, workdir):
  import toy2d  # pylint: disable=g-import-not-at-top
  from gan_jax import inference, train  # pylint: disable=g-import-not-at-top
  from gan_jax.experiment import Experiment  # pylint: disable=g-import-not-at-top
  c = toy2d.get_config(dataset)
  c.seed = seed
  c.train.num_steps = steps
  c.train.log_every = steps
  c.train.checkpoint_every = steps
  for key, value in overrides.items():
    node = c
    *path, last = key.split('.')
    for p in path:
      node = node[p]
    node[last] = value
  import contextlib
  import io  # pylint: disable=g-import-not-at-top,multiple-imports
  with contextlib.redirect_stdout(io.StringIO()):
    state = train.train_and_evaluate(c, workdir)
  exp = Experiment(c, workdir, need_source=False)
  r, _ = inference.evaluate(c, exp.method, state, exp.mesh)
  return r[f'{dataset}_modes'], r[f'{dataset}_high_quality']


def _default(key):
  import toy2d  # pylint: disable=g-import-not-at-top
  node = toy2d.get_config('ring8')
  for part in key.split('.'):
    node = node[part]
  return node


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--steps', type=int, default=5000)
  p.add_argument('--seeds', default='0')
  p.add_argument('--datasets', default='ring8,grid25')
  p.add_argument('--only', default='', help='run only the rows whose name contains this')
  p.add_argument('--set', action='append', default=[],
                 help='extra override for every run, e.g. --set optim.g.lr=5e-4')
  a = p.parse_args()
  extra = {}
  for item in a.set:
    key, value = item.split('=', 1)
    extra[key] = type(_default(key))(value)
  seeds = [int(s) for s in a.seeds.split(',')]
  datasets = a.datasets.split(',')
  total = {'ring8': 8, 'grid25': 25}
  header = '| loss / regulariser | ' + ' | '.join(
      f'{d} modes (of {total[d]}) | {d} high quality' for d in datasets) + ' |'
  print(f'{a.steps} G steps, batch 256, seeds {seeds}, extra {extra}; mean (min-max) over seeds')
  print(header)
  print('|' + '---|' * (1 + 2 * len(datasets)))
  for name, overrides in COMBOS:
    if a.only not in name:
      continue
    cells = []
    t = time.time()
    for d in datasets:
      res = []
      for s in seeds:
        with tempfile.TemporaryDirectory() as wd:
          res.append(run(d, {**extra, **overrides}, a.steps, s, wd))
      modes = np.array([r[0] for r in res])
      hq = np.array([r[1] for r in res])
      if len(seeds) > 1:
        cells += [f'{modes.mean():.1f} ({modes.min()}-{modes.max()})',
                  f'{hq.mean():.3f} ({hq.min():.3f}-{hq.max():.3f})']
      else:
        cells += [f'{modes[0]}', f'{hq[0]:.3f}']
    print(f'| {name} | ' + ' | '.join(cells) + f' |   <!-- {time.time() - t:.0f} s -->',
          flush=True)


if __name__ == '__main__':
  main()
