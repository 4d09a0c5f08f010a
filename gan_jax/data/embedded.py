"""Datasets built offline from data shipped inside installed packages.

`embedded:digits` is scikit-learn's 1,797 real handwritten digits (8x8, 17 grey
levels, 10 classes, from the UCI optical digits set). Splits: 'train' is the
first 1,500, 'test' the last 297 (held out, e.g. for the digits classifier's
real-data ceiling), 'all' every image.
"""

import functools

import numpy as np

from gan_jax.data import photos
from gan_jax.data.base import ArraySource, conform_batch
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


@EMBEDDED.register('photos')
def photo_crops(data_config) -> ArraySource:
  """Colour crops of scikit-image's photos (content images for style transfer):
  4,000 train crops from each photo's left three quarters, 400 test crops from
  its right quarter; the style-image candidates (immunohistochemistry,
  hubble_deep_field) are left out. Unlabelled."""
  if data_config.channels != 3:
    raise UserError(f'embedded:photos is colour: set data.channels=3 (got {data_config.channels})')
  n, seed = {'train': (4000, 41), 'test': (400, 42)}.get(data_config.split, (0, 0))
  if not n:
    raise UserError(f'data.split={data_config.split!r} for embedded:photos; allowed: train, test')
  images = photos.random_photo_crops(n, data_config.image_size, data_config.split, seed,
                                     scale=(0.15, 0.5), names=photos.CONTENT_PHOTOS)
  return ArraySource('embedded:photos', images, None, num_classes=0)


STACKED_SIZES = {'train': 128_000, 'test': 26_000}  # PacGAN's stacked-MNIST train / eval sizes


@EMBEDDED.register('stacked_digits')
def stacked_digits(data_config) -> ArraySource:
  """Stacked digits, the embedded stand-in for stacked MNIST (Metz et al. 2017;
  Srivastava et al. 2017; PacGAN's Table 2): each image is three digits drawn
  at random, one per colour channel, so 1,000 modes (label 100 a + 10 b + c for
  channels a, b, c). 'train': 128,000 images of the train-split digits (as
  PacGAN's 128,000), 'test': 26,000 of the held-out digits. Fixed by the split."""
  if data_config.channels != 3:
    raise UserError(f'embedded:stacked_digits has one digit per colour channel: set '
                    f'data.channels=3 (got {data_config.channels})')
  if data_config.split not in STACKED_SIZES:
    raise UserError(f'data.split={data_config.split!r} for embedded:stacked_digits; allowed: '
                    f'{sorted(STACKED_SIZES)}')
  images, labels = digits_arrays('train' if data_config.split == 'train' else 'test')
  single = conform_batch(list(images), data_config.image_size, 1)[..., 0]  # (n, S, S)
  rng = np.random.default_rng([7, STACKED_SIZES[data_config.split]])
  picks = rng.integers(0, len(single), (STACKED_SIZES[data_config.split], 3))
  stacked = np.stack([single[picks[:, k]] for k in range(3)], axis=-1)
  codes = (labels[picks] * np.array([100, 10, 1])).sum(axis=1).astype(np.int32)
  return ArraySource('embedded:stacked_digits', stacked, codes, num_classes=1000)


def embedded_source(name, data_config):
  return EMBEDDED.get(name)(data_config)


# 2-D Gaussian mixtures for mode-collapse studies: 8 modes on a circle of
# radius 2 with std 0.02 (Metz et al. 2017, Unrolled GAN), and a 5 x 5 grid on
# {-4, -2, 0, 2, 4}^2 with std 0.05 (Srivastava et al. 2017, VEEGAN; Lin et al.
# 2018, PacGAN). Samples are (1, 1, 2) float32 "images" (data.image_size=1,
# data.channels=2), labelled with their mode.
def _ring8():
  angles = 2 * np.pi * np.arange(8) / 8
  return np.stack([2 * np.cos(angles), 2 * np.sin(angles)], axis=1), 0.02


def _grid25():
  g = np.arange(-4, 5, 2, dtype=np.float64)
  return np.stack(np.meshgrid(g, g, indexing='ij'), axis=-1).reshape(-1, 2), 0.05


def _pacgan_ring():
  """PacGAN's ring (fjxmlzn/PacGAN 2DRing config.py): radius 1, std 0.01."""
  angles = 2 * np.pi * np.arange(8) / 8
  return np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.01


# pacgan_grid is grid25 (PacGAN's 2DGrid config.py: {-4, ..., 4}^2 step 2, std 0.05).
TOY_MIXTURES = {'ring8': _ring8, 'grid25': _grid25, 'pacgan_ring': _pacgan_ring,
                'pacgan_grid': _grid25}
TOY_SIZE = 100_000


def toy_mixture(name: str):
  """(centers (M, 2), std) of a toy mixture."""
  return TOY_MIXTURES[name]()


def _toy_source(name, data_config):
  if (data_config.image_size, data_config.channels) != (1, 2):
    raise UserError(f'embedded:{name} is 2-D point data: set data.image_size=1 and '
                    f'data.channels=2 (got {data_config.image_size} and {data_config.channels})')
  seeds = {'train': 0, 'test': 1}
  if data_config.split not in seeds:
    raise UserError(f'data.split={data_config.split!r} for embedded:{name}; allowed: train, test')
  centers, std = toy_mixture(name)
  rng = np.random.default_rng([seeds[data_config.split], len(centers)])
  labels = rng.integers(0, len(centers), TOY_SIZE)
  points = centers[labels] + rng.normal(0, std, (TOY_SIZE, 2))
  return ArraySource(f'embedded:{name}', points.astype(np.float32).reshape(-1, 1, 1, 2),
                     labels, num_classes=len(centers))


for _name in TOY_MIXTURES:
  EMBEDDED.register(_name)(lambda data_config, _n=_name: _toy_source(_n, data_config))
