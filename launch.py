"""gan_jax command line.

  python launch.py --config=experiments/dcgan_mnist.py:digits --workdir=runs/dcgan
  python launch.py --config=experiments/dcgan_mnist.py --mode=summary
  python launch.py --config=... --workdir=runs/dcgan --mode=eval
  python launch.py --config=... --workdir=runs/dcgan --mode=sample --num_samples=64 --output=out/
  python launch.py --config=experiments/cyclegan.py --workdir=runs/h2z --mode=translate \\
      --input=photos/ --output=out/ --direction=a2b
  python launch.py --mode=stylize --content=photo.jpg --style=painting.jpg --output=out.png
  python launch.py --config=experiments/inpainting.py:demo --workdir=runs/inpaint_demo \\
      --mode=inpaint --input=photos/ --masks=masks/ --output=out/
  python launch.py --config=experiments/pacgan_toy.py:ring --workdir=runs/pg --mode=seeds --seeds=10
  any config field: --config.optim.g.lr=1e-4

Errors the user can fix are printed on one line (exit status 2), not as a trace.
"""

import os
import sys

try:
  from absl import flags
  from ml_collections import config_flags
except ImportError as _missing:  # not installed yet: say how, not a trace
  if __name__ != '__main__':
    raise
  print(__doc__)
  print(f'gan_jax\'s requirements are not installed for {sys.executable} ({_missing.name} is '
        'missing). Install them first (the README\'s first line):\n  python3 -m venv .venv && '
        '. .venv/bin/activate && pip install -r requirements.txt')
  sys.exit(0 if any(a in ('--help', '-h', '-?', '--helpfull', '--helpshort')
                    for a in sys.argv[1:]) else 2)

from gan_jax.errors import UserError  # noqa: E402  (after the install check)

EXPERIMENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'experiments')


def define_flags(fv: flags.FlagValues, argv) -> None:
  """The command line's flags, on a FlagValues of their own (one per run())."""
  config_flags.DEFINE_config_file('config', None, 'experiment file[:options], e.g. '
                                  'experiments/dcgan_mnist.py:digits', flag_values=fv,
                                  lock_config=True, sys_argv=list(argv))
  d = dict(flag_values=fv)
  flags.DEFINE_string('workdir', None, 'run folder: checkpoints, logs, samples', **d)
  flags.DEFINE_enum('mode', 'train', ['train', 'summary', 'eval', 'sample', 'translate', 'report',
                                      'stylize', 'seeds', 'inpaint'],
                    'what to do; report: table of a sweep workdir; translate: a folder of '
                    'images; inpaint: fill the holes (--masks) of a folder of images; '
                    'stylize: Gatys et al. style transfer of --content in the style '
                    'of --style; seeds: --seeds trainings side by side (jax.vmap), their '
                    'metrics and mean +- standard error', **d)
  flags.DEFINE_integer('seeds', 10, 'seeds: how many (config.seed, config.seed + 1, ...)', **d)
  flags.DEFINE_string('checkpoint', 'latest', "eval/sample/translate: 'latest', 'best' (best "
                      'config.eval.main_metric) or a step number', **d)
  flags.DEFINE_integer('num_samples', 64, 'sample: how many PNGs', **d)
  flags.DEFINE_string('output', None, 'sample/translate/inpaint: output folder', **d)
  flags.DEFINE_string('input', None, 'translate/inpaint: folder of images', **d)
  flags.DEFINE_string('masks', None, 'inpaint: folder of masks named as the images (white = '
                      'hole); none: holes drawn from --seed', **d)
  flags.DEFINE_integer('seed', 0, 'inpaint without --masks: the seed the holes are drawn from',
                       **d)
  flags.DEFINE_string('direction', 'a2b', 'translate: a2b or b2a (cyclegan)', **d)
  flags.DEFINE_string('target', None, 'translate (stargan): the target domain, e.g. '
                      'Blond_Hair,Young (attributes switched on, or none) or a domain name', **d)
  flags.DEFINE_string('content', None, 'stylize: the content image', **d)
  flags.DEFINE_string('style', None, 'stylize: the style image (default: config.style.image)',
                      **d)
  flags.DEFINE_string('mix_rows', '1,2,3,4,5', 'sample (StyleGAN2): the style-mixing figure\'s '
                      'row seeds (also where the interpolations start)', **d)
  flags.DEFINE_string('mix_cols', '6,7,8,9,10', 'sample (StyleGAN2): its column seeds, whose ws '
                      'replace the rows\' at --styles (also where the interpolations end)', **d)
  flags.DEFINE_string('styles', '', "sample (StyleGAN2): the ws taken from the columns, 'a-b' or "
                      "'a,b'; default: two figures, the coarse half and the fine half", **d)
  flags.DEFINE_integer('label', None, 'sample: class of a class-conditional model', **d)
  flags.DEFINE_bool('summary_memory', True, 'summary: also compile the train step for its peak '
                    'memory per device (seconds to a minute on a CPU)', **d)
  flags.DEFINE_bool('report_losses', False, 'report: also the training terms (losses, D '
                    'outputs, gradient norms)', **d)
  flags.DEFINE_bool('sweep', False, "train every point of the experiment's get_sweep()", **d)
  flags.DEFINE_integer('sweep_index', None, 'train one sweep point (default: '
                       'SLURM_ARRAY_TASK_ID)', **d)
  flags.DEFINE_integer('sweep_parallel', 1, 'sweep points trained at once, one device each', **d)
  flags.DEFINE_string('coordinator_address', None, 'multi-process: host:port of process 0', **d)
  flags.DEFINE_integer('num_processes', None, 'multi-process: number of processes', **d)
  flags.DEFINE_integer('process_id', None, 'multi-process: index of this process', **d)
  flags.DEFINE_bool('help', False, 'show this help', short_name='?', **d)
  flags.DEFINE_bool('helpshort', False, 'show this help', **d)
  flags.DEFINE_bool('helpfull', False, 'show this help', **d)


def config_spec(argv):
  """The value of --config (path[:options]), or None."""
  return next((a.split('=', 1)[1] for a in argv if a.startswith('--config=')), None)


def check_experiment_path(spec) -> None:
  """A missing experiment file is a one-line error listing experiments/."""
  if spec is None:
    return
  path = spec.partition(':')[0]
  if not os.path.isfile(path):
    known = sorted(f for f in os.listdir(EXPERIMENTS) if f.endswith('.py') and f != '__init__.py')
    raise UserError(f'--config={spec}: no file {path!r}; experiments/ holds: {", ".join(known)}')


def explain_override_error(argv, error) -> str:
  """Names the first --config.a.b=... override whose key the experiment lacks."""
  from gan_jax import config as config_lib  # the experiment's import of it loads JAX
  from gan_jax import sweep
  try:
    module, arg = sweep.load_experiment(config_spec(argv))
    config = module.get_config(arg)
    for a in argv:
      if a.startswith('--config.'):
        config_lib.find_parent(config, a[len('--config.'):].split('=', 1)[0],
                               config_spec(argv).partition(':')[0])
  except UserError as e:
    return str(e)
  except Exception:  # pylint: disable=broad-except
    pass
  return str(error)


def run(argv) -> int:
  """Parses argv (argv[0]: the program) and runs; returns the exit status."""
  if '--mode=stylize' in argv and config_spec(argv) is None:  # Gatys et al.'s settings
    argv = [argv[0], f'--config={os.path.join(EXPERIMENTS, "style_transfer.py")}:gatys',
            *argv[1:]]
  fv = flags.FlagValues()
  try:
    check_experiment_path(config_spec(argv))
    define_flags(fv, argv)
    fv(list(argv))
  except (flags.Error, UserError) as e:
    print(f'error: {e}', file=sys.stderr)
    return 2
  except (AttributeError, KeyError) as e:  # config_flags' answer to an unknown override key
    print(f'error: {explain_override_error(argv, e)}', file=sys.stderr)
    return 2
  if fv.help or fv.helpshort or fv.helpfull:
    print(__doc__)
    print(fv.get_help())
    return 0
  # Imported after parsing so that --help and flag errors answer without loading JAX.
  from gan_jax import modes
  from gan_jax.train import Interrupted
  keep = [a for a in argv[1:] if not a.startswith(('--sweep_parallel', '--sweep_index'))]
  relaunch = lambda i: [sys.executable, os.path.abspath(__file__), *keep, f'--sweep_index={i}']
  try:
    return modes.run(fv, config_spec(argv), relaunch)
  except UserError as e:
    print(f'error: {e}', file=sys.stderr)
    return 2
  except Interrupted as e:
    print(str(e), file=sys.stderr)
    return 128 + e.signum


def load_config(argv):
  """The resolved config of a command line (argv[0] is the program), without running it."""
  check_experiment_path(config_spec(argv))
  fv = flags.FlagValues()
  define_flags(fv, argv)
  fv(list(argv))
  return fv.config


if __name__ == '__main__':
  sys.exit(run(sys.argv))
