"""Seeds side by side: S trainings of one config as one jitted program.

`jax.vmap` over a leading axis of the TrainState (parameters, optimizer
states, batch statistics, the noise key) and of the batch: seed s trains as
`--config.seed=s` trains alone (its own init, noise and data order), within
float rounding (XLA batches the matrix products). Small models on a CPU run S
seeds this way faster than S runs in a row (bench/vmap_seeds.py measures it).

`--mode=seeds --seeds=10` writes <workdir>/seeds.json (per-seed results, and
the mean and standard error of each metric) and prints the table. One device;
no checkpoints: a seed study is rerun, not resumed.
"""

import json
import os
import time
from typing import Dict, List, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import inference, logs
from gan_jax.data.pipeline import Batches
from gan_jax.errors import UserError
from gan_jax.experiment import Experiment

RESULTS_FILE = 'seeds.json'


def stack(trees):
  return jax.tree.map(lambda *x: jnp.stack(x), *trees)


def unstack(tree, i: int):
  return jax.tree.map(lambda x: x[i], tree)


def init_states(method, seeds: Sequence[int]):
  """The stacked TrainState: seed s's slice is method.initial_state(s), as a lone run."""
  return stack([method.initial_state(s) for s in seeds])


def seed_batches(config, source, method, seeds: Sequence[int]):
  """step -> the stacked batches of every seed (each its own data order)."""
  per_seed = [Batches(source, config.train.batch_size, s, config.data.random_flip,
                      crop_to=config.data.image_size, per_step=method.batch_schedule)
              for s in seeds]
  return lambda step: jax.tree.map(lambda *x: np.stack(x), *[b(step) for b in per_seed])


def mean_and_standard_error(rows: List[Dict[str, float]]) -> Dict[str, Dict[str, float]]:
  """{metric: {'mean', 'se', 'n'}} over seeds; se = std (ddof 1) / sqrt(n), as PacGAN reports."""
  out = {}
  for key in rows[0]:
    v = np.array([r[key] for r in rows], np.float64)
    n = len(v)
    out[key] = {'mean': float(v.mean()), 'se': float(v.std(ddof=1) / np.sqrt(n)) if n > 1
                else 0.0, 'n': n}
  return out


def train_seeds(config, seeds: Sequence[int], workdir: str = '', log=print):
  """Trains config once per seed, all in one vmapped program; returns
  (stacked final state, [per-seed eval results])."""
  if len(set(seeds)) != len(seeds) or not seeds:
    raise UserError(f'--seeds: {list(seeds)} must be distinct seeds')
  exp = Experiment(config, workdir or None, need_source=True, devices=jax.devices()[:1])
  method, tc = exp.method, config.train
  state = init_states(method, seeds)
  batches = seed_batches(config, exp.source, method, seeds)
  step_fn = jax.jit(jax.vmap(method.train_step), donate_argnums=(0,))
  log(f'{len(seeds)} seeds side by side (jax.vmap): {config.method} on {config.data.source}, '
      f'{tc.num_steps:,} steps of batch {tc.batch_size}')
  progress, start = logs.Progress(0, tc.num_steps), time.time()
  for step in range(tc.num_steps):
    state, metrics = step_fn(state, batches(step))
    done = step + 1
    if tc.log_every and (done % tc.log_every == 0 or done == tc.num_steps):
      progress.print(done, {k: float(np.mean(v)) for k, v in jax.device_get(metrics).items()})
  log(f'trained in {time.time() - start:.1f} s')
  results = []
  for i, s in enumerate(seeds):
    cfg = config.copy_and_resolve_references()
    cfg.seed = s
    r, _ = inference.evaluate(cfg, method, unstack(state, i), exp.mesh)
    results.append({'seed': s, **{k: v for k, v in r.items() if np.isscalar(v)}})
  return state, results


def run(config, num_seeds: int, workdir: str) -> Dict:
  """--mode=seeds: seeds config.seed ... config.seed + num_seeds - 1."""
  if num_seeds < 1:
    raise UserError(f'--seeds={num_seeds}: the number of seeds must be >= 1')
  seeds = list(range(config.seed, config.seed + num_seeds))
  _, rows = train_seeds(config, seeds, workdir)
  summary = mean_and_standard_error([{k: v for k, v in r.items() if k != 'seed'} for r in rows])
  out = {'seeds': seeds, 'per_seed': rows, 'summary': summary}
  os.makedirs(workdir, exist_ok=True)
  with open(os.path.join(workdir, RESULTS_FILE), 'w') as f:
    json.dump(out, f, indent=2)
  print(format_table(out))
  return out


def format_table(out: Dict) -> str:
  keys = [k for k in out['summary'] if k != 'eval_num_samples']
  lines = ['| seed | ' + ' | '.join(keys) + ' |', '|---' * (len(keys) + 1) + '|']
  for r in out['per_seed']:
    lines.append(f'| {r["seed"]} | ' + ' | '.join(f'{r[k]:.4g}' for k in keys) + ' |')
  lines.append('| mean +- se | ' + ' | '.join(
      f'{out["summary"][k]["mean"]:.4g} +- {out["summary"][k]["se"]:.2g}' for k in keys) + ' |')
  return '\n'.join(lines)
