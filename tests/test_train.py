"""The real launch path end to end: every experiment's :smoke run, resume
exactness, device-count invariance, checkpoint fallback, divergence."""

import glob
import json
import os
import shutil

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

import test_fingerprints
from conftest import experiment
from gan_jax.experiment import Experiment

EXPERIMENTS = ['gan_mnist.py', 'dcgan_mnist.py', 'dcgan_cifar10.py', 'cgan_mnist.py',
               'wgan_mnist.py',
               'wgan_gp_cifar10.py', 'sngan_cifar10.py', 'cgan_pd_cifar10.py']


def leaves(tree):
  return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(tree))]


def load_config(*args):
  import launch  # pylint: disable=g-import-not-at-top
  return launch.load_config(['launch.py', *args])


def load_state(config_arg, workdir, *overrides):
  """(state, step) of the newest checkpoint in workdir, through the code --mode=eval uses."""
  _, state, step = Experiment.load_trained(load_config(f'--config={config_arg}', *overrides),
                                           workdir)
  return state, step


@pytest.mark.parametrize('name', EXPERIMENTS)
def test_smoke_digits_end_to_end(name, launch, tmp_path):
  cfg = experiment(name) + ':digits,smoke'
  wd = str(tmp_path / 'run')
  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}')
  assert code == 0, err
  assert 'step 4/4' in out and 'it/s' in out and 'ETA' in out
  lines = out.splitlines()
  # A banner before the first step; one human line and where the outputs are at the end.
  assert lines[0] == 'gan_jax | method gan (generates images from noise)'
  assert lines[1].startswith('  data: embedded:digits (train), 64 examples of 16x16x1, 10 classes')
  assert lines[2].startswith('  parameters: generator ') and 'discriminator' in lines[2]
  assert lines[3].startswith('  devices: 4 x cpu, global batch 8 (2 per device), 4 steps')
  assert lines[5].startswith('  first step: ') and lines[5].endswith(')')  # the compile's time
  assert 'img/s from 2 host threads, the steps consume' in lines[7]  # at the first log line
  assert lines[-1].startswith('  samples: ') and 'curves.png' in lines[-1]
  rows = [json.loads(line) for line in open(os.path.join(wd, 'metrics.jsonl'))]
  assert [r['step'] for r in rows] == [2, 4]
  for key in ('d_loss', 'g_loss', 'd_real', 'd_fake', 'd_grad_norm', 'g_grad_norm'):
    assert np.isfinite(rows[-1][key])
  assert sorted(os.listdir(os.path.join(wd, 'checkpoints'))) == ['2', '4']
  # A refactor moves no numbers: the final state is bitwise the recorded one.
  test_fingerprints.assert_state_recorded(os.path.join(wd, 'checkpoints'), name[:-len('.py')])
  assert os.path.exists(os.path.join(wd, 'samples', 'step_000004.png'))
  assert os.path.getsize(os.path.join(wd, 'curves.png')) > 10_000  # written at the end
  assert glob.glob(os.path.join(wd, 'tensorboard', 'events.out.tfevents.*'))
  saved = json.load(open(os.path.join(wd, 'config.json')))
  assert saved['train']['num_steps'] == 4 and saved['data']['source'] == 'embedded:digits'

  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}', '--mode=sample',
                          '--num_samples=5', f'--output={tmp_path}/png')
  assert code == 0, err
  assert sorted(os.listdir(tmp_path / 'png')) == ['grid.png'] + [f'sample_{i:05d}.png'
                                                                   for i in range(5)]
  grid = np.asarray(Image.open(tmp_path / 'png' / 'grid.png'))  # 2 rows x 3 of 16 px, 1 px pad
  assert grid.shape[:2] == (2 * 17 + 1, 3 * 17 + 1) and 'grid.png' in out
  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}', '--mode=eval')
  assert code == 0, err
  result = json.loads(out.strip().splitlines()[-1])
  assert result['step'] == 4 and 0 <= result['digits_confident'] <= 1


# The tfds path once per dataset (and with labels): the models are the digits runs' above.
@pytest.mark.parametrize('name', ['dcgan_mnist.py', 'cgan_mnist.py', 'cgan_pd_cifar10.py'])
def test_smoke_tfds_mock_end_to_end(name, launch, tmp_path):
  wd = str(tmp_path / 'run')
  with tfds.testing.mock_data(num_examples=32):
    code, out, err = launch(f'--config={experiment(name)}:smoke', f'--workdir={wd}')
  assert code == 0, err
  assert json.load(open(os.path.join(wd, 'config.json')))['data']['source'].startswith('tfds:')
  assert sorted(os.listdir(os.path.join(wd, 'checkpoints'))) == ['2', '4']


def test_toy2d_smoke_and_mode_metric(launch, tmp_path):
  wd = str(tmp_path / 'run')
  code, out, err = launch(f'--config={experiment("toy2d.py")}:grid25,smoke', f'--workdir={wd}')
  assert code == 0, err
  code, out, err = launch(f'--config={experiment("toy2d.py")}:grid25,smoke', f'--workdir={wd}',
                          '--mode=eval')
  assert code == 0, err
  result = json.loads(out.strip().splitlines()[-1])
  assert 0 <= result['grid25_modes'] <= 25 and 0 <= result['grid25_high_quality'] <= 1


def test_conditional_sample_by_label(launch, tmp_path):
  cfg = experiment('cgan_pd_cifar10.py') + ':digits,smoke'
  wd = str(tmp_path / 'run')
  assert launch(f'--config={cfg}', f'--workdir={wd}')[0] == 0
  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}', '--mode=sample', '--label=3',
                          '--num_samples=3', f'--output={tmp_path}/threes')
  assert code == 0, err
  assert sorted(os.listdir(tmp_path / 'threes')) == ['grid.png'] + [f'sample_{i:05d}.png'
                                                                      for i in range(3)]
  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}', '--mode=sample', '--label=10',
                          f'--output={tmp_path}/bad')
  assert code == 2 and 'allowed: 0..9' in err


def test_summary_prints_exact_counts(launch):
  code, out, err = launch(f'--config={experiment("dcgan_cifar10.py")}', '--mode=summary',
                          '--config.data.image_size=64')
  assert code == 0, err
  # Radford et al.'s 64x64 networks, counted by hand in test_models.py.
  assert 'generator total: 3,576,704 parameters' in out
  assert 'discriminator total: 2,765,568 parameters' in out
  assert '"image_size": 64' in out
  # The compiled step's memory per device: 4 devices, batch 128 -> 32 each.
  assert '== train step memory per device (cpu, batch 32 per device;' in out
  assert 'peak about ' in out and '16 GB yes' in out


def test_train_step_memory_arguments_are_the_state_and_the_batch_share():
  import jax
  from gan_jax import inference, parallel
  from gan_jax.experiment import Experiment
  import dcgan_mnist
  config = dcgan_mnist.get_config('digits,smoke')
  exp = Experiment(config, None, need_source=False)
  state = jax.device_put(exp.method.init(jax.random.PRNGKey(0)), parallel.replicated(exp.mesh))
  m = inference.train_step_memory(exp.method, exp.mesh, state)
  # By hand: every state array (replicated: whole on each device) + a quarter of the
  # images (float32; the labels an unconditional GAN does not read are pruned by jit).
  state_bytes = sum(x.nbytes if hasattr(x, 'nbytes') else jax.random.key_data(x).nbytes
                    for x in jax.tree.leaves(state))
  assert m['arguments'] == state_bytes + 8 * 16 * 16 * 1 * 4 // 4
  assert m['aliased'] == state_bytes  # the donated state is reused for the new one
  assert m['peak'] == m['arguments'] + m['outputs'] - m['aliased'] + m['temporaries']


def test_resume_is_bitwise_exact(launch, tmp_path):
  cfg = experiment('dcgan_mnist.py') + ':digits,smoke'
  straight, resumed = str(tmp_path / 'a'), str(tmp_path / 'b')
  common = ['--config.train.num_steps=6', '--config.train.checkpoint_every=3',
            '--config.ema.decay=0.9']
  assert launch(f'--config={cfg}', f'--workdir={straight}', *common)[0] == 0
  code, out, err = launch(f'--config={cfg}', f'--workdir={resumed}', *common[1:],
                          '--config.train.num_steps=3')
  assert code == 0, err
  code, out, err = launch(f'--config={cfg}', f'--workdir={resumed}', *common)
  assert code == 0, err
  assert 'resuming from step 3' in out
  a, step_a = load_state(cfg, straight, *common)
  b, step_b = load_state(cfg, resumed, *common)
  assert step_a == step_b == 6
  for x, y in zip(leaves(a), leaves(b)):
    np.testing.assert_array_equal(x, y)


def test_device_count_invariance(tmp_path):
  from gan_jax import train  # pylint: disable=g-import-not-at-top
  assert jax.device_count() == 4
  config = load_config(f'--config={experiment("dcgan_mnist.py")}:digits,smoke',
                       '--config.train.num_steps=5')
  one = train.train_and_evaluate(config, str(tmp_path / 'one'), devices=jax.devices()[:1])
  four = train.train_and_evaluate(config, str(tmp_path / 'four'), devices=jax.devices())
  for x, y in zip(leaves(one), leaves(four)):
    np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)
  assert int(one.step) == 5


def test_corrupt_newest_checkpoint_falls_back(launch, tmp_path):
  cfg = experiment('gan_mnist.py') + ':digits,smoke'
  wd = str(tmp_path / 'run')
  assert launch(f'--config={cfg}', f'--workdir={wd}')[0] == 0
  for path in glob.glob(os.path.join(wd, 'checkpoints', '4', '**', '*'), recursive=True):
    if os.path.isfile(path):
      with open(path, 'wb') as f:
        f.write(b'corrupt')
  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}', '--mode=eval')
  assert code == 0, err
  assert 'checkpoint at step 4' in err and 'unreadable' in err
  assert json.loads(out.strip().splitlines()[-1])['step'] == 2
  # Training resumes from step 2 and rewrites step 4.
  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}')
  assert code == 0, err
  assert 'resuming from step 2' in out
  assert load_state(cfg, wd)[1] == 4


def test_all_checkpoints_corrupt_is_a_clear_error(launch, tmp_path):
  cfg = experiment('gan_mnist.py') + ':digits,smoke'
  wd = str(tmp_path / 'run')
  assert launch(f'--config={cfg}', f'--workdir={wd}')[0] == 0
  for step in ('2', '4'):
    shutil.rmtree(os.path.join(wd, 'checkpoints', step, 'default'))
  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}', '--mode=eval')
  assert code == 2
  assert err.strip().splitlines()[-1].startswith('error: no readable checkpoint')
  assert 'Traceback' not in err


def test_divergence_names_step_and_term(launch, tmp_path, monkeypatch):
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  from gan_jax.methods.gan import GAN  # pylint: disable=g-import-not-at-top
  original = GAN.train_step

  def diverging_step(self, state, batch):  # g_loss turns NaN in the step that ends at 3
    new_state, metrics = original(self, state, batch)
    metrics['g_loss'] = jnp.where(state.step >= 2, jnp.nan, metrics['g_loss'])
    return new_state, metrics

  monkeypatch.setattr(GAN, 'train_step', diverging_step)
  cfg = experiment('gan_mnist.py') + ':digits,smoke'
  wd = str(tmp_path / 'run')
  code, out, err = launch(f'--config={cfg}', f'--workdir={wd}', '--config.train.num_steps=8',
                          '--config.train.checkpoint_every=1')
  assert code == 2
  last = err.strip().splitlines()[-1]
  assert last.startswith('error: training diverged: g_loss = nan at step 3; the last good '
                         'checkpoint (step 2) is kept'), last
  assert sorted(os.listdir(os.path.join(wd, 'checkpoints'))) == ['1', '2']
