"""Running a trained method over many inputs in device-sized batches: N images
generated from noise, or N images translated; numpy in, numpy out."""

import sys
import time

import jax
import numpy as np

from gan_jax import parallel


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
  state = method.sampling_state(state)
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
