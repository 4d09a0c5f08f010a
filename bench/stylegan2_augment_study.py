"""Issue 12's augmentation study: StyleGAN2 `:digits` on the same data and
budget with no augmentation, DiffAugment, ADA (adaptive p) and a fixed p, one
run after another, then one table (digits_fd, confident fraction, class entropy
at each evaluation, and ADA's p and E[sign D(real)] where logged).

  python bench/stylegan2_augment_study.py [--steps=1000] [--examples=300] \
      [--eval_every=500] [--arms=none,diffaugment,ada,fixed] [--workdir=runs/sg2_study]

--examples: the training digits kept (data.max_examples; 0 = all 1,500). With all
1,500, ADA's overfitting measure stayed below its target for 96 kimg (bench/
RESULTS.md), so p never moved; fewer images should make D overfit sooner, the
regime ADA exists for (at R1 gamma 1, D did not overfit even 300 digits in 160
kimg). A run already finished in its workdir is only re-read.
After the table: ADA's p at ten points of each arm that adapts it (its curve).
"""

import argparse
import ast
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ARMS = {
    'none': ['--config.augment.pipe='],
    'diffaugment': ['--config.augment.pipe=', '--config.augment.policy=color,translation,cutout'],
    'ada': [],                                                   # the config: bgc, target 0.6
    'fixed': ['--config.augment.ada_target=0', '--config.augment.p=0.2'],
}
EVAL = re.compile(r'^eval at step (\d+): (\{.*\})$')
STEP = re.compile(r'^step (\d+)/\d+ .*')


def run_arm(name, args):
  workdir = os.path.join(args.workdir, name)
  log = workdir + '.log'
  if not (os.path.exists(log) and 'eval at step %d:' % args.steps in open(log).read()):
    cmd = [sys.executable, os.path.join(ROOT, 'launch.py'),
           f'--config={os.path.join(ROOT, "experiments", "stylegan2.py")}:digits',
           f'--workdir={workdir}', f'--config.train.num_steps={args.steps}',
           f'--config.data.max_examples={args.examples}',
           f'--config.eval.every={args.eval_every}', *ARMS[name]]
    print(' '.join(cmd[1:]), flush=True)
    os.makedirs(args.workdir, exist_ok=True)
    start = time.time()
    with open(log, 'w') as f:
      subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=True, cwd=ROOT)
    with open(log, 'a') as f:
      f.write(f'wall {time.time() - start:.0f} s\n')
  evals, logged = {}, {}
  for line in open(log):
    line = line.strip()
    m = EVAL.match(line)
    if m:
      evals[int(m.group(1))] = ast.literal_eval(m.group(2))
    m = STEP.match(line)
    if m:
      vals = dict(re.findall(r'(\w+) (-?[\d.e+-]+)', line))
      logged[int(m.group(1))] = vals
  wall = re.search(r'^wall (\d+) s$', open(log).read(), re.M)
  return evals, logged, f'{int(wall.group(1)) / 60:.1f} min' if wall else ''


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--steps', type=int, default=1000)
  parser.add_argument('--examples', type=int, default=300)
  parser.add_argument('--eval_every', type=int, default=500)
  parser.add_argument('--arms', default=','.join(ARMS))
  parser.add_argument('--workdir', default=os.path.join(ROOT, 'runs', 'sg2_study'))
  args = parser.parse_args()
  arms = [a.strip() for a in args.arms.split(',') if a.strip()]
  bad = [a for a in arms if a not in ARMS]
  if bad:
    sys.exit(f'error: --arms={args.arms!r}: unknown {bad}; allowed: {", ".join(ARMS)}')
  rows, curves = [], []
  for name in arms:
    evals, logged, wall = run_arm(name, args)
    if name == 'ada':
      points = [s for s in sorted(logged) if 'ada_p' in logged[s]]
      every = max(len(points) // 10, 1)
      curves.append(f'{name}: p at steps ' + ', '.join(
          f'{s:,} {float(logged[s]["ada_p"]):.3f}' for s in points[every - 1::every]))
    for step in sorted(evals):
      e, lg = evals[step], logged.get(step, {})
      rows.append(f'| {name} ({wall}) | {step:,} | {step * 32 / 1000:g} | {e["digits_fd"]:.2f} | '
            f'{e["digits_confident"]:.3f} | {e["digits_class_entropy_ratio"]:.2f} | '
            f'{lg.get("ada_p", "")} | {lg.get("d_real_sign", "")} |')
  print('| arm (wall time) | step | kimg | digits_fd | confident | entropy / log 10 | ADA p | '
        'E[sign D(real)] |')
  print('|---|---:|---:|---:|---:|---:|---:|---:|')
  print('\n'.join(rows))
  for line in curves:
    print(line)


if __name__ == '__main__':
  main()
