"""What every mode needs: a validated config, the mesh, the data description,
the method, and the state restored from (or started in) a workdir."""

import json
import os
from typing import Optional

import jax

from gan_jax import config as config_lib
from gan_jax import parallel
from gan_jax.checkpoint import Checkpoints
from gan_jax.data.base import DataInfo
from gan_jax.errors import UserError
from gan_jax.methods.registry import METHODS

DATA_INFO_FILE = 'data_info.json'
CONFIG_FILE = 'config.json'


class Experiment:

  def __init__(self, config, workdir: Optional[str], need_source: bool, devices=None):
    config_lib.validate(config)
    self.config, self.workdir = config, workdir
    self.mesh = parallel.make_mesh(devices)
    if need_source:  # training; summary/eval/sample do not use the train batch
      parallel.check_batch_size(config.train.batch_size, self.mesh)
    self.source = None
    shape = (config.data.image_size, config.data.image_size, config.data.channels)
    method_cls = METHODS.get(config.method)
    if need_source:
      # A method may read its own kind of data (translation: two domains).
      self.source = method_cls.build_source(config.data)
      declared, found = config.data.num_classes, self.source.num_classes
      if declared and declared != found:
        raise UserError(f'config.data.num_classes={declared}, but data.source='
                        f'{config.data.source!r} has {found} classes')
      self.info = DataInfo(shape, found, len(self.source))
      steps = method_cls.planned_steps(config, len(self.source))
      if steps is not None:
        config.train.num_steps = steps  # a loop-control field: resumable if it changes
    else:  # summary/eval/sample: what training recorded, else what the config declares
      self.info = self._saved_info() or DataInfo(shape, config.data.num_classes)
    assets = method_cls.load_assets(config)  # files a method needs (a loss network's weights)
    self.method = (method_cls(config, self.info) if assets is None
                   else method_cls(config, self.info, assets))
    config_lib.check_metrics_apply(config, self.method)

  # -- workdir files -----------------------------------------------------------
  def _path(self, name):
    return os.path.join(self.workdir, name)

  def _saved_info(self):
    if self.workdir and os.path.exists(self._path(DATA_INFO_FILE)):
      with open(self._path(DATA_INFO_FILE)) as f:
        d = json.load(f)
      return DataInfo(tuple(d['image_shape']), int(d['num_classes']),
                      int(d.get('num_examples', 0)))
    return None

  def check_workdir_config(self) -> None:
    """Refuses to resume a workdir written by a different experiment."""
    path = self._path(CONFIG_FILE)
    if not os.path.exists(path):
      return
    try:
      with open(path) as f:
        saved = json.load(f)
    except (OSError, ValueError) as e:
      raise UserError(f'{path} is unreadable ({e}); move it away or use a new --workdir') from None
    diffs = config_lib.config_differences(saved, config_lib.to_dict(self.config))
    if diffs:
      shown = '; '.join(f'{k}: {a!r} in the workdir, {b!r} now'
                        for k, (a, b) in list(diffs.items())[:5])
      raise UserError(f'--workdir {self.workdir} holds a run of a different config ({shown}). '
                      'Use a new --workdir, or the config that wrote it')

  def write_run_files(self) -> None:
    """config.json and data_info.json (process 0 of a multi-process job only)."""
    os.makedirs(self.workdir, exist_ok=True)
    for name, obj in ((CONFIG_FILE, config_lib.to_dict(self.config)),
                      (DATA_INFO_FILE, {'image_shape': list(self.info.image_shape),
                                        'num_classes': self.info.num_classes,
                                        'num_examples': self.info.num_examples})):
      tmp = self._path(name + '.tmp')
      with open(tmp, 'w') as f:
        json.dump(obj, f, indent=2, sort_keys=True)
      os.replace(tmp, self._path(name))

  # -- state -------------------------------------------------------------------
  def fresh_state(self):
    state = self.method.initial_state(self.config.seed)
    return parallel.replicate(state, self.mesh)

  def abstract_state(self, mesh=None):
    """The state's shapes, dtypes and (replicated) shardings, traced, not computed:
    a restore's template and --mode=summary's counts, without the seconds that
    initialising every layer op by op takes (5 to 16 s in a smoke run)."""
    sharding = parallel.replicated(self.mesh if mesh is None else mesh)
    shapes = jax.eval_shape(self.method.init, jax.random.PRNGKey(self.config.seed))
    return jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharding),
                        shapes)

  def checkpoints(self, best: bool = False) -> Checkpoints:
    if best:  # written by checkpoint.BestCheckpoint
      return Checkpoints(self._path('checkpoints_best'), 1)
    return Checkpoints(self._path('checkpoints'), self.config.train.keep_checkpoints)

  @classmethod
  def load_trained(cls, config, workdir: str, step=None, best: bool = False):
    """(experiment, state, step) of a workdir's newest (or given, or best) checkpoint."""
    exp = cls(config, workdir, need_source=False)
    exp.check_workdir_config()
    if best and not os.path.isdir(exp._path('checkpoints_best')):
      raise UserError(f'--checkpoint=best: {workdir} has no checkpoints_best/ (it is written '
                      'when config.eval.every > 0 and config.eval.main_metric is evaluated)')
    checkpoints = exp.checkpoints(best)
    try:
      state, restored = exp.restore(checkpoints, step=step, required=True)
    finally:
      checkpoints.close()
    return exp, state, restored

  def restore(self, checkpoints: Checkpoints, step=None, required=False):
    """(state, step): the newest readable checkpoint, else a fresh state at step 0."""
    state, restored_step = None, 0
    if checkpoints.steps() or step is not None:  # else nothing to restore: no template traced
      state, restored_step = checkpoints.restore(self.abstract_state(), step)
    if state is None:
      if required:
        raise UserError(f'no checkpoint in {checkpoints.directory}; train first '
                        f'(python launch.py --config=... --workdir={self.workdir})')
      fresh = self.fresh_state()
      if self.config.train.init_from:
        return self._start_from(fresh, self.config.train.init_from), 0
      return fresh, 0
    return state, restored_step

  def _start_from(self, template, other: str):
    """The fresh state with what the method takes from another run's newest checkpoint."""
    path = os.path.join(other, CONFIG_FILE)
    if not os.path.isfile(path):
      raise UserError(f'config.train.init_from={other!r}: no {CONFIG_FILE} there (a workdir '
                      'that launch.py trained)')
    with open(path) as f:
      other_config = config_lib.from_dict(json.load(f), f'{path}')
    _, trained, step = Experiment.load_trained(other_config, other)
    if parallel.is_main_process():
      print(f'starting from {other} (step {step})', flush=True)
    return parallel.replicate(self.method.start_from(template, trained), self.mesh)
