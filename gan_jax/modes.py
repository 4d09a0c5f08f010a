"""What each `--mode` of launch.py does, given the parsed command line."""

import json
import os

import jax

from gan_jax import config as config_lib
from gan_jax import inference, parallel, report, sweep, train
from gan_jax.errors import UserError
from gan_jax.experiment import Experiment


def run(flags, spec, relaunch) -> int:
  """flags: the parsed launch.py flags; spec: the --config value (path[:options]);
  relaunch(i): the command line that trains sweep point i alone (for
  --sweep_parallel). Returns the exit status."""
  parallel.initialize(flags.coordinator_address, flags.num_processes, flags.process_id)
  config, mode = flags.config, flags.mode
  if mode == 'report':
    if not flags.workdir:
      raise UserError('--workdir is required for --mode=report')
    print(report.write_report(flags.workdir, losses=flags.report_losses))
    return 0
  if config is None:
    raise UserError('--config=experiments/<file>.py[:options] is required')
  if mode == 'summary':
    exp = Experiment(config, flags.workdir, need_source=False)
    state = exp.method.init(jax.random.PRNGKey(config.seed))
    print(inference.summary_text(exp.method.networks(state)))
    print('== config ==')
    print(json.dumps(config_lib.to_dict(config), indent=2, sort_keys=True))
    return 0
  if not flags.workdir:
    raise UserError(f'--workdir is required for --mode={mode}')
  if mode == 'train' and (flags.sweep or flags.sweep_index is not None):
    return sweep.run(config, spec, flags.workdir, flags.sweep_index, flags.sweep_parallel,
                     relaunch)
  if mode == 'train':
    train.train_and_evaluate(config, flags.workdir)
    return 0
  return _use_checkpoint(flags, config, mode)


def _use_checkpoint(flags, config, mode) -> int:
  step = None
  if flags.checkpoint not in ('latest', 'best'):
    if not flags.checkpoint.isdigit():
      raise UserError(f"--checkpoint={flags.checkpoint!r}; allowed: 'latest', 'best' or a "
                      'step number')
    step = int(flags.checkpoint)
  exp, state, restored = Experiment.load_trained(config, flags.workdir, step,
                                                 best=flags.checkpoint == 'best')
  if mode == 'eval':
    results, protocol = inference.evaluate(config, exp.method, state, exp.mesh, progress=True)
    out = {'step': restored, 'checkpoint': flags.checkpoint, **results}
    if protocol:
      out['protocol'] = protocol
    print(json.dumps(out))
  elif mode == 'translate':
    paths = inference.translate_folder(exp.method, state, exp.mesh, flags.input, flags.output,
                                       flags.direction, config.eval.batch_size)
    print(f'translated {len(paths)} images {flags.direction} with the step-{restored} '
          f'generator into {flags.output}')
  elif mode == 'sample':
    if not flags.output:
      raise UserError('--output=DIR is required for --mode=sample')
    paths = inference.write_samples(exp.method, state, exp.mesh, flags.num_samples, flags.output,
                                    config.seed, config.eval.batch_size, flags.label)
    print(f'wrote {len(paths)} samples from step {restored} to {flags.output} '
          f'(all of them in one picture: {os.path.join(flags.output, "grid.png")})')
  return 0
