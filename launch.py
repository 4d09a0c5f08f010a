"""gan_jax command line.

  python launch.py --config=experiments/dcgan_mnist.py:digits --workdir=runs/dcgan
  python launch.py --config=experiments/dcgan_mnist.py --mode=summary
  python launch.py --config=... --workdir=runs/dcgan --mode=eval
  python launch.py --config=... --workdir=runs/dcgan --mode=sample --num_samples=64 --output=out/
  python launch.py --config=experiments/cyclegan.py --workdir=runs/h2z --mode=translate \
      --input=photos/ --output=out/ --direction=a2b
  any config field: --config.optim.g.lr=1e-4

Errors the user can fix are printed on one line (exit status 2), not as a trace.
"""

import json
import sys

from absl import flags
from ml_collections import config_flags

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'experiment file[:options], e.g. '
                                'experiments/dcgan_mnist.py:digits', lock_config=True)
flags.DEFINE_string('workdir', None, 'run folder: checkpoints, logs, samples')
flags.DEFINE_enum('mode', 'train', ['train', 'summary', 'eval', 'sample', 'translate', 'report'],
                  'what to do; report: table of a sweep workdir; translate: a folder of images')
flags.DEFINE_string('checkpoint', 'latest',
                    "eval/sample: 'latest', 'best' (best config.eval.main_metric) or a step number")
flags.DEFINE_integer('num_samples', 64, 'sample: how many PNGs')
flags.DEFINE_string('output', None, 'sample/translate: output folder')
flags.DEFINE_string('input', None, 'translate: folder of images to translate')
flags.DEFINE_string('direction', 'a2b', 'translate: a2b or b2a (cyclegan)')
flags.DEFINE_integer('label', None, 'sample: class of a class-conditional model')
flags.DEFINE_bool('sweep', False, "train every point of the experiment's get_sweep()")
flags.DEFINE_integer('sweep_index', None, 'train one sweep point (default: SLURM_ARRAY_TASK_ID)')
flags.DEFINE_integer('sweep_parallel', 1, 'sweep points trained at once, one device each')

flags.DEFINE_string('coordinator_address', None, 'multi-process: host:port of process 0')
flags.DEFINE_integer('num_processes', None, 'multi-process: number of processes')
flags.DEFINE_integer('process_id', None, 'multi-process: index of this process')

_ARGV = []  # the argv of the current run(), for sweeps and error explanations


def _main() -> int:
  # Imported here so that --help and flag errors answer without loading JAX.
  from gan_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  from gan_jax import inference, train  # pylint: disable=g-import-not-at-top
  from gan_jax.errors import UserError  # pylint: disable=g-import-not-at-top
  from gan_jax.experiment import Experiment  # pylint: disable=g-import-not-at-top

  from gan_jax import parallel  # pylint: disable=g-import-not-at-top
  parallel.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  config, mode = FLAGS.config, FLAGS.mode
  if mode == 'report':
    if not FLAGS.workdir:
      raise UserError('--workdir is required for --mode=report')
    from gan_jax import report  # pylint: disable=g-import-not-at-top
    print(report.write_report(FLAGS.workdir))
    return 0
  if config is None:
    raise UserError('--config=experiments/<file>.py[:options] is required')
  if mode == 'summary':
    exp = Experiment(config, FLAGS.workdir, need_source=False)
    state = exp.method.init(__import__('jax').random.PRNGKey(config.seed))
    print(inference.summary_text(exp.method.networks(state)))
    print('== config ==')
    print(json.dumps(config_lib.to_dict(config), indent=2, sort_keys=True))
    return 0
  if not FLAGS.workdir:
    raise UserError(f'--workdir is required for --mode={mode}')
  if mode == 'train' and (FLAGS.sweep or FLAGS.sweep_index is not None):
    return _run_sweep(config)
  if mode == 'train':
    train.train_and_evaluate(config, FLAGS.workdir)
    return 0
  step = None
  if FLAGS.checkpoint not in ('latest', 'best'):
    if not FLAGS.checkpoint.isdigit():
      raise UserError(f"--checkpoint={FLAGS.checkpoint!r}; allowed: 'latest', 'best' or a "
                      'step number')
    step = int(FLAGS.checkpoint)
  exp, state, restored = Experiment.load_trained(config, FLAGS.workdir, step,
                                                 best=FLAGS.checkpoint == 'best')
  if mode == 'eval':
    results, protocol = inference.evaluate(config, exp.method, state, exp.mesh, progress=True)
    out = {'step': restored, 'checkpoint': FLAGS.checkpoint, **results}
    if protocol:
      out['protocol'] = protocol
    print(json.dumps(out))
  elif mode == 'translate':
    paths = inference.translate_folder(exp.method, state, exp.mesh, FLAGS.input, FLAGS.output,
                                       FLAGS.direction, config.eval.batch_size)
    print(f'translated {len(paths)} images {FLAGS.direction} with the step-{restored} '
          f'generator into {FLAGS.output}')
  elif mode == 'sample':
    if not FLAGS.output:
      raise UserError('--output=DIR is required for --mode=sample')
    paths = inference.write_samples(exp.method, state, exp.mesh, FLAGS.num_samples, FLAGS.output,
                                    config.seed, config.eval.batch_size, FLAGS.label)
    print(f'wrote {len(paths)} samples from step {restored} to {FLAGS.output}')
  return 0


def _config_spec(argv):
  return next((a.split('=', 1)[1] for a in argv if a.startswith('--config=')), None)


def _experiment_module(spec):
  """(module, arg) of an experiment spec 'path[:arg]'."""
  import importlib.util  # pylint: disable=g-import-not-at-top
  path, _, arg = spec.partition(':')
  mod_spec = importlib.util.spec_from_file_location('_experiment', path)
  module = importlib.util.module_from_spec(mod_spec)
  mod_spec.loader.exec_module(module)
  return module, arg or None


def _run_sweep(config) -> int:
  """Trains the sweep's points (one, or all; in parallel subprocesses if asked)."""
  import os  # pylint: disable=g-import-not-at-top
  from gan_jax import sweep, train  # pylint: disable=g-import-not-at-top
  from gan_jax.errors import UserError  # pylint: disable=g-import-not-at-top
  spec = _config_spec(_ARGV)
  module, arg = _experiment_module(spec)
  if not hasattr(module, 'get_sweep'):
    raise UserError(f'{spec.partition(":")[0]} defines no get_sweep(); nothing to sweep')
  points = list(module.get_sweep(arg))
  index = sweep.select_index(FLAGS.sweep_index, len(points))
  chosen = [index] if index is not None else list(range(len(points)))
  if FLAGS.sweep_parallel > 1 and index is None:
    return _run_sweep_parallel(len(points))
  for i in chosen:
    point = config.copy_and_resolve_references()
    sweep.apply_overrides(point, points[i])
    point_dir = os.path.join(FLAGS.workdir, sweep.point_name(points[i]))
    done = sweep.steps_done(point_dir)
    if done >= point.train.num_steps:
      print(f'sweep point {i} ({sweep.point_name(points[i])}): finished at step {done}, skipped')
      continue
    print(f'sweep point {i}/{len(points)}: {sweep.point_name(points[i])}', flush=True)
    sweep.write_point_file(point_dir, i, points[i])
    train.train_and_evaluate(point, point_dir)
  return 0


def _run_sweep_parallel(num_points: int) -> int:
  """Runs every point as its own `launch.py --sweep_index=i` process, K at a time.

  Each process gets one device: one GPU through CUDA_VISIBLE_DEVICES, or one
  CPU device.
  """
  import os  # pylint: disable=g-import-not-at-top
  import subprocess  # pylint: disable=g-import-not-at-top
  import time  # pylint: disable=g-import-not-at-top
  import jax  # pylint: disable=g-import-not-at-top
  gpus = [d.id for d in jax.devices() if d.platform == 'gpu']
  base = [a for a in _ARGV[1:] if not a.startswith(('--sweep_parallel', '--sweep_index'))]
  running, failed = {}, []
  slots = list(range(FLAGS.sweep_parallel))
  queue = list(range(num_points))
  while queue or running:
    while queue and slots:
      i, slot = queue.pop(0), slots.pop(0)
      env = dict(os.environ)
      if gpus:
        env['CUDA_VISIBLE_DEVICES'] = str(gpus[slot % len(gpus)])
      else:
        env['XLA_FLAGS'] = ' '.join(f for f in env.get('XLA_FLAGS', '').split()
                                    if 'device_count' not in f)
      cmd = [sys.executable, os.path.abspath(__file__), *base, f'--sweep_index={i}']
      running[subprocess.Popen(cmd, env=env)] = (i, slot)
    finished = [p for p in running if p.poll() is not None]
    if not finished:
      time.sleep(0.2)
    for p in finished:
      i, slot = running.pop(p)
      slots.append(slot)
      if p.returncode:
        failed.append(i)
  if failed:
    print(f'error: sweep points {failed} failed; rerun the same command to resume them',
          file=sys.stderr)
    return 1
  return 0


def _explain_bad_override(argv):
  """Names the first --config.a.b=... override whose key the experiment lacks."""
  spec = _config_spec(argv)
  if spec is None:
    return None
  path = spec.partition(':')[0]
  try:
    module, arg = _experiment_module(spec)
    config = module.get_config(arg)
  except Exception:  # pylint: disable=broad-except
    return None
  for a in argv:
    if not a.startswith('--config.'):
      continue
    key = a[len('--config.'):].split('=', 1)[0]
    node = config
    for i, part in enumerate(key.split('.')):
      if not hasattr(node, 'keys') or part not in node:
        where = '.'.join(key.split('.')[:i]) or 'config'
        known = ', '.join(sorted(node.keys())) if hasattr(node, 'keys') else '(not a group)'
        return f'unknown config key {key!r} in {path}; keys of {where}: {known}'
      node = node[part]
  return None


def load_config(argv):
  """The resolved config of a command line (argv[0] is the program), without running it."""
  reset_flags()
  saved, sys.argv = sys.argv, list(argv)  # config_flags reads overrides from sys.argv
  try:
    FLAGS(list(argv))
  finally:
    sys.argv = saved
  return FLAGS.config


def reset_flags() -> None:
  """Forgets a previous parse, so run() can be called again in one process."""
  FLAGS.unparse_flags()
  for name in list(FLAGS):
    if name.startswith('config.'):  # override flags config_flags added for the last config
      delattr(FLAGS, name)


def run(argv) -> int:
  """Parses argv and runs; returns the exit status (used by tests in-process)."""
  _ARGV[:] = list(argv)
  from gan_jax.errors import UserError  # pylint: disable=g-import-not-at-top
  try:
    load_config(argv)
  except (flags.Error, UserError) as e:
    print(f'error: {e}', file=sys.stderr)
    return 2
  except (AttributeError, KeyError) as e:  # config_flags' answer to an unknown override key
    print(f'error: {_explain_bad_override(argv) or e}', file=sys.stderr)
    return 2
  from gan_jax.train import Interrupted  # pylint: disable=g-import-not-at-top
  try:
    return _main()
  except UserError as e:
    print(f'error: {e}', file=sys.stderr)
    return 2
  except Interrupted as e:
    print(str(e), file=sys.stderr)
    return 128 + e.signum


if __name__ == '__main__':
  sys.exit(run(sys.argv))
