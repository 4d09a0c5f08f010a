"""Two-domain data for image-to-image translation.

Unpaired (CycleGAN), domains A and B of `data.source`:
  tfds:cycle_gan/<name>   the tfds splits trainA/trainB (testA/testB for data.split=test)
  folder:<path>           the official layout <path>/trainA, trainB, testA, testB
  embedded:digits2digits_m  scikit-learn's digits <-> the same kind of digits blended
                          over colour crops of scikit-image's photos (as MNIST-M)
Paired (pix2pix):
  folder:<path>           <path>/train/*.jpg with A and B side by side in each image
                          (the official aligned layout; data.direction picks A->B or
                          B->A), or <path>/trainA + <path>/trainB matched by file name
  embedded:photos_denoise   noisy -> clean crops of scikit-image's photos
  embedded:photos_colorize  greyscale -> colour crops of scikit-image's photos

Either way a batch holds 'image' (domain A) and 'image_b' (domain B), uint8 at
data.load_size; the pipeline crops them to data.image_size.
"""

import functools
import os

import numpy as np
from PIL import Image

from gan_jax.data import folder as folder_lib
from gan_jax.data import sources
from gan_jax.data.base import ArraySource, ImageSource, conform_batch, conform_image
from gan_jax.data.embedded import digits_arrays
from gan_jax.data.photos import random_photo_crops
from gan_jax.data.pipeline import to_float
from gan_jax.data.tfds_source import TfdsSource
from gan_jax.errors import UserError
from gan_jax.registry import Registry

UNPAIRED = Registry('embedded unpaired dataset')
PAIRED = Registry('embedded paired dataset')
SPLITS = ('train', 'test')

# scikit-image's colour photographs (shipped with the package, no download).


def _no_native_crops(data_config):
  if data_config.get('native_crops', False):
    raise UserError('data.native_crops=True is for single-image folder: sources (super-'
                    'resolution, inpainting, restoration); translation pairs are resized '
                    '(data.load_size, then a random crop)')


def _check_split(split):
  if split not in SPLITS:
    raise UserError(f'data.split={split!r} for a translation dataset; allowed: {SPLITS}')


def load_size(data_config) -> int:
  return data_config.load_size or data_config.image_size


class UnpairedSource(ImageSource):
  """Domains A and B side by side, as the official unaligned_dataset.py: one
  epoch is max(|A|, |B|) examples; example i is A[i mod |A|] with a B drawn
  uniformly at random (from the pipeline's (seed, step) generator), and the two
  get independent crops and flips. get() also takes (a, b) index pairs."""
  sides_share_crop = False

  def __init__(self, a: ImageSource, b: ImageSource):
    self.a, self.b = a, b
    self.name = f'{a.name} <-> {b.name}'
    self.num_classes = 0

  def __len__(self):
    return max(len(self.a), len(self.b))

  def draw(self, indices, rng):
    idx = np.asarray(indices)
    return np.stack([idx % len(self.a), rng.integers(0, len(self.b), len(idx))], axis=1)

  def get(self, indices):
    idx = np.asarray(indices)
    a_idx, b_idx = (idx[:, 0], idx[:, 1]) if idx.ndim == 2 else (idx, idx)
    a, b = self.a.get(a_idx % len(self.a)), self.b.get(b_idx % len(self.b))
    return {'image': a['image'], 'image_b': b['image'], 'label': a['label'],
            'label_b': b['label']}


class PairedSource(ImageSource):
  """Aligned pairs (A[i], B[i])."""

  def __init__(self, name, a: np.ndarray, b: np.ndarray, labels=None):
    if a.shape != b.shape:
      raise UserError(f'{name}: A and B images differ in shape ({a.shape} vs {b.shape})')
    self.name, self.num_classes = name, 0
    self.images_a, self.images_b = a, b
    self.labels = np.zeros(len(a), np.int32) if labels is None else labels

  def __len__(self):
    return len(self.images_a)

  def get(self, indices):
    idx = np.asarray(indices)
    return {'image': self.images_a[idx], 'image_b': self.images_b[idx],
            'label': self.labels[idx], 'label_b': self.labels[idx]}


# -- unpaired ------------------------------------------------------------------------

def unpaired_source(data_config) -> UnpairedSource:
  _no_native_crops(data_config)
  split = data_config.split
  _check_split(split)
  kind, rest = sources.split_kind(data_config.source)
  size, ch = load_size(data_config), data_config.channels
  if kind == 'embedded':
    return UNPAIRED.get(rest)(split, size, ch)
  if kind == 'folder':
    sides = [folder_lib.FolderSource(os.path.join(os.path.expanduser(rest), split + d), size, ch)
             for d in 'AB']
    return UnpairedSource(*sides)
  if kind == 'tfds':
    sides = []
    for d in 'AB':
      cfg = data_config.copy_and_resolve_references()
      with cfg.unlocked():
        cfg.split, cfg.image_size = split + d, size
      sides.append(TfdsSource(rest, cfg))
    return UnpairedSource(*sides)
  raise UserError(f'data.source={data_config.source!r}: unpaired translation reads tfds:, '
                  'folder: or embedded: sources')


@functools.lru_cache(maxsize=8)
def digits_m_arrays(split: str, size: int):
  """digits_m: each digit (resized to size) blended over a colour photo crop as
  MNIST-M does (Ganin et al. 2016): |crop - digit| per channel, so strokes take
  the crop's inverted colours. Split 'train' uses the train digits over crops of
  the photos' left three quarters, 'test' the held-out digits over the right
  quarter. Returns (uint8 (N, size, size, 3), labels)."""
  digits, labels = digits_arrays(split)
  d = conform_batch(list(digits), size, 1).astype(np.int16)
  crops = random_photo_crops(len(d), size, split, seed={'train': 11, 'test': 12}[split]).astype(
      np.int16)
  return np.abs(crops - d).astype(np.uint8), labels


@UNPAIRED.register('digits2digits_m')
def digits2digits_m(split, size, channels):
  if channels != 3:
    raise UserError(f'embedded:digits2digits_m is colour on the B side: set data.channels=3 '
                    f'(got {channels})')
  digits, labels = digits_arrays(split)
  a = ArraySource('embedded:digits', conform_batch(list(digits), size, 3), labels, 10)
  b_images, b_labels = digits_m_arrays(split, size)
  return UnpairedSource(a, ArraySource('embedded:digits_m', b_images, b_labels, 10))


# -- paired --------------------------------------------------------------------------

def paired_source(data_config) -> PairedSource:
  _no_native_crops(data_config)
  split = data_config.split
  _check_split(split)
  kind, rest = sources.split_kind(data_config.source)
  size, ch = load_size(data_config), data_config.channels
  if kind == 'embedded':
    return PAIRED.get(rest)(split, size, ch)
  if kind == 'folder':
    return _paired_folder(os.path.expanduser(rest), split, size, ch, data_config.direction)
  raise UserError(f'data.source={data_config.source!r}: paired translation reads folder: or '
                  'embedded: sources')


def _read(path, size, channels):
  with Image.open(path) as im:
    return conform_image(np.asarray(im.convert('RGB')), size, channels)


def _paired_folder(root, split, size, channels, direction):
  if direction not in ('a2b', 'b2a'):
    raise UserError(f"config.data.direction={direction!r}; allowed: 'a2b', 'b2a'")
  aligned = os.path.join(root, split)
  two = [os.path.join(root, split + d) for d in 'AB']
  if os.path.isdir(aligned):
    paths, _, _ = folder_lib.list_images(aligned)
    a, b = [], []
    for p in paths:
      with Image.open(p) as im:
        rgb = np.asarray(im.convert('RGB'))
      w = rgb.shape[1] // 2
      if w == 0:
        raise UserError(f'{p}: an aligned image holds A|B side by side; it is {rgb.shape[1]} wide')
      a.append(conform_image(rgb[:, :w], size, channels))
      b.append(conform_image(rgb[:, w:2 * w], size, channels))
  elif all(os.path.isdir(t) for t in two):
    names = [sorted(os.path.basename(p) for p in folder_lib.list_images(t)[0]) for t in two]
    common = sorted(set(names[0]) & set(names[1]))
    if not common:
      raise UserError(f'{two[0]} and {two[1]} share no file names; pairs are matched by name')
    a = [_read(os.path.join(two[0], n), size, channels) for n in common]
    b = [_read(os.path.join(two[1], n), size, channels) for n in common]
  else:
    raise UserError(f'paired data in {root!r}: expected {aligned}/ (A|B side by side) or '
                    f'{two[0]}/ and {two[1]}/ (matched by file name)')
  if not a:
    raise UserError(f'no images in {aligned if os.path.isdir(aligned) else two[0]}')
  a, b = np.stack(a), np.stack(b)
  if direction == 'b2a':
    a, b = b, a
  return PairedSource(f'folder:{root}', a, b)


@PAIRED.register('photos_colorize')
def photos_colorize(split, size, channels):
  """Greyscale -> colour on crops of the shipped photos (A: grey, as 3 channels)."""
  if channels != 3:
    raise UserError(f'embedded:photos_colorize is colour: set data.channels=3 (got {channels})')
  n = {'train': 4000, 'test': 400}[split]
  colour = random_photo_crops(n, size, split, seed={'train': 21, 'test': 22}[split],
                              scale=(0.15, 0.5))
  grey = np.asarray([np.asarray(Image.fromarray(c).convert('L').convert('RGB')) for c in colour])
  return PairedSource('embedded:photos_colorize', grey, colour)


@PAIRED.register('photos_denoise')
def photos_denoise(split, size, channels):
  """Noisy -> clean crops of the shipped photos (restoration): A is B plus Gaussian
  noise of std 25.5 grey levels (0.1 of the range), clipped and rounded to uint8."""
  if channels != 3:
    raise UserError(f'embedded:photos_denoise is colour: set data.channels=3 (got {channels})')
  n = {'train': 4000, 'test': 400}[split]
  seed = {'train': 31, 'test': 32}[split]
  clean = random_photo_crops(n, size, split, seed=seed, scale=(0.15, 0.5))
  noise = np.random.default_rng([seed, 1]).normal(0.0, 25.5, clean.shape)
  noisy = np.clip(np.round(clean + noise), 0, 255).astype(np.uint8)
  return PairedSource('embedded:photos_denoise', noisy, clean)


def check_translation_source(source: str, paired: bool) -> None:
  kind, rest = sources.split_kind(source)
  sources.SOURCES.get(kind)
  if kind == 'embedded':
    (PAIRED if paired else UNPAIRED).get(rest)


def held_out(data_config, paired: bool, n=None):
  """The test split at the training resolution (no crop), as floats in [-1, 1]:
  {'a', 'b', 'label', 'label_b'}; the first n examples when n is given. What the
  translation metrics and sample grids evaluate on."""
  cfg = data_config.copy_and_resolve_references()
  with cfg.unlocked():
    cfg.split, cfg.load_size, cfg.max_examples = 'test', 0, 0
  source = (paired_source if paired else unpaired_source)(cfg)
  idx = np.arange(len(source) if n is None else min(n, len(source)))
  b = source.get(idx)
  return {'a': to_float(b['image']), 'b': to_float(b['image_b']), 'label': b['label'],
          'label_b': b['label_b']}
