"""What each `--mode` of launch.py does, given the parsed command line."""

import json
import os

import jax

import numpy as np

from gan_jax import config as config_lib
from gan_jax import images as images_lib
from gan_jax import cache, inference, parallel, plots, report, seeds, stylize, sweep, train
from gan_jax.errors import UserError
from gan_jax.experiment import Experiment
from gan_jax.methods.base import MixesStyles
from gan_jax.methods.style_transfer import load_vgg


def run(flags, spec, relaunch) -> int:
  """flags: the parsed launch.py flags; spec: the --config value (path[:options]);
  relaunch(i): the command line that trains sweep point i alone (for
  --sweep_parallel). Returns the exit status."""
  parallel.initialize(flags.coordinator_address, flags.num_processes, flags.process_id)
  cache.enable_compilation_cache()
  config, mode = flags.config, flags.mode
  if mode == 'report':
    if not flags.workdir:
      raise UserError('--workdir is required for --mode=report')
    print(report.write_report(flags.workdir, losses=flags.report_losses))
    return 0
  if config is None:
    raise UserError('--config=experiments/<file>.py[:options] is required')
  if mode == 'stylize':
    return _stylize(flags, config)
  if mode == 'summary':
    exp = Experiment(config, flags.workdir, need_source=False)
    mesh = exp.mesh
    if config.train.batch_size % mesh.devices.size:  # training would refuse it: one device
      mesh = parallel.make_mesh(jax.devices()[:1])
    state = exp.abstract_state(mesh)  # shapes only: counts and the compiled step's memory
    print(inference.summary_text(exp.method.networks(state)))
    notes = exp.method.summary_notes(state)
    if notes:
      print(notes)
    if flags.summary_memory:
      memory = inference.train_step_memory(exp.method, mesh, state)
      print(inference.memory_text(memory, config.train.batch_size // mesh.devices.size,
                                  mesh.devices.flat[0].platform))
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
  if mode == 'seeds':
    seeds.run(config, flags.seeds, flags.workdir)
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
    direction = flags.target if flags.target is not None else flags.direction
    paths = inference.translate_folder(exp.method, state, exp.mesh, flags.input, flags.output,
                                       direction, config.eval.batch_size)
    print(f'translated {len(paths)} images {direction} with the step-{restored} '
          f'generator into {flags.output}')
  elif mode == 'inpaint':
    paths = inference.inpaint_folder(exp.method, state, exp.mesh, flags.input, flags.masks,
                                     flags.output, flags.seed)
    print(f'filled the holes of {len(paths)} images with the step-{restored} generator into '
          f'{flags.output}')
  elif mode == 'sample':
    if not flags.output:
      raise UserError('--output=DIR is required for --mode=sample')
    mixing = isinstance(exp.method, MixesStyles)
    if mixing:      # checked before anything is written
      styles = (inference.parse_styles(flags.styles, exp.method.num_ws) if flags.styles
                else None)
      rows = inference.parse_seeds(flags.mix_rows, 'mix_rows')
      cols = inference.parse_seeds(flags.mix_cols, 'mix_cols')
    paths = inference.write_samples(exp.method, state, exp.mesh, flags.num_samples, flags.output,
                                    config.seed, config.eval.batch_size, flags.label)
    print(f'wrote {len(paths)} samples from step {restored} to {flags.output} '
          f'(all of them in one picture: {os.path.join(flags.output, "grid.png")})')
    if mixing:
      figures = inference.write_style_figures(exp.method, state, flags.output, rows, cols,
                                              styles, flags.label)
      print('style mixing and interpolation: ' + ', '.join(os.path.basename(p) for p in figures))
  return 0


def _stylize(flags, config) -> int:
  """Gatys et al. 2016: the pixels of --content optimised towards the style of
  --style (config.style: layers, weights, steps, optimiser), at
  config.data.image_size (the shorter side). Writes the image, and beside it
  <name>_loss.png and <name>_loss.json (the loss curve)."""
  if not flags.content:
    raise UserError('--content=IMAGE is required for --mode=stylize')
  if not flags.output or not flags.output.lower().endswith('.png'):
    raise UserError(f'--output={flags.output!r}: --mode=stylize writes one PNG file: '
                    '--output=OUT.png')
  sc, size = config.style, config.data.image_size
  content = images_lib.read_rgb(flags.content, size, '--content') / 255.0
  style = images_lib.read_rgb(flags.style or sc.image, sc.size or size, '--style') / 255.0
  params, note = load_vgg(sc)
  print(f'stylize: {flags.content} ({content.shape[1]}x{content.shape[0]}) in the style of '
        f'{flags.style or sc.image}; {note}; {sc.steps} {sc.optimizer} steps', flush=True)
  every = max(1, sc.steps // 10)

  def progress(i, loss, image):
    del image
    if i % every == 0:
      print(f'stylize step {i}/{sc.steps} | loss {loss:.5g}', flush=True)
  image, losses = stylize.stylize(
      content.astype(np.float32), style.astype(np.float32), params,
      content_layers=tuple(sc.content_layers), style_layers=tuple(sc.style_layers),
      content_weight=sc.content_weight, style_weight=sc.style_weight, tv_weight=sc.tv_weight,
      steps=sc.steps, optimizer=sc.optimizer, callback=progress)
  os.makedirs(os.path.dirname(os.path.abspath(flags.output)), exist_ok=True)
  images_lib.save_png(flags.output, np.round(image * 255).astype(np.uint8))
  stem = flags.output[:-len('.png')]
  with open(stem + '_loss.json', 'w') as f:
    json.dump([float(v) for v in losses], f)
  plots.run_curves([{'step': i, 'stylize_loss': float(v)} for i, v in enumerate(losses)], '',
                   stem + '_loss.png')
  print(f'loss {losses[0]:.5g} -> {losses[-1]:.5g}; wrote {flags.output} and {stem}_loss.png')
  return 0
