"""--mode=summary's memory figure against the memory a train step really takes
on this CPU.

  python3 bench/memory_check.py                      # DCGAN-32 b128, CycleGAN 256, pix2pix 256
  python3 bench/memory_check.py experiments/dcgan_mnist.py:digits

For each config, on one device: XLA's analysis of the compiled step (what the
summary prints), then the step run once while a thread samples the process's
resident memory every 0.2 ms. Before the run, freed compile-time memory is
handed back to the OS (malloc_trim) so that the step's buffers show up as new
resident pages. Prints the estimate (temporaries + outputs not aliased to the
donated state), the measured rise and their ratio.
"""

import argparse
import ctypes
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'experiments'))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from gan_jax import inference, parallel, sweep  # noqa: E402
from gan_jax.experiment import Experiment  # noqa: E402

PAGE = os.sysconf('SC_PAGE_SIZE')


def rss() -> int:
  with open('/proc/self/statm') as f:
    return int(f.read().split()[1]) * PAGE


def measure(spec: str):
  module, arg = sweep.load_experiment(spec)
  config = module.get_config(arg)
  exp = Experiment(config, None, need_source=False, devices=jax.devices()[:1])
  method, mesh = exp.method, exp.mesh
  state = jax.device_put(method.init(jax.random.PRNGKey(0)), parallel.replicated(mesh))
  memory = inference.train_step_memory(method, mesh, state)
  rng = np.random.default_rng(0)
  batch = {k: jax.device_put(rng.uniform(-1, 1, v.shape).astype(v.dtype) if k.startswith('image')
                             else np.zeros(v.shape, v.dtype), parallel.batch_sharded(mesh))
           for k, v in method.train_batch_shapes().items()}
  step = inference.jit_train_step(method, mesh)
  state, _ = jax.block_until_ready(step(state, batch))  # compile, and a first run
  ctypes.CDLL('libc.so.6').malloc_trim(0)
  base, peak, running = rss(), [0], [True]

  def sample():
    while running[0]:
      peak[0] = max(peak[0], rss())
      time.sleep(0.0002)
  t = threading.Thread(target=sample)
  t.start()
  state, _ = jax.block_until_ready(step(state, batch))
  running[0] = False
  t.join()
  estimate = memory['temporaries'] + memory['outputs'] - memory['aliased']
  return memory, estimate, max(peak[0] - base, 0)


def main():
  p = argparse.ArgumentParser()
  p.add_argument('configs', nargs='*', default=[
      'experiments/dcgan_cifar10.py', 'experiments/cyclegan.py', 'experiments/pix2pix.py'])
  args = p.parse_args()
  mib = lambda b: b / 2**20
  print('| config | XLA peak (summary) | step estimate (temps + new outputs) | measured rise '
        '| measured / estimate |')
  print('|---|---|---|---|---|')
  for spec in args.configs:
    memory, estimate, measured = measure(spec)
    print(f'| {spec} | {mib(memory["peak"]):,.1f} MiB | {mib(estimate):,.1f} MiB | '
          f'{mib(measured):,.1f} MiB | {measured / max(estimate, 1):.2f} |', flush=True)


if __name__ == '__main__':
  main()
