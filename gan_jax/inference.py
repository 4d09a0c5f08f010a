"""Using a trained state: generate in batches over all devices, evaluate
metrics, print network summaries, write sample PNGs."""

import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import images as images_lib
from gan_jax import parallel
from gan_jax.errors import UserError
from gan_jax.metrics import METRICS, EvalContext


def make_generate_fn(method, mesh):
  """jit(method.generate): state replicated, inputs and outputs split over 'data'."""
  return jax.jit(method.generate,
                 in_shardings=(parallel.replicated(mesh), parallel.batch_sharded(mesh)),
                 out_shardings=parallel.batch_sharded(mesh))


def generate_images(method, state, mesh, num, batch_size, rng, labels=None, generate_fn=None,
                    progress=False) -> np.ndarray:
  """num images (numpy, [-1, 1]) from keys fold_in(rng, batch index)."""
  parallel.check_batch_size(batch_size, mesh, 'eval.batch_size')
  generate_fn = generate_fn or make_generate_fn(method, mesh)
  out, start = [], time.time()
  for i, first in enumerate(range(0, num, batch_size)):
    batch_labels = None if labels is None else np.resize(np.asarray(labels), batch_size)
    inputs = method.sample_inputs(jax.random.fold_in(rng, i), batch_size, batch_labels)
    imgs = generate_fn(state, parallel.shard_batch(inputs, mesh))
    out.append(parallel.to_host(imgs)[:num - first])
    if progress:
      done = min(first + batch_size, num)
      print(f'\rgenerated {done}/{num} ({done / max(time.time() - start, 1e-9):.1f} img/s)',
            end='', file=sys.stderr, flush=True)
  if progress:
    print(file=sys.stderr)
  return np.concatenate(out)


def evaluate(config, method, state, mesh, progress=False, generate_fn=None):
  """(results, protocol): every metric in config.eval.metrics on
  config.eval.num_samples samples; protocol describes the Inception metrics'
  measurement (None when none ran)."""
  ctx = EvalContext(config, mesh, progress, method=method, state=state)
  ctx.check_ready()
  if getattr(method, 'translates', False):  # its metrics translate held-out images
    samples, results = None, {}
  else:
    rng = jax.random.fold_in(jax.random.PRNGKey(config.seed), 0xE7A1)
    samples = generate_images(method, state, mesh, config.eval.num_samples,
                              config.eval.batch_size, rng, generate_fn=generate_fn,
                              progress=progress)
    results = {'eval_num_samples': int(config.eval.num_samples)}
  for name in config.eval.metrics:
    results.update(METRICS.get(name)(samples, ctx))
  return results, (None if samples is None else ctx.protocol(len(samples)))


def translate_arrays(method, state, mesh, images, direction: str, batch_size: int) -> np.ndarray:
  """method.translate over numpy images (N, H, W, C) in [-1, 1], in batches split over
  the devices (the last one padded); returns numpy."""
  fn = _translate_fn(method, mesh, direction)
  out = []
  for x, real in parallel.padded_batches(images, batch_size, mesh):
    out.append(parallel.to_host(fn(state, parallel.shard_batch(x, mesh)))[:real])
  return np.concatenate(out)


def _translate_fn(method, mesh, direction):
  """One compiled translate per (method object, mesh, direction)."""
  cache = method.__dict__.setdefault('_jitted_translate', {})
  key = (id(mesh), direction)
  if key not in cache:
    cache[key] = jax.jit(lambda s, x: method.translate(s, x, direction),
                         in_shardings=(parallel.replicated(mesh), parallel.batch_sharded(mesh)),
                         out_shardings=parallel.batch_sharded(mesh))
  return cache[key]


def translate_folder(method, state, mesh, input_dir, output_dir, direction, batch_size):
  """Translates every image file in input_dir into output_dir under the same name, as
  the official test.py: at the training resolution (grey or RGBA inputs converted,
  any size resized to it), then resized back to the input's size. Returns the
  written paths; unreadable files are skipped with a warning."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  from gan_jax.data.folder import IMAGE_EXTENSIONS  # pylint: disable=g-import-not-at-top
  from gan_jax.errors import warn  # pylint: disable=g-import-not-at-top
  if not getattr(method, 'translates', False):
    raise UserError(f'--mode=translate needs a translation method (pix2pix, cyclegan); this '
                    f'config trains {method.config.method!r}: use --mode=sample')
  method.check_direction(direction)
  if not input_dir or not os.path.isdir(input_dir):
    raise UserError(f'--input={input_dir!r} is not a folder')
  if not output_dir:
    raise UserError('--output=DIR is required for --mode=translate')
  if os.path.abspath(output_dir) == os.path.abspath(input_dir):
    raise UserError(f'--output={output_dir!r} is the input folder; translations would '
                    'replace the inputs: choose another folder')
  names = sorted(f for f in os.listdir(input_dir)
                 if f.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(os.path.join(input_dir, f)))
  if not names:
    raise UserError(f'--input={input_dir!r} holds no images ({", ".join(IMAGE_EXTENSIONS)})')
  size, channels = method.info.image_shape[0], method.info.image_shape[-1]
  mode = 'L' if channels == 1 else 'RGB'
  arrays, kept = [], []
  for name in names:
    try:
      with Image.open(os.path.join(input_dir, name)) as im:
        im = im.convert(mode)
        kept.append((name, im.size))
        arrays.append(np.asarray(im.resize((size, size), Image.BICUBIC), np.float32))
    except Exception as e:  # pylint: disable=broad-except
      warn(f'skipping {name}: not a readable image ({type(e).__name__})')
  if not arrays:
    raise UserError(f'none of the {len(names)} image files in {input_dir!r} is readable')
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


def write_samples(method, state, mesh, num, output, seed, batch_size, label=None):
  """num PNG files sample_00000.png ... in output; returns their paths."""
  if num <= 0:
    raise UserError(f'--num_samples={num} must be > 0')
  if label is not None:
    nc = method.info.num_classes
    if not getattr(method, 'conditional', False):
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
  return paths


def fixed_grid_inputs(method, config):
  """The fixed noise of the sample grids, the same across a run and its resumption
  (translation methods: the first held-out examples)."""
  if getattr(method, 'translates', False):
    return method.grid_inputs(config, config.train.sample_grid)
  rng = jax.random.fold_in(jax.random.PRNGKey(config.seed), 0x6121D)
  n = config.train.sample_grid
  cols = int(np.ceil(np.sqrt(n)))  # one class per grid row, as images.make_grid lays them out
  labels = ((jnp.arange(n) // cols) % method.info.num_classes
            if getattr(method, 'conditional', False) else None)
  return method.sample_inputs(rng, n, labels)
