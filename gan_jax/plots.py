"""Pictures of runs, for a person to look at: a run's curves (losses, D outputs,
gradient norms, the main metric) and a sweep's main metric, point by point."""

import math
import os

import matplotlib

matplotlib.use('Agg')  # headless: files only
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

# Panel -> test on a logged training term (logs.is_training_term). Evaluation
# metrics other than the main one are left out: they have their own scales.
_PANELS = (
    ('losses', lambda k: 'loss' in k or k in ('g_adv', 'cycle', 'identity', 'l1')),
    ('D outputs: D(x) d_real, D(G(z)) d_fake', lambda k: k.startswith(('d_real', 'd_fake'))),
    ('gradient norms', lambda k: k.endswith('grad_norm')),
    ('penalties', lambda k: k in ('gradient_penalty', 'r1')),
)


def _series(rows, key):
  pts = [(r['step'], r[key]) for r in rows
         if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
  return [p[0] for p in pts], [p[1] for p in pts]


def run_curves(rows, main_metric: str, path: str) -> str:
  """curves.png of one run from its metrics.jsonl rows; returns the path."""
  keys = sorted({k for r in rows for k in r if k != 'step'})
  panels = [(title, [k for k in keys if test(k)]) for title, test in _PANELS]
  panels = [(t, ks) for t, ks in panels if ks]
  if main_metric and any(main_metric in r for r in rows):
    panels.append((f'main metric: {main_metric}', [main_metric]))
  cols = 2
  nrows = max(1, -(-len(panels) // cols))
  fig, axes = plt.subplots(nrows, cols, figsize=(11, 3.4 * nrows), squeeze=False)
  for ax, (title, ks) in zip(axes.flat, panels):
    for k in ks:
      x, y = _series(rows, k)
      ax.plot(x, y, marker='o' if len(x) < 30 else None, markersize=3, label=k)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel('step')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
  for ax in list(axes.flat)[len(panels):]:
    ax.axis('off')
  fig.suptitle(os.path.basename(os.path.dirname(os.path.abspath(path))), fontsize=11)
  fig.tight_layout()
  _save(fig, path)
  return path


def sweep_curves(runs, main_metric: str, path: str) -> str:
  """One line per sweep point: its main metric over steps. runs: [(name, rows)]."""
  fig, ax = plt.subplots(figsize=(9, 5))
  for name, rows in runs:
    x, y = _series(rows, main_metric)
    if x:
      ax.plot(x, y, marker='o' if len(x) < 30 else None, markersize=3, label=name)
  ax.set_xlabel('step')
  ax.set_ylabel(main_metric)
  ax.set_title(f'{main_metric} by sweep point')
  ax.grid(alpha=0.3)
  ax.legend(fontsize=7)
  fig.tight_layout()
  _save(fig, path)
  return path


def _save(fig, path):
  tmp = path + '.tmp.png'
  fig.savefig(tmp, dpi=80)
  plt.close(fig)
  os.replace(tmp, path)
