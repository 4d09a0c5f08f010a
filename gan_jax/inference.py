"""Using a trained state: evaluate metrics, print network summaries, write
sample PNGs, translate a folder of images."""

import os
from typing import Dict

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from gan_jax import images as images_lib
from gan_jax import parallel
from gan_jax.data.folder import IMAGE_EXTENSIONS
from gan_jax.errors import UserError
from gan_jax.methods.base import (FillsHoles, GeneratesFromNoise, MixesStyles, TranslatesImages,
                                  require)
from gan_jax.metrics.context import EvalContext
from gan_jax.metrics.registry import METRICS
from gan_jax.sampling import generate_images, translate_arrays


def eval_rng(config):
  """The key evaluation samples are drawn from: the same samples at every evaluation."""
  return jax.random.fold_in(jax.random.PRNGKey(config.seed), 0xE7A1)


def evaluate(config, method, state, mesh, progress=False, generate_fn=None):
  """(results, protocol): every metric in config.eval.metrics on
  config.eval.num_samples samples; protocol describes the Inception metrics'
  measurement (None when none ran)."""
  ctx = EvalContext(config, mesh, progress, method=method, state=state)
  ctx.check_ready()
  samples, results = None, {}
  if any(METRICS.get(m).needs is GeneratesFromNoise for m in config.eval.metrics):
    rng = eval_rng(config)
    samples = generate_images(method, state, mesh, config.eval.num_samples,
                              config.eval.batch_size, rng, generate_fn=generate_fn,
                              progress=progress)
    results = {'eval_num_samples': int(config.eval.num_samples)}
  for name in config.eval.metrics:
    results.update(METRICS.get(name).compute(samples, ctx))
  return results, (None if samples is None else ctx.protocol(len(samples)))


def _image_names(input_dir, output_dir, mode):
  """The image files of input_dir, sorted, after checking both folders."""
  names = images_lib.image_files(input_dir, '--input')
  if not output_dir:
    raise UserError(f'--output=DIR is required for --mode={mode}')
  if os.path.abspath(output_dir) == os.path.abspath(input_dir):
    raise UserError(f'--output={output_dir!r} is the input folder; the outputs would '
                    'replace the inputs: choose another folder')
  return names


def _save(path, img, channels):
  Image.fromarray(img[..., 0] if channels == 1 else img).save(path)


def inpaint_folder(method, state, mesh, input_dir, masks_dir, output_dir, seed):
  """Fills the holes of every image in input_dir, each at its own size, into
  output_dir under the same name. Masks: the file of the same name (any image
  extension) in masks_dir, white (>= 128) where the hole is, the image's size;
  without masks_dir, drawn as training draws them from (seed, image index) and
  written to output_dir/masks/. Every mask is checked before anything is written."""
  require(method, FillsHoles, '--mode=inpaint', hint='train experiments/inpainting.py')
  names = _image_names(input_dir, output_dir, 'inpaint')
  channels = method.info.image_shape[-1]
  names, arrays = images_lib.read_images(input_dir, names, 'L' if channels == 1 else 'RGB')
  holes = []
  if masks_dir:
    if not os.path.isdir(masks_dir):
      raise UserError(f'--masks={masks_dir!r} is not a folder')
    by_stem = {os.path.splitext(f)[0]: f for f in os.listdir(masks_dir)
               if f.lower().endswith(IMAGE_EXTENSIONS)}
    missing = [n for n in names if os.path.splitext(n)[0] not in by_stem]
    if missing:
      raise UserError(f'--masks={masks_dir!r} has no mask for {missing[:3]} ({len(missing)} '
                      'images): a mask is named as its image, any image extension')
    for name, a in zip(names, arrays):
      mask_file = by_stem[os.path.splitext(name)[0]]
      with Image.open(os.path.join(masks_dir, mask_file)) as im:
        m = np.asarray(im.convert('L'))
      if m.shape != a.shape[:2]:
        raise UserError(f'mask {mask_file!r} is {m.shape[1]}x{m.shape[0]} but image {name!r} '
                        f'is {a.shape[1]}x{a.shape[0]}')
      holes.append((m >= 128).astype(np.float32)[..., None])
  else:
    for i, a in enumerate(arrays):
      key = jax.random.fold_in(jax.random.PRNGKey(seed), i)
      holes.append(np.asarray(method.random_masks(key, 1, *a.shape[:2]))[0])
  os.makedirs(output_dir, exist_ok=True)
  if not masks_dir:
    os.makedirs(os.path.join(output_dir, 'masks'), exist_ok=True)
  paths = []
  for name, a, hole in zip(names, arrays, holes):
    x = a.reshape((1,) + a.shape[:2] + (channels,)) / 127.5 - 1.0
    inputs = np.asarray(method.with_mask(x, hole[None]))
    img = images_lib.to_uint8(translate_arrays(method, state, mesh, inputs, 'a2b', 1))[0]
    path = os.path.join(output_dir, name)
    _save(path, img, channels)
    paths.append(path)
    if not masks_dir:
      mask_path = os.path.join(output_dir, 'masks', os.path.splitext(name)[0] + '.png')
      Image.fromarray((hole[..., 0] * 255).astype(np.uint8)).save(mask_path)
  return paths


def translate_folder(method, state, mesh, input_dir, output_dir, direction, batch_size):
  """Translates every image file in input_dir into output_dir under the same name, as
  the official test.py: at the training resolution (grey or RGBA inputs converted,
  any size resized to it), then resized back to the input's size. Returns the
  written paths; unreadable files are skipped with a warning."""
  require(method, TranslatesImages, '--mode=translate', hint='use --mode=sample')
  if isinstance(method, FillsHoles):
    raise UserError('--mode=translate: inpainting needs masks; use --mode=inpaint --input=DIR '
                    '[--masks=DIR] --output=DIR')
  method.check_direction(direction)
  names = _image_names(input_dir, output_dir, 'translate')
  size, channels = method.info.image_shape[0], method.info.image_shape[-1]
  whole = getattr(method, 'any_size', False)  # fully convolutional (super-resolution)
  names, arrays = images_lib.read_images(input_dir, names, 'L' if channels == 1 else 'RGB')
  if whole:
    return _translate_each(method, state, mesh, output_dir, direction, names, arrays, channels)
  kept = [(n, a.shape[1::-1]) for n, a in zip(names, arrays)]
  arrays = [np.asarray(Image.fromarray(a.astype(np.uint8)).resize((size, size), Image.BICUBIC),
                       np.float32) for a in arrays]
  x = np.stack(arrays).reshape(len(arrays), size, size, channels) / 127.5 - 1.0
  out = images_lib.to_uint8(translate_arrays(method, state, mesh, x, direction, batch_size))
  os.makedirs(output_dir, exist_ok=True)
  paths = []
  for (name, orig_size), img in zip(kept, out):
    pil = Image.fromarray(img[..., 0] if channels == 1 else img)
    if pil.size != orig_size:
      pil = pil.resize(orig_size, Image.BICUBIC)
    path = os.path.join(output_dir, name)
    pil.save(path)
    paths.append(path)
  return paths


def _translate_each(method, state, mesh, output_dir, direction, names, arrays, channels):
  """Each image whole, at its own size (one compile per distinct size); the output
  is written at the size the method returns (super-resolution: scale x larger)."""
  os.makedirs(output_dir, exist_ok=True)
  paths = []
  for name, a in zip(names, arrays):
    x = a.reshape((1,) + a.shape[:2] + (channels,)) / 127.5 - 1.0
    img = images_lib.to_uint8(translate_arrays(method, state, mesh, x, direction, 1))[0]
    path = os.path.join(output_dir, name)
    _save(path, img, channels)
    paths.append(path)
  return paths


def count_params(tree) -> int:
  return int(sum(np.size(x) for x in jax.tree.leaves(tree)))


def summary_text(networks: dict) -> str:
  """Per-layer parameter shapes and counts, then each network's exact total."""
  lines = []
  for name, params in networks.items():
    lines.append(f'== {name} ==')
    flat = jax.tree_util.tree_flatten_with_path(params)[0]
    for path, leaf in flat:
      key = '/'.join(str(getattr(p, 'key', p)) for p in path)
      lines.append(f'  {key:<48} {str(tuple(leaf.shape)):<22} {np.size(leaf):>12,}')
    lines.append(f'  {name} total: {count_params(params):,} parameters')
  return '\n'.join(lines)


def jit_train_step(method, mesh):
  """The data-parallel train step: state replicated and donated, batch split by rows."""
  return jax.jit(method.train_step,
                 in_shardings=(parallel.replicated(mesh), parallel.batch_sharded(mesh)),
                 out_shardings=(parallel.replicated(mesh), parallel.replicated(mesh)),
                 donate_argnums=(0,))


def train_step_memory(method, mesh, state) -> Dict[str, int]:
  """XLA's memory analysis of the compiled train step, per device, in bytes:
  arguments (state + batch share), outputs, aliased (the donated state reused
  for the new one), temporaries, and the peak = arguments + outputs - aliased +
  temporaries. For the backend it compiles on: a GPU's fusions and layouts differ."""
  batch = {k: jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=parallel.batch_sharded(mesh))
           for k, v in method.train_batch_shapes().items()}
  m = jit_train_step(method, mesh).lower(state, batch).compile().memory_analysis()
  out = {'arguments': m.argument_size_in_bytes, 'outputs': m.output_size_in_bytes,
         'aliased': m.alias_size_in_bytes, 'temporaries': m.temp_size_in_bytes}
  out['peak'] = out['arguments'] + out['outputs'] - out['aliased'] + out['temporaries']
  return out


def memory_text(memory: Dict[str, int], per_device_batch: int, platform: str) -> str:
  mib = lambda b: f'{b / 2**20:,.1f} MiB'
  fits = ', '.join(f'{gb} GB {"yes" if memory["peak"] < 0.9 * gb * 1e9 else "no"}'
                   for gb in (16, 24, 40, 80))
  return (f'== train step memory per device ({platform}, batch {per_device_batch} per device; '
          f"XLA's analysis of the compiled step) ==\n"
          f'  arguments {mib(memory["arguments"])} (state + batch), outputs '
          f'{mib(memory["outputs"])} ({mib(memory["aliased"])} of them in the donated state\'s '
          f'buffers), temporaries {mib(memory["temporaries"])}\n'
          f'  peak about {mib(memory["peak"])}; fits (under 90 %): {fits}')


def write_samples(method, state, mesh, num, output, seed, batch_size, label=None):
  """num PNG files sample_00000.png ... in output, and grid.png with all of them in one
  picture (as the training's sample grids); returns the paths of the samples."""
  require(method, GeneratesFromNoise, '--mode=sample',
          hint='use --mode=translate --input=DIR --output=DIR')
  if num <= 0:
    raise UserError(f'--num_samples={num} must be > 0')
  if label is not None:
    nc = method.info.num_classes
    if not method.conditional:
      raise UserError(f'--label={label} given, but this model is unconditional')
    if not 0 <= label < nc:
      raise UserError(f'--label={label}; allowed: 0..{nc - 1}')
  n_dev = mesh.devices.size
  batch = min(batch_size, -(-num // n_dev) * n_dev)
  rng = jax.random.fold_in(jax.random.PRNGKey(seed), 0x5A4B)
  imgs = generate_images(method, state, mesh, num, batch, rng,
                         labels=None if label is None else [label])
  os.makedirs(output, exist_ok=True)
  paths = []
  for i, img in enumerate(images_lib.to_uint8(imgs)):
    path = os.path.join(output, f'sample_{i:05d}.png')
    images_lib.save_png(path, img)
    paths.append(path)
  images_lib.save_png(os.path.join(output, 'grid.png'), images_lib.make_grid(imgs))
  return paths


def parse_styles(spec: str, num_ws: int):
  """'a-b' (inclusive) or 'a,b,c' -> ws indices, each in [0, num_ws)."""
  try:
    if '-' in spec:
      lo, hi = (int(v) for v in spec.split('-'))
      out = list(range(lo, hi + 1))
    else:
      out = [int(v) for v in spec.split(',')]
  except ValueError:
    out = []
  if not out or min(out) < 0 or max(out) >= num_ws:
    raise UserError(f"--styles={spec!r}; allowed: 'a-b' or 'a,b,...' with ws indices in "
                    f'0..{num_ws - 1}')
  return out


def parse_seeds(spec: str, flag: str):
  try:
    seeds = [int(v) for v in spec.split(',')]
  except ValueError:
    seeds = []
  if not seeds:
    raise UserError(f"--{flag}={spec!r}; allowed: comma-separated integer seeds, e.g. '1,2,3'")
  return seeds


def write_style_figures(method, state, output, row_seeds, col_seeds, styles=None, label=None,
                        steps: int = 8):
  """style_mixing_coarse.png and _fine.png (the column seeds' first / last half of
  the ws; or style_mixing.png with the given ws), and interpolation.png (row seed
  i to column seed i, linear in W). Seeds give z as sample_inputs would."""
  require(method, MixesStyles, 'style-mixing figures')
  z = lambda seeds: jnp.stack([jax.random.normal(jax.random.PRNGKey(s), (method.z_dim,))
                               for s in seeds])
  rz, cz = z(row_seeds), z(col_seeds)
  labels = None
  if method.conditional:
    labels = [label or 0] * max(len(row_seeds), len(col_seeds))
  half = method.num_ws // 2
  figures = ({'style_mixing': styles} if styles is not None else
             {'style_mixing_coarse': list(range(half)),
              'style_mixing_fine': list(range(half, method.num_ws))})
  os.makedirs(output, exist_ok=True)
  paths = []
  mix = jax.jit(method.style_mixing, static_argnums=(3,))
  for name, ws in figures.items():
    imgs = mix(state, rz, cz, tuple(ws), labels)
    paths.append(os.path.join(output, f'{name}.png'))
    images_lib.save_png(paths[-1], images_lib.make_grid(imgs, cols=len(col_seeds) + 1))
  n = min(len(row_seeds), len(col_seeds))
  imgs = jax.jit(method.interpolation, static_argnums=(3,))(
      state, rz[:n], cz[:n], steps, None if labels is None else labels[:n])
  paths.append(os.path.join(output, 'interpolation.png'))
  images_lib.save_png(paths[-1], images_lib.make_grid(imgs, cols=steps))
  return paths


def preview_inputs(method, config):
  """The inputs of the sample grids, the same across a run and its resumption: fixed
  noise (one class per grid row when conditional), or the first held-out pairs."""
  n = config.train.sample_grid
  if isinstance(method, TranslatesImages):
    ex = method.held_out(config.data, max(1, n // method.preview_per_example))
    return {k: jnp.asarray(v) for k, v in ex.items()}
  rng = jax.random.fold_in(jax.random.PRNGKey(config.seed), 0x6121D)
  cols = int(np.ceil(np.sqrt(n)))  # one class per grid row, as images.make_grid lays them out
  labels = (jnp.arange(n) // cols) % method.info.num_classes if method.conditional else None
  return method.sample_inputs(rng, n, labels)
