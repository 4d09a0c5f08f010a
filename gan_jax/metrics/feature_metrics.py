"""FID, IS, KID and precision/recall on FID-Inception features, with the protocol
in every name and the reference statistics of a dataset cached.

Each metric is computed on the input path of the code its formula equals: FID
and precision/recall on config.eval.resize's (pytorch-fid's by default), IS
and KID on torch-fidelity's (IS_KID_INPUT). One evaluation runs the Inception
network once per path over the samples (data-parallel, in batches) and shares
the features between the metrics on it; the real features come from a cache
file keyed by dataset + split + resolution + channels + count + input path +
weights, computed on first use.

Names say the protocol: fid10k_train is FID of 10,000 samples against the
train split; is10k needs no real data; kid10k_train and precision10k_train
likewise. The full protocol (weights fingerprint, resize, KID subsets) is
printed by --mode=eval and returned by `protocol()`.
"""

import functools
import os
import re
import sys
import time
from typing import Dict, Optional

import jax
import numpy as np

from gan_jax import parallel
from gan_jax.data import sources
from gan_jax.data.base import conform_batch
from gan_jax.errors import UserError, warn
from gan_jax.metrics import inception as inception_lib
from gan_jax.metrics import stats

BASE_NAMES = ('fid', 'is', 'kid', 'precision', 'recall')
_EXTRACTORS: Dict = {}  # (weights path, mtime, resize, mesh devices) -> InceptionExtractor
IS_KID_INPUT = 'torch_fidelity'  # IS and KID as torch-fidelity computes them, end to end


@functools.lru_cache(maxsize=2)
def _load_variables(weights_path: str, mtime):
  """The weights, read once for both input paths (FID's and IS/KID's); mtime keys a
  file replaced in place."""
  del mtime
  return inception_lib.load_variables(weights_path)


def count_label(n: int) -> str:
  return f'{n // 1000}k' if n >= 1000 and n % 1000 == 0 else str(n)


def split_label(split: str) -> str:
  return re.sub(r'[^0-9A-Za-z]+', '_', split).strip('_') or 'all'


def protocol_key(base: str, num_samples: int, split: str) -> str:
  """'fid', 10000, 'train' -> 'fid10k_train' (IS has no reference: 'is10k')."""
  key = f'{base}{count_label(num_samples)}'
  return key if base == 'is' else f'{key}_{split_label(split)}'


def reference_split(config) -> str:
  return config.eval.reference_split or config.data.split


def resolve_main_metric(eval_cfg: dict, data_cfg: dict) -> str:
  """config.eval.main_metric may be a base name ('fid'); expand it as the results name it."""
  name = eval_cfg.get('main_metric', '')
  if name in BASE_NAMES:
    split = eval_cfg.get('reference_split') or data_cfg.get('split', '')
    return protocol_key(name, int(eval_cfg.get('num_samples', 0)), split)
  return name


class InceptionExtractor:
  """pool3 features and unbiased logits (pool3 @ fc kernel, as torch-fidelity's IS
  uses them) of 0..255 images, jitted and split over the mesh's devices."""

  def __init__(self, weights_path: str, resize: str, mesh):
    if resize not in inception_lib.RESIZE_MODES:
      raise UserError(f'config.eval.resize={resize!r}; allowed: {inception_lib.RESIZE_MODES}')
    is_file = bool(weights_path) and os.path.isfile(weights_path)
    variables = _load_variables(weights_path, os.path.getmtime(weights_path) if is_file else None)
    self.fingerprint = inception_lib.variables_fingerprint(variables)
    self.resize, self.mesh = resize, mesh
    self.variables = parallel.replicate(variables, mesh)

    def features(v, x):
      pool3, _ = inception_lib.FIDInception().apply(v, inception_lib.network_input(x, resize))
      return pool3, pool3 @ v['params']['fc']['kernel']

    self._fn = jax.jit(features, in_shardings=(parallel.replicated(mesh),
                                               parallel.batch_sharded(mesh)),
                       out_shardings=parallel.batch_sharded(mesh))

  def __call__(self, values_0_255: np.ndarray, batch_size: int, label: Optional[str] = None):
    """(pool3 (N, 2048), logits (N, 1008)) float64 of images holding 0..255 values."""
    n, done = len(values_0_255), 0
    pools, logits, start = [], [], time.time()
    for x, real in parallel.padded_batches(values_0_255, batch_size, self.mesh):
      if self.resize == 'pil_bicubic':
        x = inception_lib.resize_pil_bicubic(x)
      p, z = self._fn(self.variables, parallel.shard_batch(x, self.mesh))
      pools.append(np.asarray(parallel.to_host(p), np.float64)[:real])
      logits.append(np.asarray(parallel.to_host(z), np.float64)[:real])
      done += real
      if label and parallel.is_main_process():
        print(f'\rInception features of {label}: {done}/{n} '
              f'({done / max(time.time() - start, 1e-9):.1f} img/s)', end='', file=sys.stderr,
              flush=True)
    if label and parallel.is_main_process():
      print(file=sys.stderr)
    return np.concatenate(pools), np.concatenate(logits)


def extractor_for(config, mesh, resize: Optional[str] = None) -> InceptionExtractor:
  """One extractor (weights loaded, function compiled) per weights file, input path
  (default config.eval.resize) and mesh."""
  resize = resize or config.eval.resize
  path = config.eval.inception_weights or os.environ.get('GAN_JAX_INCEPTION_WEIGHTS', '')
  mtime = os.path.getmtime(path) if path and os.path.isfile(path) else None
  key = (os.path.abspath(path) if path else '', mtime, resize,
         tuple(d.id for d in mesh.devices.flat))
  if key not in _EXTRACTORS:
    _EXTRACTORS[key] = InceptionExtractor(path, resize, mesh)
  return _EXTRACTORS[key]


def cache_dir(config) -> str:
  return (config.eval.cache_dir or os.path.join(
      os.environ.get('GAN_JAX_CACHE', os.path.expanduser('~/.cache/gan_jax')), 'reference_stats'))


def _real_images(config):
  """The reference split at the training resolution: uint8 (N, S, S, C)."""
  data_cfg = config.data.copy_and_resolve_references()
  with data_cfg.unlocked():
    data_cfg.split = reference_split(config)
    data_cfg.max_examples = config.eval.reference_samples
  source = sources.build_source(data_cfg)
  out = []
  for first in range(0, len(source), 500):
    idx = np.arange(first, min(first + 500, len(source)))
    out.append(conform_batch(list(source.get(idx)['image']), config.data.image_size,
                             config.data.channels))
  return np.concatenate(out)


def reference_features(config, extractor: InceptionExtractor, progress: bool = False):
  """{'mu', 'sigma', 'pool3', 'count'} of the reference split, from the cache or computed
  (then cached; only process 0 writes). An unreadable cache file is recomputed."""
  name = '_'.join([split_label(config.data.source), split_label(reference_split(config)),
                   f'{config.data.image_size}px{config.data.channels}c',
                   f'max{config.eval.reference_samples}', extractor.resize,
                   extractor.fingerprint]) + '.npz'
  path = os.path.join(cache_dir(config), name)
  if os.path.exists(path):
    try:
      with np.load(path) as z:
        return {k: z[k] for k in ('mu', 'sigma', 'pool3', 'count')}
    except Exception as e:  # pylint: disable=broad-except
      warn(f'reference statistics {path} are unreadable ({type(e).__name__}); recomputing')
  real = _real_images(config)
  pool3, _ = extractor(real.astype(np.float32), config.eval.batch_size,
                       label='reference images' if progress else None)
  mu, sigma = stats.mean_cov(pool3)
  ref = {'mu': mu, 'sigma': sigma, 'pool3': pool3.astype(np.float32), 'count': np.array(len(real))}
  if parallel.is_main_process():
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + f'.{os.getpid()}.tmp.npz'
    np.savez(tmp, **ref)
    os.replace(tmp, path)
  return ref


class FeatureEvaluation:
  """The feature metrics of one set of samples (in [-1, 1]); computed lazily, shared."""

  def __init__(self, config, mesh, progress: bool = False):
    self.config, self.mesh, self.progress = config, mesh, progress
    self._fake, self._ref = {}, {}  # input path -> features
    self.extractor = extractor_for(config, mesh)

  def fake(self, images, path: Optional[str] = None):
    """(pool3, unbiased logits) of the samples on input path `path` (default eval.resize)."""
    path = path or self.config.eval.resize
    if path not in self._fake:
      q = inception_lib.quantize_host(images)
      label = f'samples ({path} input)' if self.progress else None
      self._fake[path] = extractor_for(self.config, self.mesh, path)(
          q, self.config.eval.batch_size, label=label)
    return self._fake[path]

  def reference(self, path: Optional[str] = None):
    path = path or self.config.eval.resize
    if path not in self._ref:
      self._ref[path] = reference_features(self.config, extractor_for(self.config, self.mesh, path),
                                           self.progress)
    return self._ref[path]

  def key(self, base: str, images) -> str:
    return protocol_key(base, len(images), reference_split(self.config))

  def protocol(self, num_samples: int) -> dict:
    ev = self.config.eval
    ref = next(iter(self._ref.values()), None)
    return {
        'network': 'FID Inception (TF 2015-12-05 weights as ported by pytorch-fid), pool3 2048-d',
        'weights_sha256_12': self.extractor.fingerprint,
        'input': f'uint8-quantized as StyleGAN2-ADA, resized {self.config.data.image_size}->299: '
                 f'FID and precision/recall by {ev.resize}, IS and KID by {IS_KID_INPUT}',
        'samples': int(num_samples),
        'reference': (f'{self.config.data.source} split {reference_split(self.config)!r}, '
                      f'{int(ref["count"])} images' if ref is not None else None),
        'kid': f'{ev.kid_subsets} subsets of {ev.kid_subset_size}, cubic kernel (torch-fidelity)',
        'is': '10 splits, shuffled with seed 2020, unbiased logits (torch-fidelity)',
        'precision_recall': 'k=3 on Inception pool3 features (not VGG16 as StyleGAN2-ADA)',
    }
