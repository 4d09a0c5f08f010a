"""Test set-up: 4 fake CPU devices and the test compile flag (before JAX is
imported), a session compilation cache, repo on sys.path."""

import os
import shutil
import sys
import tempfile

from fingerprints import TEST_XLA_FLAGS  # LLVM -O1: compiles faster

os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                           f' --xla_force_host_platform_device_count=4 {TEST_XLA_FLAGS}').strip()
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
# One fresh compilation cache per test session, shared by the pytest-xdist
# workers (they inherit this environment) and the launch.py subprocesses: a
# resumed or repeated run in a later test reads its programs instead of
# compiling them again (bitwise the same executable; test_process.py checks).
# Every program is kept, the op-by-op ones too (a network's init compiles one per
# layer op: 5 to 15 s of a smoke run), and nothing is evicted: jax's eviction lists
# the whole folder on every write, which grows quadratically with thousands of files.
if 'GAN_JAX_XLA_CACHE' not in os.environ:
  os.environ['GAN_JAX_XLA_CACHE'] = tempfile.mkdtemp(prefix='gan_jax_test_xla_')
  _OWN_XLA_CACHE = os.environ['GAN_JAX_XLA_CACHE']
  os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0')
  os.environ.setdefault('JAX_COMPILATION_CACHE_MAX_SIZE', '-1')
else:
  _OWN_XLA_CACHE = None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'experiments'))

import pytest  # noqa: E402

from gan_jax import cache  # noqa: E402

cache.enable_compilation_cache()  # tests that train without launch.py use it too


def pytest_sessionfinish(session):
  if _OWN_XLA_CACHE and not hasattr(session.config, 'workerinput'):  # the controller
    shutil.rmtree(_OWN_XLA_CACHE, ignore_errors=True)


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
