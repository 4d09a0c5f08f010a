"""Test set-up: 4 fake CPU devices (before JAX is imported), repo on sys.path."""

import os
import sys

os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                           ' --xla_force_host_platform_device_count=4').strip()
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
os.environ.setdefault('GAN_JAX_XLA_CACHE', '0')  # test_process.py turns it on where it tests it
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'experiments'))

import pytest  # noqa: E402


@pytest.fixture
def launch(capsys):
  """launch(*args) -> (exit status, stdout, stderr), running launch.py in-process."""
  import launch as launch_mod  # pylint: disable=g-import-not-at-top

  def run(*args):
    code = launch_mod.run(['launch.py', *args])
    out, err = capsys.readouterr()
    return code, out, err
  return run


def experiment(name):
  return os.path.join(ROOT, 'experiments', name)


def subprocess_env():
  env = dict(os.environ)
  env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
  env['PYTHONUNBUFFERED'] = '1'
  return env
