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
  ctx = EvalContext(config, mesh, progress)
  ctx.check_ready()
  rng = jax.random.fold_in(jax.random.PRNGKey(config.seed), 0xE7A1)
  samples = generate_images(method, state, mesh, config.eval.num_samples, config.eval.batch_size,
                            rng, generate_fn=generate_fn, progress=progress)
  results = {'eval_num_samples': int(config.eval.num_samples)}
  for name in config.eval.metrics:
    results.update(METRICS.get(name)(samples, ctx))
  return results, ctx.protocol(len(samples))


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
  """The fixed noise of the sample grids, the same across a run and its resumption."""
  rng = jax.random.fold_in(jax.random.PRNGKey(config.seed), 0x6121D)
  n = config.train.sample_grid
  cols = int(np.ceil(np.sqrt(n)))  # one class per grid row, as images.make_grid lays them out
  labels = ((jnp.arange(n) // cols) % method.info.num_classes
            if getattr(method, 'conditional', False) else None)
  return method.sample_inputs(rng, n, labels)
