"""Seeds side by side (jax.vmap) against the same seeds trained one after another.

  python3 bench/vmap_seeds.py [--config=experiments/pacgan_toy.py:ring] [--seeds=10] [--steps=300]

Times the train steps only (compilation excluded, batches prepared beforehand)
and prints both throughputs and their ratio.
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax  # noqa: E402


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--config', default='experiments/pacgan_toy.py:ring')
  p.add_argument('--seeds', type=int, default=10)
  p.add_argument('--steps', type=int, default=300)
  a = p.parse_args()
  import launch  # pylint: disable=g-import-not-at-top
  from gan_jax import seeds as seeds_lib  # pylint: disable=g-import-not-at-top
  from gan_jax.experiment import Experiment  # pylint: disable=g-import-not-at-top
  config = launch.load_config(['launch.py', f'--config={a.config}'])
  exp = Experiment(config, None, need_source=True, devices=jax.devices()[:1])
  method, seeds = exp.method, list(range(a.seeds))
  batches = seeds_lib.seed_batches(config, exp.source, method, seeds)
  data = [batches(t) for t in range(a.steps + 1)]

  vstep = jax.jit(jax.vmap(method.train_step), donate_argnums=(0,))
  state = seeds_lib.init_states(method, seeds)
  state, m = vstep(state, data[0])  # compile
  jax.block_until_ready(m)
  t = time.perf_counter()
  for b in data[1:]:
    state, m = vstep(state, b)
  jax.block_until_ready(m)
  vmapped = time.perf_counter() - t

  step = jax.jit(method.train_step, donate_argnums=(0,))
  one = method.init(jax.random.PRNGKey(0))
  one, m = step(one, jax.tree.map(lambda x: x[0], data[0]))  # compile
  jax.block_until_ready(m)
  t = time.perf_counter()
  for i in range(a.seeds):
    s = method.init(jax.random.PRNGKey(i))
    for b in data[1:]:
      s, m = step(s, jax.tree.map(lambda x, i=i: x[i], b))
    jax.block_until_ready(m)
  sequential = time.perf_counter() - t
  n = a.seeds * a.steps
  print(f'{a.config}: {a.seeds} seeds x {a.steps} steps on {jax.devices()[0].platform}')
  print(f'  vmapped:    {n / vmapped:8.1f} seed-steps/s')
  print(f'  sequential: {n / sequential:8.1f} seed-steps/s')
  print(f'  speed-up:   {sequential / vmapped:.2f}x')


if __name__ == '__main__':
  main()
