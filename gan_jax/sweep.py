"""Hyperparameter sweeps: an experiment file may define, beside get_config,

  def get_sweep(arg=None):
    return sweep.product({'optim.d.lr': [1e-4, 2e-4], 'train.n_critic': [1, 5]})

a list of override dicts (dotted config keys). Each point trains in its own
workdir, <workdir>/<point name>, named after its overrides; a finished point
is skipped and an interrupted one resumes, so rerunning a sweep command
completes it. `--sweep_index=N` (or SLURM_ARRAY_TASK_ID) runs one point, so a
cluster array job runs a sweep with no extra tooling.
"""

import importlib.util
import itertools
import json
import os
import re
import subprocess
import sys
import time
from typing import Dict, List, Sequence

import jax

from gan_jax import config as config_lib
from gan_jax import train
from gan_jax.errors import UserError

POINT_FILE = 'sweep_point.json'


def product(axes: Dict[str, Sequence]) -> List[Dict]:
  """Every combination: product({'a': [1, 2], 'b': [3]}) -> [{a: 1, b: 3}, {a: 2, b: 3}]."""
  keys = list(axes)
  return [dict(zip(keys, values)) for values in itertools.product(*(axes[k] for k in keys))]


def zipped(axes: Dict[str, Sequence]) -> List[Dict]:
  """Values taken together: zipped({'a': [1, 2], 'b': [3, 4]}) -> [{a: 1, b: 3}, {a: 2, b: 4}]."""
  lengths = {k: len(v) for k, v in axes.items()}
  if len(set(lengths.values())) > 1:
    raise UserError(f'sweep.zipped needs lists of one length; got {lengths}')
  keys = list(axes)
  return [dict(zip(keys, values)) for values in zip(*(axes[k] for k in keys))]


def _format(value) -> str:
  if isinstance(value, float):
    return f'{value:g}'
  if isinstance(value, (list, tuple)):
    return '+'.join(_format(v) for v in value)
  return str(value)


def point_name(overrides: Dict) -> str:
  """A folder name from the overrides: 'optim.d.lr=0.0001,train.n_critic=5'."""
  if not overrides:
    return 'default'
  name = ','.join(f'{k}={_format(v)}' for k, v in sorted(overrides.items()))
  return re.sub(r'[^A-Za-z0-9._=,+-]', '_', name)


def apply_overrides(config, overrides: Dict) -> None:
  """Sets dotted keys on a (locked) ConfigDict; unknown keys fail with the known ones."""
  for key, value in overrides.items():
    node, last = config_lib.find_parent(config, key, f'sweep override {key!r}')
    try:
      node[last] = value
    except (TypeError, ValueError) as e:
      raise UserError(f'sweep override {key}={value!r}: {e}') from None


def select_index(flag_index, num_points: int):
  """--sweep_index, else SLURM_ARRAY_TASK_ID, else None (all points)."""
  index = flag_index
  if index is None and os.environ.get('SLURM_ARRAY_TASK_ID', '') != '':
    index = int(os.environ['SLURM_ARRAY_TASK_ID'])
  if index is not None and not 0 <= index < num_points:
    raise UserError(f'sweep index {index} out of range; this sweep has {num_points} points '
                    f'(0..{num_points - 1})')
  return index


def steps_done(point_dir: str) -> int:
  """The newest checkpoint step in a point's workdir (0 if none)."""
  ckpt = os.path.join(point_dir, 'checkpoints')
  if not os.path.isdir(ckpt):
    return 0
  steps = [int(d) for d in os.listdir(ckpt) if d.isdigit()]
  return max(steps, default=0)


def write_point_file(point_dir: str, index: int, overrides: Dict) -> None:
  os.makedirs(point_dir, exist_ok=True)
  with open(os.path.join(point_dir, POINT_FILE), 'w') as f:
    json.dump({'index': index, 'overrides': overrides}, f, indent=2, sort_keys=True)


def load_experiment(spec: str):
  """(module, arg) of an experiment spec 'path[:arg]'."""
  path, _, arg = spec.partition(':')
  mod_spec = importlib.util.spec_from_file_location('_experiment', path)
  module = importlib.util.module_from_spec(mod_spec)
  mod_spec.loader.exec_module(module)
  return module, arg or None


def run(config, spec: str, workdir: str, index=None, parallel: int = 1, relaunch=None) -> int:
  """Trains the sweep of the experiment file `spec`: one point (index, or
  SLURM_ARRAY_TASK_ID), or all of them, in order or `parallel` at a time through
  relaunch(i) -> the command line that trains point i alone."""
  module, arg = load_experiment(spec)
  if not hasattr(module, 'get_sweep'):
    raise UserError(f'{spec.partition(":")[0]} defines no get_sweep(); nothing to sweep')
  points = list(module.get_sweep(arg))
  index = select_index(index, len(points))
  if parallel > 1 and index is None:
    return run_parallel(len(points), parallel, relaunch)
  for i in [index] if index is not None else range(len(points)):
    point = config.copy_and_resolve_references()
    apply_overrides(point, points[i])
    point_dir = os.path.join(workdir, point_name(points[i]))
    done = steps_done(point_dir)
    if done >= point.train.num_steps:
      print(f'sweep point {i} ({point_name(points[i])}): finished at step {done}, skipped')
      continue
    print(f'sweep point {i}/{len(points)}: {point_name(points[i])}', flush=True)
    write_point_file(point_dir, i, points[i])
    train.train_and_evaluate(point, point_dir)
  return 0


def run_parallel(num_points: int, slots: int, relaunch) -> int:
  """Runs every point as its own process (relaunch(i): its command line), `slots` at
  a time, each on one device: one GPU through CUDA_VISIBLE_DEVICES, or one CPU device."""
  gpus = [d.id for d in jax.devices() if d.platform == 'gpu']
  running, failed = {}, []
  free, queue = list(range(slots)), list(range(num_points))
  while queue or running:
    while queue and free:
      i, slot = queue.pop(0), free.pop(0)
      env = dict(os.environ)
      if gpus:
        env['CUDA_VISIBLE_DEVICES'] = str(gpus[slot % len(gpus)])
      else:
        env['XLA_FLAGS'] = ' '.join(f for f in env.get('XLA_FLAGS', '').split()
                                    if 'device_count' not in f)
      running[subprocess.Popen(relaunch(i), env=env)] = (i, slot)
    finished = [p for p in running if p.poll() is not None]
    if not finished:
      time.sleep(0.2)
    for p in finished:
      i, slot = running.pop(p)
      free.append(slot)
      if p.returncode:
        failed.append(i)
  if failed:
    print(f'error: sweep points {failed} failed; rerun the same command to resume them',
          file=sys.stderr)
    return 1
  return 0
