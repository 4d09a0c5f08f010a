"""Orbax checkpoints of the whole TrainState under <workdir>/checkpoints.

Saves are asynchronous (the state is copied on device first, so the train step
may donate its buffers at once) and keep the newest N. Restoring walks back
from the newest step: an unreadable checkpoint is skipped with a warning naming
its step, so a crash during a write costs at most one checkpoint interval.
"""

import json
import logging
import math
import os
import time

import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp
from jax.experimental import multihost_utils

from gan_jax.errors import UserError, warn


def _write_each_array_whole():
  """Orbax on a CPU splits every replicated array into one slice per device and
  writes the slices side by side ('replica-parallel'; off on GPU). Each slice is an
  eager jax op, so one XLA compile per array, device and shape: 2,568 slices, 7 s
  of a 57 s (profiled) style-transfer smoke run. Written whole from one device instead, as on
  a GPU: the same values come back."""
  try:
    from orbax.checkpoint._src.metadata import array_metadata_store  # pylint: disable=g-import-not-at-top
  except ImportError:  # another orbax layout: keep its default
    return
  absl_logger = logging.getLogger('absl')
  level = absl_logger.level
  absl_logger.setLevel(logging.ERROR)  # not orbax's warning that a handler is replaced
  try:
    ocp.type_handlers.register_type_handler(
        jax.Array, ocp.type_handlers.ArrayHandler(
            use_replica_parallel=False, array_metadata_store=array_metadata_store.Store()),
        override=True)
  finally:
    absl_logger.setLevel(level)


_write_each_array_whole()


class Checkpoints:

  def __init__(self, directory: str, keep: int, asynchronous: bool = True):
    self.directory = os.path.abspath(directory)
    options = ocp.CheckpointManagerOptions(
        max_to_keep=keep, create=True, enable_async_checkpointing=asynchronous,
        cleanup_tmp_directories=True)
    self.manager = ocp.CheckpointManager(self.directory, options=options)

  def steps(self):
    return sorted(self.manager.all_steps())

  def save(self, step: int, state) -> None:
    # A device copy: the caller's buffers are donated to the next step.
    snapshot = jax.tree.map(jnp.copy, state)
    self.manager.save(step, args=ocp.args.StandardSave(snapshot))

  def wait(self) -> None:
    self.manager.wait_until_finished()

  def close(self) -> None:
    self.manager.wait_until_finished()
    self.manager.close()

  def set_aside_after(self, step: int) -> None:
    """Moves checkpoints newer than `step` (found unreadable) to checkpoints_unreadable/,
    so training can write those steps again; nothing is deleted."""
    newer = [s for s in self.steps() if s > step]
    if not newer:
      return
    self.manager.wait_until_finished()
    if jax.process_index() == 0:
      aside = self.directory + '_unreadable'
      os.makedirs(aside, exist_ok=True)
      for s in newer:
        target = os.path.join(aside, f'{s}.{int(time.time())}')
        os.replace(os.path.join(self.directory, str(s)), target)
        warn(f'moved unreadable checkpoint {s} to {target}')
    if jax.process_count() > 1:
      multihost_utils.sync_global_devices('gan_jax_set_aside_checkpoints')
    self.manager.reload()

  def restore(self, template, step=None):
    """(state, step) from the newest readable checkpoint (or `step`); (None, 0) if none.

    `template` is a state (or jax.ShapeDtypeStruct tree) of the right structure,
    with the shardings the restored arrays should have.
    """
    steps = self.steps()
    if step is not None:
      if step not in steps:
        raise UserError(f'no checkpoint at step {step} in {self.directory}; have {steps}')
      steps = [step]
    if not steps:
      return None, 0
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, template)
    errors = []
    for s in reversed(steps):
      try:
        state = self.manager.restore(s, args=ocp.args.StandardRestore(abstract))
        return state, s
      except Exception as e:  # pylint: disable=broad-except
        msg = f'{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ""}'
        errors.append(f'step {s}: {msg}')
        warn(f'checkpoint at step {s} in {self.directory} is unreadable ({msg}); '
             'trying the previous one')
    raise UserError(f'no readable checkpoint in {self.directory} ({"; ".join(errors)}). '
                    'If the config changed since these were written, use a new --workdir '
                    '(train states written before gan_jax 0.2, with g_params/d_params fields, '
                    'do not restore into the per-network states of 0.2; spectral-norm states '
                    'with u/sigma, before 0.3, not into the u/v of 0.3)')


class BestCheckpoint:
  """The state with the best main metric so far, in <workdir>/checkpoints_best
  (orbax, one kept), described by <workdir>/best_checkpoint.json."""

  def __init__(self, workdir: str, metric: str, mode: str, enabled_writes: bool = True):
    self.metric, self.mode, self.writes = metric, mode, enabled_writes
    self.info_path = os.path.join(workdir, 'best_checkpoint.json')
    # Synchronous: two async managers committing the same step number at once
    # deadlock orbax's multi-process barriers (seen with 2 processes).
    self.checkpoints = Checkpoints(os.path.join(workdir, 'checkpoints_best'), keep=1,
                                   asynchronous=False)
    self.best = None
    if os.path.exists(self.info_path):
      try:
        with open(self.info_path) as f:
          self.best = json.load(f)
      except (OSError, ValueError):
        warn(f'{self.info_path} is unreadable; the next evaluation starts a new best')
    self._warned = False

  def _better(self, value: float) -> bool:
    if value is None or not math.isfinite(value):
      return False
    if self.best is None or self.best.get('metric') != self.metric:
      return True
    return value > self.best['value'] if self.mode == 'max' else value < self.best['value']

  def offer(self, step: int, results: dict, state) -> bool:
    """Saves `state` if results[metric] beats the best so far; returns whether it did."""
    if self.metric not in results:
      if not self._warned:
        warn(f'config.eval.main_metric={self.metric!r} is not among the evaluation results '
             f'({sorted(results)}); no best checkpoint is kept')
        self._warned = True
      return False
    value = float(results[self.metric])
    if not self._better(value):
      return False
    for old in self.checkpoints.steps():  # one best: drop the previous before writing
      if old != step:
        self.checkpoints.manager.delete(old)
    self.checkpoints.save(step, state)
    self.best = {'step': step, 'metric': self.metric, 'value': value, 'mode': self.mode}
    if self.writes:
      tmp = self.info_path + '.tmp'
      with open(tmp, 'w') as f:
        json.dump(self.best, f)
      os.replace(tmp, self.info_path)
    return True

  def close(self) -> None:
    self.checkpoints.close()
