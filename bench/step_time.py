"""Milliseconds per train step of any experiment config, on its own data's first
batch, one device: what a config change costs, without a training run.

  python bench/step_time.py --config=experiments/inpainting.py:demo [--steps=20]
  python bench/step_time.py --config=experiments/inpainting.py:demo \\
      --config.model.prefill=none          # any --config.* override, as launch.py

Prints the first step (compile) and the median of --steps timed steps (after
two warm-up steps) for the jitted step with its state donated, as train.py
runs it.
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'bench'))

import jax  # noqa: E402

import launch  # noqa: E402
import timing  # noqa: E402  (bench/timing.py)
from gan_jax.data.pipeline import Batches  # noqa: E402
from gan_jax.experiment import Experiment  # noqa: E402


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--config', required=True)
  p.add_argument('--steps', type=int, default=20)
  a, rest = p.parse_known_args()
  config = launch.load_config(['launch.py', f'--config={a.config}', *rest])
  exp = Experiment(config, None, need_source=True, devices=jax.devices()[:1])
  method = exp.method
  batches = Batches(exp.source, config.train.batch_size, config.seed, config.data.random_flip,
                    crop_to=config.data.image_size, per_step=method.batch_schedule)
  batch = jax.device_put(batches(0))
  step = jax.jit(method.train_step, donate_argnums=(0,))
  state = method.initial_state(config.seed)
  t = time.perf_counter()
  state, metrics = step(state, batch)
  jax.block_until_ready(metrics)
  first = time.perf_counter() - t
  holder = {'state': state}

  def one():
    holder['state'], m = step(holder['state'], batch)
    jax.block_until_ready(m)

  ms = timing.median_ms(one, a.steps, warmup=2)
  print(f'{a.config} {" ".join(rest)}: first step {first:.1f} s, {ms:.1f} ms/step '
        f'(median of {a.steps}, batch {config.train.batch_size}, '
        f'{jax.devices()[0].platform})')


if __name__ == '__main__':
  main()
