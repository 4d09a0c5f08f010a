"""The one generic training loop.

Builds data, method and state (resuming from the newest readable checkpoint),
then runs the jitted, data-parallel train step, logging, sampling, evaluating
and checkpointing on schedule. It never knows which GAN it trains.

Exactness: the state holds everything that changes (both networks, optimizer
states, batch statistics, EMA, step, RNG); batches and noise are functions of
(seed, step). So a run killed at any point and restarted in the same workdir
ends bitwise equal (on CPU) to an uninterrupted one.
"""

import json
import os
import signal
import time

import jax
import numpy as np

from gan_jax import images as images_lib
from gan_jax import cache, inference, logs, parallel, plots, sampling
from gan_jax.checkpoint import BestCheckpoint
from gan_jax.data.pipeline import Batches, Prefetcher
from gan_jax.errors import UserError
from gan_jax.experiment import Experiment
from gan_jax.methods.base import GeneratesFromNoise
from gan_jax.metrics.context import EvalContext
from gan_jax.metrics.feature_metrics import resolve_main_metric


class TrainingDiverged(UserError):
  """A loss term became NaN or Inf."""


class Interrupted(Exception):
  """SIGTERM/SIGINT: a checkpoint was written, rerunning the command resumes."""

  def __init__(self, step, signum):
    super().__init__(f'stopped by {signal.Signals(signum).name} at step {step}; checkpoint '
                     'written; rerun the same command to resume')
    self.step, self.signum = step, signum


class _StopFlag:
  """Turns SIGTERM/SIGINT into a flag the loop checks between steps."""

  def __init__(self):
    self.signum, self._old = None, {}

  def __enter__(self):
    for sig in (signal.SIGTERM, signal.SIGINT):
      try:
        self._old[sig] = signal.signal(sig, self._handle)
      except ValueError:  # not the main thread: leave signals alone
        pass
    return self

  def _handle(self, signum, frame):
    del frame
    self.signum = signum

  def __exit__(self, *exc):
    for sig, old in self._old.items():
      signal.signal(sig, old)


def _check_finite(rows):
  """rows: [(step, {name: value})]; raises naming the first bad step and term."""
  for step, metrics in rows:
    for name, value in metrics.items():
      if not np.all(np.isfinite(value)):
        return step, name, value
  return None


def train_and_evaluate(config, workdir: str, devices=None):
  """Trains config in workdir (resuming if it holds checkpoints); returns final state.

  devices: the devices to run on (default: all).
  """
  exp = Experiment(config, workdir, need_source=True, devices=devices)
  exp.check_workdir_config()
  if config.eval.every:  # a missing Inception weight file fails now, not at the first eval
    EvalContext(config, exp.mesh).check_ready()
  method, mesh, tc = exp.method, exp.mesh, config.train
  checkpoints = exp.checkpoints()
  state, start = exp.restore(checkpoints)
  checkpoints.set_aside_after(start)
  main = parallel.is_main_process()  # only process 0 writes files and prints
  if main:
    print(logs.banner(config, exp, state, workdir, start), flush=True)
  if main:
    exp.write_run_files()
    os.makedirs(os.path.join(workdir, 'samples'), exist_ok=True)
  log = logs.MetricLog(workdir, resume_step=start, enabled=main)
  best = None
  main_metric = resolve_main_metric(config.eval.to_dict(), config.data.to_dict())
  if config.eval.every and config.eval.keep_best:
    best = BestCheckpoint(workdir, main_metric, config.eval.main_mode, enabled_writes=main)

  step_fn = inference.jit_train_step(method, mesh)
  grid_fn = jax.jit(method.preview)
  grid_inputs = parallel.replicate(inference.preview_inputs(method, config), mesh)
  eval_gen_fn = None
  if config.eval.every and isinstance(method, GeneratesFromNoise):
    eval_gen_fn = sampling.make_generate_fn(method, mesh)

  batches = Batches(exp.source, tc.batch_size, config.seed, config.data.random_flip,
                    crop_to=config.data.image_size,
                    per_step=method.batch_schedule, rows=parallel.process_rows)
  prefetch = Prefetcher(batches, start, tc.num_steps, config.data.prefetch,
                        config.data.workers)
  progress = logs.Progress(start, tc.num_steps)
  milestones = method.sample_milestones()
  pending, since_log = [], []
  printed_protocol = False
  last_results = {}
  last_good_checkpoint = start

  def due(every, step):
    return every > 0 and step % every == 0

  try:
    with _StopFlag() as stop:
      for step in range(start, tc.num_steps):
        _, batch = prefetch.next()
        note = method.step_note(step, first=step == start) if main else None
        if note:
          print(note, flush=True)
        if step == start:  # the compile: timed, and whether the XLA cache had it
          with cache.watch() as first:
            state, metrics = jax.block_until_ready(
                step_fn(state, parallel.from_process_rows(batch, mesh)))
          if main:
            print(f'  first step: {first.describe()}', flush=True)
          rates = logs.Rates(prefetch, time.perf_counter())
        else:
          state, metrics = step_fn(state, parallel.from_process_rows(batch, mesh))
        done = step + 1
        pending.append((done, metrics))
        stopping = stop.signum is not None  # read once: a signal may land mid-iteration
        last = done == tc.num_steps
        log_now = due(tc.log_every, done) or last
        ckpt_now = due(tc.checkpoint_every, done) or last or stopping
        sample_now = due(tc.sample_every, done) or last or done in milestones
        eval_now = config.eval.every > 0 and (due(config.eval.every, done) or last)
        if not (log_now or ckpt_now or sample_now or eval_now):  # (stopping implies ckpt_now)
          continue

        # One device->host transfer for every step since the last check.
        host = jax.device_get(pending)
        pending = []
        bad = _check_finite(host)
        if bad:
          raise TrainingDiverged(
              f'training diverged: {bad[1]} = {bad[2]} at step {bad[0]}; the last good '
              f'checkpoint (step {last_good_checkpoint}) is kept in {checkpoints.directory}')
        since_log.extend(m for _, m in host)

        row = {}
        if log_now:
          row = {k: float(np.mean([m[k] for m in since_log])) for k in since_log[0]}
          since_log = []
          if main:
            progress.print(done, row)
            if rates.pending:  # at the first log line: is the host's data the limit?
              print(rates.line(done - start - 1), flush=True)
        if eval_now:
          results, protocol = inference.evaluate(config, method, state, mesh,
                                                 generate_fn=eval_gen_fn)
          row.update(results)
          last_results = results
          if main:
            if protocol and not printed_protocol:
              print(f'evaluation protocol: {json.dumps(protocol)}', flush=True)
              printed_protocol = True
            print(f'eval at step {done}: {results}', flush=True)
          if best is not None and best.offer(done, results, state) and main:
            print(f'best {best.metric} so far: {best.best["value"]:.6g} at step {done} '
                  f'(saved in checkpoints_best/)', flush=True)
        if row:
          log.write(done, row)
        if main and (eval_now or last):  # curves.png: the run at a glance
          plots.run_curves(logs.read_metrics(workdir), main_metric,
                           os.path.join(workdir, 'curves.png'))
        if sample_now:
          grid = images_lib.make_grid(parallel.to_host(grid_fn(state, grid_inputs)))
          if main:
            images_lib.save_png(os.path.join(workdir, 'samples', f'step_{done:06d}.png'), grid)
          log.image('samples', done, grid)
        if ckpt_now:
          checkpoints.save(done, state)
          last_good_checkpoint = done
        if stopping and not last:
          checkpoints.wait()
          raise Interrupted(done, stop.signum)
    if main and start < tc.num_steps:
      print(logs.final_line(workdir, main_metric, last_results, best), flush=True)
  finally:
    prefetch.close()
    checkpoints.close()
    if best is not None:
      best.close()
    log.close()
  return state
