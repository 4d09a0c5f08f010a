"""Fingerprints of the final training state of fixed short runs: the guard that
a refactor moves no numbers.

A fingerprint is the SHA-256 of the sorted per-array digests (dtype, shape,
bytes) of every array in the newest checkpoint, read back raw by orbax. Sorting
makes it independent of how the state pytree is organised, so moving fields
between classes does not change it; changing any value does.

  python tests/fingerprints.py --write   # record tests/fingerprints.json
  python tests/fingerprints.py           # compare, one line per run
  python tests/fingerprints.py --one_device [--write] NAME_1dev ...
The smoke runs use 4 fake CPU devices and TEST_XLA_FLAGS, as the tests do.
"""

import hashlib
import json
import os
import sys
import tempfile

# The test suite's compile flag: LLVM at -O1 instead of -O2. The same XLA
# programs (HLO), machine code optimised less, a third less compile time (the
# stylegan2 smoke run: 100 -> 69 s), which is most of a smoke run on a CPU; the
# VGG tests run as fast as at -O2 (-O0 compiles a little faster but runs them
# 3x slower). It rounds differently (LLVM fuses multiply-adds differently), so
# the smoke RUNS' fingerprints are recorded with it; the SLOW_RUNS run as users do.
TEST_XLA_FLAGS = '--xla_backend_optimization_level=1'

if __name__ == '__main__':
  # SLOW_RUNS: one device (4 fake devices on 2 cores can stall XLA's CPU all-reduce
  # at batch 64), default flags; the smoke RUNS: 4 devices and TEST_XLA_FLAGS, as the tests.
  _flags = (' --xla_force_host_platform_device_count=1' if '--one_device' in sys.argv
            else f' --xla_force_host_platform_device_count=4 {TEST_XLA_FLAGS}')
  os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') + _flags).strip()
  os.environ.setdefault('JAX_PLATFORMS', 'cpu')
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILE = os.path.join(ROOT, 'tests', 'fingerprints.json')


def _exp(name):
  return f'--config={os.path.join(ROOT, "experiments", name)}'


# name -> launch.py arguments (the workdir is added). Every experiment's smoke
# run, the toolbox options the experiments do not switch on, and the digits
# demo's first 1,000 steps.
RUNS = {
    'gan_mnist': [_exp('gan_mnist.py:digits,smoke')],
    'dcgan_mnist': [_exp('dcgan_mnist.py:digits,smoke')],
    'dcgan_cifar10': [_exp('dcgan_cifar10.py:digits,smoke')],
    'cgan_mnist': [_exp('cgan_mnist.py:digits,smoke')],
    'wgan_mnist': [_exp('wgan_mnist.py:digits,smoke')],
    'wgan_gp_cifar10': [_exp('wgan_gp_cifar10.py:digits,smoke')],
    'sngan_cifar10': [_exp('sngan_cifar10.py:digits,smoke')],
    'cgan_pd_cifar10': [_exp('cgan_pd_cifar10.py:digits,smoke')],
    'toy2d_ring8': [_exp('toy2d.py:ring8,smoke')],
    'pacgan_ring_pack2': [_exp('pacgan_toy.py:ring,pack2,smoke')],
    'pacgan_stacked_pack2': [_exp('pacgan_stacked_digits.py:pack2,smoke')],
    'toy2d_grid25': [_exp('toy2d.py:grid25,smoke')],
    'cyclegan_digits': [_exp('cyclegan.py:digits,smoke')],
    'pix2pix_demo': [_exp('pix2pix.py:demo,smoke')],
    'stargan_digits': [_exp('stargan.py:digits,smoke')],
    'biggan_digits': [_exp('biggan_cifar10.py:digits,smoke')],
    'biggan_imagenet128': [_exp('biggan_imagenet128.py:smoke')],
    'pggan': [_exp('pggan.py:smoke')],
    'srresnet': [_exp('srresnet.py:smoke')],
    'inpainting': [_exp('inpainting.py:smoke')],
    'restore_photos': [_exp('restore_photos.py:smoke')],
    'stylegan2_digits': [_exp('stylegan2.py:smoke')],
    'stylegan2_cifar10': [_exp('stylegan2_cifar10.py:smoke')],
    'dcgan_ema_diffaugment': [_exp('dcgan_mnist.py:digits,smoke'), '--config.ema.decay=0.9',
                              '--config.augment.policy=color,translation,cutout'],
    'dcgan_r1_every1': [_exp('dcgan_mnist.py:digits,smoke'), '--config.loss.r1_gamma=1.0',
                        '--config.model.d_batchnorm=False'],
    'dcgan_r1_lazy4': [_exp('dcgan_mnist.py:digits,smoke'), '--config.loss.r1_gamma=1.0',
                       '--config.model.d_batchnorm=False', '--config.loss.r1_every=4'],
    'dcgan_ttur_linear': [_exp('dcgan_mnist.py:digits,smoke'), '--config.optim.d.lr=4e-4',
                          '--config.optim.g.schedule=linear', '--config.optim.d.schedule=linear'],
}
SLOW_RUNS = {  # python tests/fingerprints.py --one_device
    'dcgan_digits_1000_1dev': [_exp('dcgan_mnist.py:digits'), '--config.train.num_steps=1000',
                          '--config.eval.every=0', '--config.train.checkpoint_every=1000'],
    'cyclegan_digits_300_1dev': [_exp('cyclegan.py:digits'), '--config.train.num_epochs=0',
                                 '--config.train.num_steps=300', '--config.eval.every=0',
                                 '--config.train.checkpoint_every=300'],
    'pix2pix_demo_300_1dev': [_exp('pix2pix.py:demo'), '--config.train.num_epochs=0',
                              '--config.train.num_steps=300', '--config.eval.every=0',
                              '--config.train.checkpoint_every=300'],
}


def state_fingerprint(checkpoint_dir: str) -> str:
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  with ocp.CheckpointManager(checkpoint_dir) as manager:
    step = manager.latest_step()
    tree = manager.restore(step, args=ocp.args.StandardRestore())
  import jax  # pylint: disable=g-import-not-at-top
  digests = []
  for leaf in jax.tree.leaves(tree):
    a = np.asarray(leaf)
    if np.issubdtype(a.dtype, np.dtype('V')) or a.dtype == object:  # PRNG key data
      a = np.asarray(jax.random.key_data(leaf))
    h = hashlib.sha256(f'{a.dtype.str}{a.shape}'.encode())
    h.update(np.ascontiguousarray(a).tobytes())
    digests.append(h.hexdigest())
  return hashlib.sha256(''.join(sorted(digests)).encode()).hexdigest()


def run_fingerprint(args) -> str:
  import launch  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory() as tmp:
    wd = os.path.join(tmp, 'run')
    code = launch.run(['launch.py', *args, f'--workdir={wd}'])
    if code != 0:
      raise RuntimeError(f'launch.py {" ".join(args)} exited {code}')
    return state_fingerprint(os.path.join(wd, 'checkpoints'))


def cpu_features() -> str:
  """The vector extensions XLA's CPU convolutions are compiled for. Runs with
  convolutions round differently on CPUs with other extensions (2026-11-30: 15
  runs moved on a machine with AVX-512, no code changed; the MLP runs did not)."""
  import platform  # pylint: disable=g-import-not-at-top
  flags = set()
  if os.path.exists('/proc/cpuinfo'):
    for line in open('/proc/cpuinfo'):
      if line.startswith('flags'):
        flags = set(line.split(':', 1)[1].split())
        break
  wanted = sorted(f for f in flags if f.startswith(('avx', 'amx', 'fma')))
  return ' '.join([platform.machine()] + wanted)


def versions():
  import jax  # pylint: disable=g-import-not-at-top
  import jaxlib  # pylint: disable=g-import-not-at-top
  return {'jax': jax.__version__, 'jaxlib': jaxlib.__version__, 'cpu': cpu_features()}


def recorded():
  with open(FILE) as f:
    return json.load(f)


def recorded_versions(name: str, data=None) -> dict:
  """The machine a run was recorded on: the file's, unless that run was
  re-recorded alone on another machine (`run_versions`)."""
  data = data or recorded()
  return data.get('run_versions', {}).get(name, data['versions'])


def _write(name: str, fingerprint: str, every_run: bool) -> None:
  """Records one run. Writing every run makes this machine the file's; a run
  written alone on another machine keeps its own versions, so the other runs
  stay checked where they were recorded and this one where it was."""
  data = recorded() if os.path.exists(FILE) else {'versions': versions(), 'runs': {}}
  if every_run:
    data['versions'] = versions()
    data.pop('run_versions', None)
  per_run = data.setdefault('run_versions', {})
  per_run.pop(name, None)
  if versions() != data['versions']:
    per_run[name] = versions()
  if not per_run:
    del data['run_versions']
  data['runs'][name] = fingerprint
  with open(FILE, 'w') as f:
    json.dump(data, f, indent=1, sort_keys=True)
    f.write('\n')


def main(argv):
  runs = SLOW_RUNS if '--one_device' in argv else RUNS
  names = [a for a in argv[1:] if not a.startswith('--')] or list(runs)
  got = {}
  for name in names:
    got[name] = run_fingerprint(runs[name])
    print(f'{name}: {got[name]}', flush=True)
    if '--write' in argv:  # after each run: a long list is not lost to one failure
      _write(name, got[name], every_run=len(names) == len(runs))
  if '--write' in argv:
    return 0
  want = recorded()['runs']
  bad = [n for n in names if want.get(n) != got[n]]
  for n in bad:
    print(f'MOVED: {n}')
  return 1 if bad else 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
