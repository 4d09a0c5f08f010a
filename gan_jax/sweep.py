"""Hyperparameter sweeps: an experiment file may define, beside get_config,

  def get_sweep(arg=None):
    return sweep.product({'optim.d.lr': [1e-4, 2e-4], 'train.n_critic': [1, 5]})

a list of override dicts (dotted config keys). Each point trains in its own
workdir, <workdir>/<point name>, named after its overrides; a finished point
is skipped and an interrupted one resumes, so rerunning a sweep command
completes it. `--sweep_index=N` (or SLURM_ARRAY_TASK_ID) runs one point, so a
cluster array job runs a sweep with no extra tooling.
"""

import itertools
import json
import os
import re
from typing import Dict, List, Sequence

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
    node, parts = config, key.split('.')
    for i, part in enumerate(parts):
      if not hasattr(node, 'keys') or part not in node:
        where = '.'.join(parts[:i]) or 'config'
        known = ', '.join(sorted(node.keys())) if hasattr(node, 'keys') else '(not a group)'
        raise UserError(f'sweep override {key!r}: unknown config key; keys of {where}: {known}')
      if i < len(parts) - 1:
        node = node[part]
    try:
      node[parts[-1]] = value
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
