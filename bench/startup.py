"""Time from command to first step, cold and warm: what the persistent XLA
compilation cache saves a resumed run, a second sweep point or an eval.

  python3 bench/startup.py
  python3 bench/startup.py experiments/cyclegan.py:digits

For each config, launch.py runs 2 steps three times in fresh workdirs with an
empty $GAN_JAX_CACHE: cold (nothing cached), warm (the first run's compiled
programs on disk), and off (GAN_JAX_XLA_CACHE=0, for the cache's own cost).
Prints the seconds from starting the process to the line that reports the
first step, and that line's own figure (the first step, compile included).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def first_step(config: str, workdir: str, cache: str, xla_cache: bool):
  env = dict(os.environ, GAN_JAX_CACHE=cache, GAN_JAX_XLA_CACHE='1' if xla_cache else '0',
             PYTHONUNBUFFERED='1')
  cmd = [sys.executable, os.path.join(ROOT, 'launch.py'), f'--config={config}',
         f'--workdir={workdir}', '--config.train.num_steps=2', '--config.train.num_epochs=0',
         '--config.eval.every=0',
         '--config.train.sample_every=0', '--config.train.checkpoint_every=0']
  start = time.perf_counter()
  proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=env, cwd=ROOT)
  to_first, line_figure, how = None, None, ''
  for line in proc.stdout:
    m = re.match(r'\s+first step: ([\d.]+) s \((.*)\)', line)
    if m and to_first is None:
      to_first, line_figure, how = time.perf_counter() - start, float(m.group(1)), m.group(2)
  proc.wait()
  if proc.returncode or to_first is None:
    raise RuntimeError(f'{" ".join(cmd)} exited {proc.returncode}')
  return to_first, line_figure, how


def main():
  p = argparse.ArgumentParser()
  p.add_argument('configs', nargs='*', default=['experiments/dcgan_mnist.py:digits',
                                                'experiments/cyclegan.py:digits'])
  args = p.parse_args()
  print('| config | run | command to first step | first step (compile included) | XLA cache |',
        flush=True)
  print('|---|---|---|---|---|')
  for config in args.configs:
    with tempfile.TemporaryDirectory() as tmp:
      cache = os.path.join(tmp, 'cache')
      for i, (name, on) in enumerate((('cold', True), ('warm', True), ('cache off', False))):
        total, step, how = first_step(config, os.path.join(tmp, f'run{i}'), cache, on)
        print(f'| {config} | {name} | {total:.1f} s | {step:.1f} s | {how} |', flush=True)


if __name__ == '__main__':
  main()
