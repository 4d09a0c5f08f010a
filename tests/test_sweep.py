"""Sweeps: expansion and naming, skip/resume of points, one point by index or
SLURM_ARRAY_TASK_ID, parallel points, and the report."""

import csv
import json
import os

import pytest

from conftest import experiment
from gan_jax import sweep
from gan_jax.errors import UserError

TOY = experiment('toy2d.py') + ':ring8,smoke'


def test_product_zip_and_names():
  pts = sweep.product({'optim.d.lr': [1e-4, 4e-4], 'train.n_critic': [1, 5]})
  assert pts == [{'optim.d.lr': 1e-4, 'train.n_critic': 1},
                 {'optim.d.lr': 1e-4, 'train.n_critic': 5},
                 {'optim.d.lr': 4e-4, 'train.n_critic': 1},
                 {'optim.d.lr': 4e-4, 'train.n_critic': 5}]
  assert sweep.zipped({'a': [1, 2], 'b': ['x', 'y']}) == [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]
  with pytest.raises(UserError, match='one length'):
    sweep.zipped({'a': [1, 2], 'b': [1]})
  assert sweep.point_name({'train.n_critic': 5, 'optim.d.lr': 1e-4}) == \
      'optim.d.lr=0.0001,train.n_critic=5'
  assert sweep.point_name({'augment.policy': 'color,cutout', 'x': (1, 2)}) == \
      'augment.policy=color,cutout,x=1+2'
  assert sweep.point_name({'data.source': 'folder:/a b'}) == 'data.source=folder__a_b'


def test_overrides_are_checked():
  from gan_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  c = config_lib.base_config()
  c.lock()
  sweep.apply_overrides(c, {'optim.d.lr': 1e-3})
  assert c.optim.d.lr == 1e-3
  with pytest.raises(UserError, match="unknown config key 'optim.d.lrr'; keys of optim.d: b1"):
    sweep.apply_overrides(c, {'optim.d.lrr': 1})


def test_sweep_runs_skips_and_resumes(launch, tmp_path):
  wd = str(tmp_path / 'sw')
  code, out, err = launch(f'--config={TOY}', '--sweep', f'--workdir={wd}')
  assert code == 0, err
  names = sorted(d for d in os.listdir(wd) if '=' in d)
  assert len(names) == 6 and 'loss.adversarial=hinge,loss.r1_gamma=1' in names
  point = json.load(open(os.path.join(wd, names[0], sweep.POINT_FILE)))
  assert set(point['overrides']) == {'loss.adversarial', 'loss.r1_gamma'}
  saved = json.load(open(os.path.join(wd, 'loss.adversarial=hinge,loss.r1_gamma=1', 'config.json')))
  assert saved['loss']['adversarial'] == 'hinge' and saved['loss']['r1_gamma'] == 1.0
  code, out, err = launch(f'--config={TOY}', '--sweep', f'--workdir={wd}')
  assert code == 0 and out.count('skipped') == 6
  # A longer run resumes every point from its checkpoint.
  code, out, err = launch(f'--config={TOY}', '--sweep', f'--workdir={wd}',
                          '--config.train.num_steps=6')
  assert code == 0, err
  assert out.count('resuming from step 4') == 6


def test_one_point_by_index_and_by_slurm(launch, tmp_path, monkeypatch):
  wd = str(tmp_path / 'sw')
  code, out, err = launch(f'--config={TOY}', '--sweep_index=2', f'--workdir={wd}')
  assert code == 0, err
  assert sorted(d for d in os.listdir(wd)) == ['loss.adversarial=lsgan,loss.r1_gamma=0']
  monkeypatch.setenv('SLURM_ARRAY_TASK_ID', '5')
  code, out, err = launch(f'--config={TOY}', '--sweep', f'--workdir={wd}')
  assert code == 0, err
  assert 'loss.adversarial=hinge,loss.r1_gamma=1' in os.listdir(wd) and len(os.listdir(wd)) == 2
  code, out, err = launch(f'--config={TOY}', '--sweep_index=6', f'--workdir={wd}')
  assert code == 2 and 'sweep index 6 out of range; this sweep has 6 points (0..5)' in err


def test_experiment_without_sweep(launch, tmp_path):
  code, _, err = launch(f'--config={experiment("gan_mnist.py")}:digits,smoke', '--sweep',
                        f'--workdir={tmp_path}')
  assert code == 2 and 'defines no get_sweep()' in err


def test_parallel_sweep(launch, tmp_path):
  wd = str(tmp_path / 'sw')
  code, out, err = launch(f'--config={TOY}', '--sweep', '--sweep_parallel=2', f'--workdir={wd}')
  assert code == 0, err
  assert sum(sweep.steps_done(os.path.join(wd, d)) == 4 for d in os.listdir(wd)) == 6


def fake_run(root, name, overrides, rows, main='digits_confident', mode='max'):
  run = os.path.join(root, name)
  os.makedirs(run)
  sweep.write_point_file(run, 0, overrides)
  with open(os.path.join(run, 'config.json'), 'w') as f:
    json.dump({'eval': {'main_metric': main, 'main_mode': mode}}, f)
  with open(os.path.join(run, 'metrics.jsonl'), 'w') as f:
    f.writelines(json.dumps(r) + '\n' for r in rows)


def test_report_on_fake_runs(launch, tmp_path):
  root = str(tmp_path)
  fake_run(root, 'lr=1', {'optim.g.lr': 1}, [
      {'step': 10, 'g_loss': 2.0, 'digits_confident': 0.5},
      {'step': 20, 'g_loss': 1.0, 'digits_confident': 0.4}])
  fake_run(root, 'lr=2', {'optim.g.lr': 2}, [
      {'step': 10, 'g_loss': 3.0, 'digits_confident': 0.7},
      {'step': 30, 'g_loss': 4.0, 'digits_confident': 0.6}])
  code, out, err = launch('--mode=report', f'--workdir={root}')
  assert code == 0, err
  assert 'sorted by best digits_confident (higher is better)' in out
  with open(os.path.join(root, 'report.csv')) as f:
    rows = list(csv.DictReader(f))
  assert [r['run'] for r in rows] == ['lr=2', 'lr=1']  # best confident 0.7 before 0.5
  # Overrides, steps, then the main metric: final, best, step of the best. No loss terms.
  assert list(rows[0]) == ['run', 'optim.g.lr', 'steps', 'digits_confident final',
                           'digits_confident best', 'best at step']
  assert rows[0]['steps'] == '30' and rows[0]['digits_confident final'] == '0.6'
  assert rows[0]['digits_confident best'] == '0.7' and rows[0]['best at step'] == '10'
  assert rows[1]['optim.g.lr'] == '1' and rows[1]['best at step'] == '10'
  assert os.path.exists(os.path.join(root, 'report.md'))
  png = os.path.join(root, 'report.png')  # the main metric over steps, a line per point
  assert os.path.getsize(png) > 10_000 and open(png, 'rb').read(4) == b'\x89PNG'
  code, out, err = launch('--mode=report', '--report_losses', f'--workdir={root}')
  assert code == 0 and '| g_loss |' in out.replace(' g_loss |', '| g_loss |')
  with open(os.path.join(root, 'report.csv')) as f:
    assert list(csv.DictReader(f))[1]['g_loss'] == '1'
  # A single run's workdir: its row and its curves.png.
  code, out, err = launch('--mode=report', f'--workdir={root}/lr=1')
  assert code == 0 and '| lr=1 |' in out
  assert os.path.getsize(os.path.join(root, 'lr=1', 'curves.png')) > 10_000
  code, out, err = launch('--mode=report', f'--workdir={root}/none')
  assert code == 2 and 'does not exist' in err


def test_report_reads_seed_studies(tmp_path):
  from gan_jax import report, seeds
  root = str(tmp_path)
  for name, modes in (('ring_gan', [6, 7, 5]), ('ring_pack2', [8, 8, 7])):
    rows = [{'seed': s, 'pacgan_ring_modes': m} for s, m in enumerate(modes)]
    out = {'seeds': [0, 1, 2], 'per_seed': rows, 'summary': seeds.mean_and_standard_error(
        [{'pacgan_ring_modes': m} for m in modes])}
    os.makedirs(os.path.join(root, name))
    with open(os.path.join(root, name, seeds.RESULTS_FILE), 'w') as f:
      json.dump(out, f)
  text = report.write_report(root)
  # mean +- standard error by hand: (6, 7, 5): 6 +- 1/sqrt(3); (8, 8, 7): 7.667 +- 0.333
  assert '| ring_gan | 3 | 6 +- 0.58 |' in text and '| ring_pack2 | 3 | 7.667 +- 0.33 |' in text
  with open(os.path.join(root, 'report_seeds.csv')) as f:
    assert [r['study'] for r in csv.DictReader(f)] == ['ring_gan', 'ring_pack2']
  with open(os.path.join(root, 'ring_gan', seeds.RESULTS_FILE), 'w') as f:
    f.write('{"seeds": [0, 1')  # a run killed while writing
  with pytest.raises(UserError, match='ring_gan/seeds.json is unreadable'):
    report.write_report(root)
