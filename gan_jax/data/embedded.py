"""Datasets built offline from data shipped inside installed packages.

`embedded:digits` is scikit-learn's 1,797 real handwritten digits (8x8, 17 grey
levels, 10 classes, from the UCI optical digits set). Splits: 'train' is the
first 1,500, 'test' the last 297 (held out, e.g. for the digits classifier's
real-data ceiling), 'all' every image.
"""

import functools

import numpy as np

from gan_jax.data.base import SOURCES, ArraySource, conform_batch
from gan_jax.errors import UserError
from gan_jax.registry import Registry

EMBEDDED = Registry('embedded dataset')

DIGITS_TRAIN_SIZE = 1500


def _split(n_train: int, n_total: int, split: str) -> slice:
  splits = {'train': slice(0, n_train), 'test': slice(n_train, n_total),
            'all': slice(0, n_total)}
  if split not in splits:
    raise UserError(f'data.split={split!r} for this embedded dataset; allowed: {sorted(splits)}')
  return splits[split]


@functools.lru_cache(maxsize=4)
def digits_arrays(split: str = 'all'):
  """The raw 8x8 digits as uint8 (N, 8, 8) in 0..255 and labels (N,)."""
  from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top
  d = load_digits()
  images = np.round(d.images * (255.0 / 16.0)).astype(np.uint8)
  sel = _split(DIGITS_TRAIN_SIZE, len(images), split)
  return images[sel], d.target[sel].astype(np.int32)


@EMBEDDED.register('digits')
def digits(data_config) -> ArraySource:
  images, labels = digits_arrays(data_config.split)
  images = conform_batch(list(images), data_config.image_size, data_config.channels)
  return ArraySource('embedded:digits', images, labels, num_classes=10)


@SOURCES.register('embedded')
def embedded_source(name, data_config):
  return EMBEDDED.get(name)(data_config)
