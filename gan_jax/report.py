"""`--mode=report`: one table of every run under a sweep workdir.

For each point (a folder with metrics.jsonl): its overrides, steps done, and
the final and best value of each metric; sorted by the best value of the
main metric (config.eval.main_metric, better by config.eval.main_mode).
Printed as markdown and written to <workdir>/report.md and report.csv.
"""

import csv
import json
import os

from gan_jax.errors import UserError
from gan_jax.logs import read_metrics
from gan_jax.metrics.feature_metrics import resolve_main_metric
from gan_jax.sweep import POINT_FILE, steps_done

# Metrics whose smaller values are better; everything else: larger is better.
_LOWER_IS_BETTER = ('loss', 'fid', 'fd', 'kid', 'l1', 'norm', 'penalty', 'r1')


def lower_is_better(name: str) -> bool:
  return any(part in name for part in _LOWER_IS_BETTER)


def collect(workdir: str):
  """One dict per run folder under workdir."""
  if not os.path.isdir(workdir):
    raise UserError(f'--workdir {workdir!r} does not exist')
  rows = []
  for name in sorted(os.listdir(workdir)):
    run = os.path.join(workdir, name)
    if not os.path.isfile(os.path.join(run, 'metrics.jsonl')):
      continue
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
    metrics = read_metrics(run)
    final, best = {}, {}
    for r in metrics:
      for k, v in r.items():
        if k == 'step' or not isinstance(v, (int, float)):
          continue
        final[k] = v
        better = min if (lower_is_better(k) if k != main_metric else main_mode == 'min') else max
        best[k] = better(best[k], v) if k in best else v
    steps = max(steps_done(run), max((r['step'] for r in metrics), default=0))
    rows.append({'run': name, 'overrides': overrides, 'steps': steps, 'final': final,
                 'best': best, 'main_metric': main_metric, 'main_mode': main_mode})
  if not rows:
    raise UserError(f'no runs (folders with metrics.jsonl) under {workdir!r}')
  return rows


def _sort(rows):
  main = rows[0]['main_metric']
  reverse = rows[0]['main_mode'] == 'max'
  have = [r for r in rows if main in r['best']]
  missing = [r for r in rows if main not in r['best']]
  return sorted(have, key=lambda r: r['best'][main], reverse=reverse) + missing, main


def _fmt(v):
  return f'{v:.4g}' if isinstance(v, float) else str(v)


def write_report(workdir: str) -> str:
  rows, main = _sort(collect(workdir))
  keys = sorted({k for r in rows for k in r['final']})
  if main in keys:  # the main metric first
    keys.remove(main)
    keys.insert(0, main)
  override_keys = sorted({k for r in rows for k in r['overrides']})
  header = ['run'] + override_keys + ['steps'] + [f'{k} {w}' for k in keys for w in ('final', 'best')]
  table = []
  for r in rows:
    table.append([r['run']] + [_fmt(r['overrides'].get(k, '')) for k in override_keys]
                 + [str(r['steps'])]
                 + [_fmt(r[w][k]) if k in r[w] else '' for k in keys for w in ('final', 'best')])
  with open(os.path.join(workdir, 'report.csv'), 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(header)
    writer.writerows(table)
  lines = [f'sorted by best {main or "(no main metric)"}', '',
           '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  lines += ['| ' + ' | '.join(row) + ' |' for row in table]
  text = '\n'.join(lines)
  with open(os.path.join(workdir, 'report.md'), 'w') as f:
    f.write(text + '\n')
  return text
