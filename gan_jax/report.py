"""`--mode=report`: what a sweep (or a single run) came to, as a table and pictures.

For each run (a folder with metrics.jsonl): its overrides, steps done, the main
metric (config.eval.main_metric: final, best, step of the best), then the other
evaluation metrics' final values; the training terms (losses, D outputs,
gradient norms) only with `losses=True`. Sorted by the best main metric.
Printed as markdown and written to <workdir>/report.md and report.csv, with
report.png (the main metric over steps, one line per point); a single run's
workdir gets its curves.png.

Seed studies (`--mode=seeds`, a folder with seeds.json: the workdir or its
subfolders) get a second table, one row per study: seeds, then each metric's
mean +- standard error over them (report_seeds.csv), PacGAN's Table 1 form.
"""

import csv
import json
import os

from gan_jax import plots
from gan_jax.errors import UserError
from gan_jax.logs import is_training_term, read_metrics
from gan_jax.metrics.feature_metrics import resolve_main_metric
from gan_jax.seeds import RESULTS_FILE as SEEDS_FILE
from gan_jax.sweep import POINT_FILE, steps_done

# Metrics whose smaller values are better; everything else: larger is better.
_LOWER_IS_BETTER = ('loss', 'fid', 'fd', 'kid', 'l1', 'norm', 'penalty', 'r1')


def lower_is_better(name: str) -> bool:
  return any(part in name for part in _LOWER_IS_BETTER)


def _folders_with(workdir: str, name: str):
  """The workdir itself if it holds `name`, else its subfolders that do."""
  if os.path.isfile(os.path.join(workdir, name)):
    return [workdir]
  return [os.path.join(workdir, n) for n in sorted(os.listdir(workdir))
          if os.path.isfile(os.path.join(workdir, n, name))]


def _run_dirs(workdir: str):
  if not os.path.isdir(workdir):
    raise UserError(f'--workdir {workdir!r} does not exist')
  runs, studies = _folders_with(workdir, 'metrics.jsonl'), _folders_with(workdir, SEEDS_FILE)
  if not runs and not studies:
    raise UserError(f'no runs (folders with metrics.jsonl) or seed studies (with {SEEDS_FILE}) '
                    f'under {workdir!r}')
  return runs, studies


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
  run_dirs, studies = _run_dirs(workdir)
  lines = _runs_report(workdir, [summarise(r) for r in run_dirs], losses) if run_dirs else []
  if studies:
    lines += ([''] if lines else []) + _seeds_report(workdir, studies)
  text = '\n'.join(lines)
  with open(os.path.join(workdir, 'report.md'), 'w') as f:
    f.write(text + '\n')
  return text


def _write_csv(path: str, header, table) -> None:
  with open(path, 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(header)
    writer.writerows(table)


def _runs_report(workdir: str, runs, losses: bool):
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
  _write_csv(os.path.join(workdir, 'report.csv'), header, table)
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
  return lines + [f'picture: {p}' for p in pictures]


def _seeds_report(workdir: str, studies):
  """One row per seed study: its seeds, then mean +- standard error per metric."""
  loaded = []
  for d in studies:
    try:
      with open(os.path.join(d, SEEDS_FILE)) as f:
        loaded.append((os.path.basename(os.path.abspath(d)), json.load(f)))
    except (OSError, ValueError) as e:
      raise UserError(f'{os.path.join(d, SEEDS_FILE)} is unreadable ({e}); rerun --mode=seeds '
                      'there or move it away') from None
  keys = sorted({k for _, out in loaded for k in out['summary']} - {'eval_num_samples'})
  header = ['study', 'seeds'] + keys
  table = [[name, str(len(out['seeds']))]
           + [f'{out["summary"][k]["mean"]:.4g} +- {out["summary"][k]["se"]:.2g}'
              if k in out['summary'] else '' for k in keys] for name, out in loaded]
  _write_csv(os.path.join(workdir, 'report_seeds.csv'), header, table)
  return (['seed studies (mean +- standard error over the seeds)', '',
           '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
          + ['| ' + ' | '.join(row) + ' |' for row in table])
