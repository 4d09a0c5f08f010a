"""What a run writes as it goes: metrics.jsonl, TensorBoard events, progress lines."""

import json
import os
import re
import sys
import time

import jax
import numpy as np


class MetricLog:
  """One JSON object per logged step in metrics.jsonl, mirrored to TensorBoard.

  On resume, rows beyond the restored step are dropped: the resumed run writes
  them again, bit for bit, so the file reads as one uninterrupted run.
  """

  def __init__(self, workdir: str, resume_step: int = 0, tensorboard: bool = True,
               enabled: bool = True):
    self.path = os.path.join(workdir, 'metrics.jsonl')
    self.enabled, self.tb = enabled, None
    if not enabled:  # a process other than the first of a multi-process job
      return
    if os.path.exists(self.path):
      with open(self.path) as f:
        rows = [line for line in f if line.strip()]
      keep = [r for r in rows if _step_of(r) is not None and _step_of(r) <= resume_step]
      if len(keep) != len(rows):
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
          f.writelines(keep)
        os.replace(tmp, self.path)
    if tensorboard:
      from tensorboardX import SummaryWriter  # pylint: disable=g-import-not-at-top
      self.tb = SummaryWriter(os.path.join(workdir, 'tensorboard'), purge_step=resume_step + 1)

  def write(self, step: int, metrics: dict) -> None:
    if not self.enabled:
      return
    row = {'step': int(step)}
    row.update({k: _py(v) for k, v in metrics.items()})
    with open(self.path, 'a') as f:
      f.write(json.dumps(row) + '\n')
    if self.tb is not None:
      for k, v in row.items():
        if k != 'step' and isinstance(v, (int, float)):
          self.tb.add_scalar(k, v, step)

  def image(self, tag: str, step: int, image_uint8) -> None:
    if self.tb is not None:
      self.tb.add_image(tag, np.asarray(image_uint8), step, dataformats='HWC')

  def close(self) -> None:
    if self.tb is not None:
      self.tb.close()


# What a train step logs (losses, D outputs, gradient norms, penalties), as opposed
# to evaluation metrics; reports list these only when asked, curves.png plots them.
_TRAINING_TERM = re.compile(r'(loss|grad_norm|^d_real|^d_fake|^g_adv$|^cycle$|^identity$|^l1$|'
                            r'^gradient_penalty$|^r1$)')


def is_training_term(name: str) -> bool:
  return bool(_TRAINING_TERM.search(name))


def _step_of(line: str):
  try:
    return int(json.loads(line)['step'])
  except (ValueError, KeyError, TypeError):
    return None


def _py(v):
  v = np.asarray(v)
  return v.item() if v.ndim == 0 else v.tolist()


def read_metrics(workdir: str):
  path = os.path.join(workdir, 'metrics.jsonl')
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


class Progress:
  """'step 1200/10000 (12.0%) | 35.2 it/s | ETA 4m10s | d_loss 0.61 ...' lines."""

  def __init__(self, start_step: int, total: int):
    self.total, self.last_step, self.last_time = total, start_step, time.time()

  def line(self, step: int, metrics: dict) -> str:
    now = time.time()
    rate = (step - self.last_step) / max(now - self.last_time, 1e-9)
    self.last_step, self.last_time = step, now
    eta = (self.total - step) / rate if rate > 0 else float('inf')
    shown = ' '.join(f'{k} {v:.4g}' for k, v in metrics.items())
    return (f'step {step}/{self.total} ({100.0 * step / self.total:.1f}%) | {rate:.2f} it/s | '
            f'ETA {_duration(eta)} | {shown}')

  def print(self, step: int, metrics: dict) -> None:
    print(self.line(step, metrics), file=sys.stdout, flush=True)


def _duration(seconds: float) -> str:
  if not np.isfinite(seconds):
    return '?'
  seconds = int(seconds)
  h, rem = divmod(seconds, 3600)
  m, s = divmod(rem, 60)
  return f'{h}h{m:02d}m' if h else f'{m}m{s:02d}s'


def _count(tree) -> int:
  return int(sum(np.size(x) for x in jax.tree.leaves(tree)))


class Rates:
  """The host's data rate against the steps' consumption, said once at the first
  log line: a run whose data thread cannot keep up should say so."""

  def __init__(self, prefetch, start_time: float):
    self.prefetch, self.start_time, self.pending = prefetch, start_time, True

  def line(self, steps: int) -> str:
    self.pending = False
    p = self.prefetch
    per_step = p.images / max(p.batches_made, 1)
    host = p.host_rate()
    used = steps * per_step / max(time.perf_counter() - self.start_time, 1e-9)
    threads = f'{p.workers} host thread' + ('s' if p.workers > 1 else '')
    text = f'  data: {host:,.0f} img/s from {threads}, the steps consume {used:,.0f} img/s'
    if host < 1.1 * used:
      text += ' (the data is the limit: raise data.workers)'
    return text


def banner(config, exp, state, workdir: str, start: int) -> str:
  """What a run is about to do, before the first step: method, data, networks,
  devices and batch, workdir, and where it resumes."""
  method, info, source = exp.method, exp.info, exp.source
  shape = 'x'.join(str(d) for d in info.image_shape)
  classes = f', {info.num_classes} classes' if info.num_classes else ''
  nets = ', '.join(f'{name} {_count(p):,}' for name, p in method.networks(state).items())
  n_dev = exp.mesh.devices.size
  batch = config.train.batch_size
  lines = [
      f'gan_jax | method {config.method} ({" and ".join(method.capabilities())})',
      f'  data: {config.data.source} ({config.data.split}), {len(source):,} examples of '
      f'{shape}{classes}',
      f'  parameters: {nets}',
      f'  devices: {n_dev} x {exp.mesh.devices.flat[0].platform}, global batch {batch} '
      f'({batch // n_dev} per device), {config.train.num_steps:,} steps',
      f'  workdir: {workdir}' + (f' (resuming from step {start})' if start else ''),
  ]
  return '\n'.join(lines)


def final_line(workdir: str, main_metric: str, results: dict, best=None) -> str:
  """One human line for the main metric, then where the outputs are."""
  if 'digits_confident' in results:
    r = results
    head = (f'digits quality: {100 * r["digits_confident"]:.1f} % confident '
            f'({r["digits_confident_vs_real"]:.2f} x real digits), class entropy '
            f'{r["digits_class_entropy_ratio"]:.2f} x log 10')
  elif main_metric in results:
    head = f'{main_metric}: {results[main_metric]:.4g}'
  else:
    head = 'done'
  if best is not None and best.best is not None:
    head += f' (best {best.metric} {best.best["value"]:.4g} at step {best.best["step"]})'
  return (f'{head}\n  samples: {os.path.join(workdir, "samples")}  curves: '
          f'{os.path.join(workdir, "curves.png")}  checkpoints: '
          f'{os.path.join(workdir, "checkpoints")}')
