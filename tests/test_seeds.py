"""Seeds side by side (gan_jax/seeds.py): a vmapped seed trains as it does alone."""

import json
import os

import jax
import numpy as np
import pytest

from conftest import experiment
from gan_jax import seeds as seeds_lib
from gan_jax.data import pipeline
from gan_jax.experiment import Experiment


def _load(spec, *overrides):
  import launch  # pylint: disable=g-import-not-at-top
  return launch.load_config(['launch.py', f'--config={spec}', *overrides])


def test_vmapped_seeds_equal_lone_runs():
  config = _load(experiment('pacgan_toy.py') + ':ring,pack2,smoke')
  exp = Experiment(config, None, need_source=True, devices=jax.devices()[:1])
  method, seeds = exp.method, [3, 8]
  batches = seeds_lib.seed_batches(config, exp.source, method, seeds)
  stacked = seeds_lib.init_states(method, seeds)
  vstep = jax.jit(jax.vmap(method.train_step))
  step = jax.jit(method.train_step)
  lone = [method.init(jax.random.PRNGKey(s)) for s in seeds]
  for t in range(3):
    stacked, _ = vstep(stacked, batches(t))
    for i, s in enumerate(seeds):  # what `--config.seed=s` feeds a lone run at step t
      b = pipeline.Batches(exp.source, config.train.batch_size, s, crop_to=1,
                            per_step=method.batch_schedule)(t)
      np.testing.assert_array_equal(b['image'], batches(t)['image'][i])
      lone[i], _ = step(lone[i], b)
  for i in range(len(seeds)):
    for a, b in zip(jax.tree.leaves(seeds_lib.unstack(stacked, i)), jax.tree.leaves(lone[i])):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # XLA batches the matmuls
  a, b = (jax.tree.leaves(seeds_lib.unstack(stacked, i).g.params)[0] for i in range(2))
  assert not np.allclose(a, b)  # the seeds differ


def test_mean_and_standard_error_by_hand():
  s = seeds_lib.mean_and_standard_error([{'m': 6.0}, {'m': 8.0}, {'m': 7.0}, {'m': 7.0}])
  # std (ddof 1) = sqrt(2 / 3); se = that / 2
  assert s['m']['mean'] == 7.0 and s['m']['se'] == pytest.approx(np.sqrt(2 / 3) / 2)


def test_seeds_mode_end_to_end(launch, tmp_path):
  wd = tmp_path / 'seeds'
  code, out, err = launch(f'--config={experiment("toy2d.py")}:ring8,smoke', f'--workdir={wd}',
                          '--mode=seeds', '--seeds=2')
  assert code == 0, err
  saved = json.loads((wd / 'seeds.json').read_text())
  assert saved['seeds'] == [0, 1] and len(saved['per_seed']) == 2
  modes = [r['ring8_modes'] for r in saved['per_seed']]
  assert saved['summary']['ring8_modes']['mean'] == pytest.approx(np.mean(modes))
  assert 'mean +- se' in out
  assert not os.path.exists(wd / 'checkpoints')
  code, _, err = launch(f'--config={experiment("toy2d.py")}:ring8,smoke', f'--workdir={wd}',
                        '--mode=seeds', '--seeds=0')
  assert code == 2 and 'must be >= 1' in err
