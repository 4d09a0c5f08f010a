"""launch.py as a separate process: SIGKILL at any point then restart reaches
the uninterrupted run's parameters bitwise; SIGTERM checkpoints before exit."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

from conftest import ROOT, experiment, subprocess_env
from test_train import leaves, load_state

CFG = experiment('dcgan_mnist.py') + ':digits,smoke'
ARGS = ['--config.train.num_steps=30', '--config.train.checkpoint_every=5',
        '--config.train.log_every=5', '--config.train.sample_every=0']


def start(workdir, *extra, env=None):
  return subprocess.Popen([sys.executable, os.path.join(ROOT, 'launch.py'), f'--config={CFG}',
                           f'--workdir={workdir}', *ARGS, *extra],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env or subprocess_env(), cwd=ROOT)


def wait_for_line(proc, needle, timeout=120):
  deadline = time.time() + timeout
  while time.time() < deadline:
    line = proc.stdout.readline()
    if needle in line:
      return line
    if not line and proc.poll() is not None:
      raise AssertionError(f'process ended before {needle!r}: {proc.stderr.read()}')
  raise AssertionError(f'no {needle!r} within {timeout} s')


def rows(workdir):
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [json.loads(line) for line in f]


def test_xla_cache_setting_turns_it_off_or_names_its_folder(monkeypatch, tmp_path):
  import jax
  from gan_jax import cache
  before = jax.config.jax_compilation_cache_dir
  floor = jax.config.jax_persistent_cache_min_compile_time_secs
  size = jax.config.jax_compilation_cache_max_size
  try:
    monkeypatch.setenv('GAN_JAX_XLA_CACHE', '0')
    assert cache.enable_compilation_cache() is None
    monkeypatch.setenv('GAN_JAX_XLA_CACHE', '1')
    monkeypatch.setenv('GAN_JAX_CACHE', str(tmp_path / 'root'))
    assert cache.enable_compilation_cache() == str(tmp_path / 'root' / 'xla')
    monkeypatch.setenv('GAN_JAX_XLA_CACHE', str(tmp_path / 'elsewhere'))
    assert cache.enable_compilation_cache() == str(tmp_path / 'elsewhere')
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / 'elsewhere')
    # jax's own variables win over gan_jax's floor and size (the tests keep everything).
    monkeypatch.delenv('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', raising=False)
    monkeypatch.delenv('JAX_COMPILATION_CACHE_MAX_SIZE', raising=False)
    cache.enable_compilation_cache()
    assert jax.config.jax_persistent_cache_min_compile_time_secs == cache.MIN_COMPILE_SECONDS
    assert jax.config.jax_compilation_cache_max_size == cache.MAX_BYTES
    monkeypatch.setenv('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0')
    monkeypatch.setenv('JAX_COMPILATION_CACHE_MAX_SIZE', '-1')
    cache.enable_compilation_cache()
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0
    assert jax.config.jax_compilation_cache_max_size == -1
  finally:
    jax.config.update('jax_compilation_cache_dir', before)
    cache._state['dir'] = before  # pylint: disable=protected-access
    jax.config.update('jax_persistent_cache_min_compile_time_secs', floor)
    jax.config.update('jax_compilation_cache_max_size', size)
    cache._state['dir'] = before  # pylint: disable=protected-access


def test_sigkill_then_restart_is_bitwise_equal(launch, tmp_path):
  """Also the persistent compilation cache: the killed run compiles the step and
  writes it to an empty cache; the restart reads it from there, bitwise the same."""
  from gan_jax.metrics import digits_classifier
  straight, killed = str(tmp_path / 'straight'), str(tmp_path / 'killed')
  code, _, err = launch(f'--config={CFG}', f'--workdir={straight}', *ARGS)
  assert code == 0, err
  env = dict(subprocess_env(), GAN_JAX_CACHE=str(tmp_path / 'cache'), GAN_JAX_XLA_CACHE='1')
  os.makedirs(env['GAN_JAX_CACHE'])
  shutil.copy(digits_classifier.cache_path(), env['GAN_JAX_CACHE'])  # trained by `straight`
  proc = start(killed, env=env)
  assert '(compiled; cached for the next run)' in wait_for_line(proc, 'first step:')
  wait_for_line(proc, 'step 15/30')  # mid-run, a checkpoint write possibly in flight
  proc.send_signal(signal.SIGKILL)
  proc.wait()
  proc = start(killed, env=env)
  out, err = proc.communicate(timeout=300)
  assert proc.returncode == 0, err
  assert 'resuming from step' in out
  assert '(read from the XLA cache)' in out.split('first step:')[1].splitlines()[0]
  a, step_a = load_state(CFG, straight, *ARGS)
  b, step_b = load_state(CFG, killed, *ARGS)
  assert step_a == step_b == 30
  for x, y in zip(leaves(a), leaves(b)):
    np.testing.assert_array_equal(x, y)
  assert rows(straight) == rows(killed)


def test_sigterm_writes_a_checkpoint_and_resumes(tmp_path):
  wd = str(tmp_path / 'run')
  proc = start(wd, '--config.train.num_steps=100000', '--config.train.checkpoint_every=100000')
  wait_for_line(proc, 'step 5/100000')
  proc.send_signal(signal.SIGTERM)
  out, err = proc.communicate(timeout=120)
  assert proc.returncode == 128 + signal.SIGTERM, err
  assert 'stopped by SIGTERM at step' in err and 'rerun the same command to resume' in err
  step = int(err.split('stopped by SIGTERM at step ')[1].split(';')[0])
  assert step >= 5
  assert sorted(os.listdir(os.path.join(wd, 'checkpoints'))) == [str(step)]
