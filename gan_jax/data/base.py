"""The source interface, the source registry and image conforming."""

from typing import Dict, Optional, Sequence

import numpy as np
from PIL import Image

from gan_jax.errors import UserError
from gan_jax.registry import Registry

# prefix ('tfds', 'folder', 'embedded') -> factory(rest_of_name, data_config) -> ImageSource
SOURCES = Registry('data source kind')


class ImageSource:
  """Random access to images (uint8, N x H x W x C) and labels (int32)."""

  name: str = ''
  num_classes: int = 0  # 0 means unlabelled

  def __len__(self) -> int:
    raise NotImplementedError

  def get(self, indices: Sequence[int]) -> Dict[str, np.ndarray]:
    raise NotImplementedError


class ArraySource(ImageSource):
  """A source held in memory (embedded data, small datasets)."""

  def __init__(self, name, images: np.ndarray, labels: Optional[np.ndarray], num_classes: int):
    self.name = name
    self.images = images
    self.labels = (np.zeros(len(images), np.int32) if labels is None
                   else labels.astype(np.int32))
    self.num_classes = num_classes

  def __len__(self):
    return len(self.images)

  def get(self, indices):
    indices = np.asarray(indices)
    return {'image': self.images[indices], 'label': self.labels[indices]}


def split_kind(source: str):
  if ':' not in source:
    raise UserError(f'data.source={source!r} has no kind prefix; allowed: '
                    f'{", ".join(k + ":<name>" for k in SOURCES.names())}')
  kind, rest = source.split(':', 1)
  return kind, rest


def check_source_name(source: str) -> None:
  kind, rest = split_kind(source)
  SOURCES.get(kind)
  if not rest:
    raise UserError(f'data.source={source!r} names no dataset after {kind!r}:')
  if kind == 'embedded':
    from gan_jax.data.embedded import EMBEDDED  # pylint: disable=g-import-not-at-top
    EMBEDDED.get(rest)


def build_source(data_config) -> ImageSource:
  """Builds the source named by data_config.source, truncated to max_examples."""
  kind, rest = split_kind(data_config.source)
  source = SOURCES.get(kind)(rest, data_config)
  if len(source) == 0:
    raise UserError(f'data.source={data_config.source!r} split {data_config.split!r} is empty')
  if data_config.max_examples and data_config.max_examples < len(source):
    source = Truncated(source, data_config.max_examples)
  return source


class Truncated(ImageSource):
  def __init__(self, inner: ImageSource, n: int):
    self.inner, self.n = inner, n
    self.name, self.num_classes = inner.name, inner.num_classes

  def __len__(self):
    return self.n

  def get(self, indices):
    return self.inner.get(indices)


def conform_image(img: np.ndarray, size: int, channels: int) -> np.ndarray:
  """One uint8 image (H, W[, C]) -> (size, size, channels) uint8.

  Grey <-> RGB by PIL's conversion (ITU-R 601-2 luma); non-square images are
  centre-cropped to a square first; resizing uses PIL bicubic with antialias.
  """
  img = np.asarray(img)
  if channels not in (1, 3):
    raise UserError(f'data.channels={channels} for images; allowed: 1 (grey), 3 (RGB)')
  if img.dtype != np.uint8:
    raise UserError(f'expected uint8 images, got {img.dtype}')
  if img.ndim == 3 and img.shape[-1] == 1:
    img = img[..., 0]
  pil = Image.fromarray(img)
  pil = pil.convert('L' if channels == 1 else 'RGB')
  w, h = pil.size
  if w != h:
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    pil = pil.crop((left, top, left + s, top + s))
  if pil.size != (size, size):
    pil = pil.resize((size, size), Image.BICUBIC)
  out = np.asarray(pil, dtype=np.uint8)
  return out[..., None] if channels == 1 else out


def conform_batch(images, size: int, channels: int) -> np.ndarray:
  """Conforms a batch, skipping the work when it already fits."""
  images = np.asarray(images) if not isinstance(images, list) else images
  if (isinstance(images, np.ndarray) and images.ndim == 4 and images.dtype == np.uint8
      and images.shape[1:] == (size, size, channels)):
    return images
  return np.stack([conform_image(im, size, channels) for im in images])
