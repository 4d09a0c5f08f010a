"""Orbax checkpoints of the whole TrainState under <workdir>/checkpoints.

Saves are asynchronous (the state is copied on device first, so the train step
may donate its buffers at once) and keep the newest N. Restoring walks back
from the newest step: an unreadable checkpoint is skipped with a warning naming
its step, so a crash during a write costs at most one checkpoint interval.
"""

import os
import time

import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp
from jax.experimental import multihost_utils

from gan_jax.errors import UserError, warn


class Checkpoints:

  def __init__(self, directory: str, keep: int):
    self.directory = os.path.abspath(directory)
    options = ocp.CheckpointManagerOptions(
        max_to_keep=keep, create=True, enable_async_checkpointing=True,
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
                    'If the config changed since these were written, use a new --workdir')
