"""`--mode=report`: what a sweep (or a single run) came to, as a table and pictures.

For each run (a folder with metrics.jsonl): its overrides, steps done, the main
metric (config.eval.main_metric: final, best, step of the best), then the other
evaluation metrics' final values; the training terms (losses, D outputs,
gradient norms) only with `losses=True`. Sorted by the best main metric.
Printed as markdown and written to <workdir>/report.md and report.csv, with
report.png (the main metric over steps, one line per point); a single run's
workdir gets its curves.png.
"""

import csv
import json
import os

from gan_jax import plots
from gan_jax.errors import UserError
from gan_jax.logs import is_training_term, read_metrics
from gan_jax.metrics.feature_metrics import resolve_main_metric
from gan_jax.sweep import POINT_FILE, steps_done

# Metrics whose smaller values are better; everything else: larger is better.
_LOWER_IS_BETTER = ('loss', 'fid', 'fd', 'kid', 'l1', 'norm', 'penalty', 'r1')


def lower_is_better(name: str) -> bool:
  return any(part in name for part in _LOWER_IS_BETTER)


def _run_dirs(workdir: str):
  if not os.path.isdir(workdir):
    raise UserError(f'--workdir {workdir!r} does not exist')
  if os.path.isfile(os.path.join(workdir, 'metrics.jsonl')):
    return [workdir]  # a single run
  runs = [os.path.join(workdir, n) for n in sorted(os.listdir(workdir))
          if os.path.isfile(os.path.join(workdir, n, 'metrics.jsonl'))]
  if not runs:
    raise UserError(f'no runs (folders with metrics.jsonl) under {workdir!r}')
  return runs


def summarise(run: str):
  """One run's overrides, steps, main metric (final, best, best step) and final values."""
  overrides = {}
  if os.path.exists(os.path.join(run, POINT_FILE)):
    with open(os.path.join(run, POINT_FILE)) as f:
      overrides = json.load(f)['overrides']
  main_metric, main_mode = '', 'max'
  if os.path.exists(os.path.join(run, 'config.json')):
    with open(os.path.join(run, 'config.json')) as f:
      saved = json.load(f)
    ev = saved.get('eval', {})
    main_metric = resolve_main_metric(ev, saved.get('data', {}))
    main_mode = ev.get('main_mode', 'max')
  rows = read_metrics(run)
  final, best = {}, None
  for r in rows:
    for k, v in r.items():
      if k != 'step' and isinstance(v, (int, float)):
        final[k] = v
    v = r.get(main_metric)
    if isinstance(v, (int, float)) and (
        best is None or (v > best[1] if main_mode == 'max' else v < best[1])):
      best = (r['step'], v)
  steps = max(steps_done(run), max((r['step'] for r in rows), default=0))
  return {'run': os.path.basename(os.path.abspath(run)), 'dir': run, 'overrides': overrides,
          'steps': steps, 'final': final, 'best': best, 'main_metric': main_metric,
          'main_mode': main_mode, 'rows': rows}


def _fmt(v):
  return f'{v:.4g}' if isinstance(v, float) else str(v)


def write_report(workdir: str, losses: bool = False) -> str:
  runs = [summarise(r) for r in _run_dirs(workdir)]
  main, mode = runs[0]['main_metric'], runs[0]['main_mode']
  with_best = [r for r in runs if r['best'] is not None]
  runs = (sorted(with_best, key=lambda r: r['best'][1], reverse=mode == 'max')
          + [r for r in runs if r['best'] is None])
  names = sorted({k for r in runs for k in r['final']} - {main})
  evals = [k for k in names if not is_training_term(k)]
  terms = [k for k in names if is_training_term(k)] if losses else []
  override_keys = sorted({k for r in runs for k in r['overrides']})
  header = (['run'] + override_keys + ['steps']
            + ([f'{main} final', f'{main} best', 'best at step'] if main else [])
            + evals + terms)
  table = []
  for r in runs:
    row = [r['run']] + [_fmt(r['overrides'].get(k, '')) for k in override_keys] + [str(r['steps'])]
    if main:
      row += [_fmt(r['final'].get(main, '')), _fmt(r['best'][1]) if r['best'] else '',
              str(r['best'][0]) if r['best'] else '']
    row += [_fmt(r['final'][k]) if k in r['final'] else '' for k in evals + terms]
    table.append(row)
  with open(os.path.join(workdir, 'report.csv'), 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(header)
    writer.writerows(table)
  better = 'lower' if mode == 'min' else 'higher'
  lines = [f'sorted by best {main} ({better} is better)' if main else 'no main metric', '',
           '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  lines += ['| ' + ' | '.join(row) + ' |' for row in table]
  pictures = []
  if len(runs) == 1 and runs[0]['dir'] == workdir:
    pictures.append(plots.run_curves(runs[0]['rows'], main, os.path.join(workdir, 'curves.png')))
  elif main and with_best:
    pictures.append(plots.sweep_curves([(r['run'], r['rows']) for r in runs], main,
                                       os.path.join(workdir, 'report.png')))
  if not losses:
    lines += ['', 'training terms (losses, D outputs, gradient norms): --report_losses']
  lines += [f'picture: {p}' for p in pictures]
  text = '\n'.join(lines)
  with open(os.path.join(workdir, 'report.md'), 'w') as f:
    f.write(text + '\n')
  return text
