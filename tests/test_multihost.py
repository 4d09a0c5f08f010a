"""Two processes x 2 CPU devices on localhost (jax.distributed, gloo) reach the
same parameters as one process x 4 devices, and write one set of files."""

import json
import os
import socket
import subprocess
import sys

import numpy as np

from conftest import ROOT, experiment, subprocess_env
from test_train import leaves, load_state

CFG = experiment('dcgan_mnist.py') + ':digits,smoke'
ARGS = ['--config.train.num_steps=5', '--config.ema.decay=0.9']


def free_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def test_two_processes_equal_one(launch, tmp_path):
  one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
  code, _, err = launch(f'--config={CFG}', f'--workdir={one}', *ARGS)
  assert code == 0, err
  env = subprocess_env()
  env['XLA_FLAGS'] = '--xla_force_host_platform_device_count=2'
  port = free_port()
  procs = [subprocess.Popen(
      [sys.executable, os.path.join(ROOT, 'launch.py'), f'--config={CFG}', f'--workdir={two}',
       *ARGS, f'--coordinator_address=127.0.0.1:{port}', '--num_processes=2', f'--process_id={i}'],
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
           for i in range(2)]
  outs = [p.communicate(timeout=300) for p in procs]
  for p, (out, err) in zip(procs, outs):
    assert p.returncode == 0, err[-2000:]
  assert 'step 5/5' in outs[0][0] and 'step 5/5' not in outs[1][0]  # process 0 reports
  a, step_a = load_state(CFG, one, *ARGS)
  b, step_b = load_state(CFG, two, *ARGS)  # restored on a different process count
  assert step_a == step_b == 5
  for x, y in zip(leaves(a), leaves(b)):
    np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)
  rows = lambda wd: [json.loads(line) for line in open(os.path.join(wd, 'metrics.jsonl'))]
  assert [r['step'] for r in rows(two)] == [r['step'] for r in rows(one)] == [2, 4, 5]
  np.testing.assert_allclose(rows(two)[-1]['g_loss'], rows(one)[-1]['g_loss'], rtol=1e-5)
