"""StyleGAN2's train step throughput: milliseconds per step (all four phases,
the lazy ones at their share), images per second and seconds per kimg, for the
experiments' configs. On a GPU this is the number to hold against the
reference's README (256 px, 1 V100: about 24 s/kimg for paper256 at batch 64).

  python bench/stylegan2_speed.py digits cifar [--steps=8]
  python bench/stylegan2_speed.py paper256 stylegan2 --steps=32     # on a GPU
  python bench/stylegan2_speed.py digits --set augment.pipe= --set model.channel_max=32
Configs: digits (experiments/stylegan2.py:digits), cifar
(experiments/stylegan2_cifar10.py, batch 64), paper256, stylegan2, auto. Steps
are timed over a whole number of R1 intervals where --steps allows (16: every
phase at its real rate), on random images, one device.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402

import launch  # noqa: E402
from gan_jax.data.base import DataInfo  # noqa: E402
from gan_jax.methods.stylegan2 import StyleGAN2  # noqa: E402

SPECS = {'digits': 'stylegan2.py:digits', 'cifar': 'stylegan2_cifar10.py',
         'paper256': 'stylegan2.py:paper256', 'stylegan2': 'stylegan2.py:stylegan2',
         'auto': 'stylegan2.py'}


def measure(name, steps, overrides=()):
  spec = os.path.join(os.path.dirname(launch.EXPERIMENTS), 'experiments', SPECS[name])
  c = launch.load_config(['launch.py', f'--config={spec}'] + [f'--config.{o}' for o in overrides])
  res, ch, batch = c.data.image_size, c.data.channels, c.train.batch_size
  classes = 10 if c.model.conditional else 0
  method = StyleGAN2(c, DataInfo((res, res, ch), classes))
  state = method.init(jax.random.PRNGKey(0))
  step = jax.jit(method.train_step, donate_argnums=(0,))
  rng = np.random.default_rng(0)
  batch_arrays = {'image': jax.numpy.asarray(rng.uniform(-1, 1, (batch, res, res, ch)),
                                             'float32'),
                  'label': jax.numpy.asarray(rng.integers(0, max(classes, 1), batch), 'int32')}
  t = time.perf_counter()
  state, m = step(state, batch_arrays)          # step 0: every phase, and the compile
  jax.block_until_ready(m)
  compile_s = time.perf_counter() - t
  t = time.perf_counter()
  for _ in range(steps):
    state, m = step(state, batch_arrays)
  jax.block_until_ready(m)
  per_step = (time.perf_counter() - t) / steps
  return res, batch, compile_s, per_step


def main():
  p = argparse.ArgumentParser()
  p.add_argument('configs', nargs='+', choices=sorted(SPECS))
  p.add_argument('--steps', type=int, default=16)
  p.add_argument('--set', action='append', default=[], metavar='FIELD=VALUE',
                 help='a config override, e.g. --set model.channel_max=32 (repeatable)')
  a = p.parse_args()
  print(f'device: {jax.devices()[0].device_kind} ({jax.devices()[0].platform}), '
        f'{a.steps} timed steps after the first')
  print('| config | px | batch | first step (compile) s | ms/step | img/s | s/kimg |')
  print('|---|---|---|---|---|---|---|')
  for name in a.configs:
    res, batch, compile_s, per_step = measure(name, a.steps, a.set)
    print(f'| {name} | {res} | {batch} | {compile_s:.1f} | {1000 * per_step:.0f} | '
          f'{batch / per_step:.1f} | {1000 * per_step / batch:.1f} |')


if __name__ == '__main__':
  main()
