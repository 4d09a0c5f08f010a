"""The source interface, the data description methods and models are built
from, and image conforming (size, channels) shared by every source."""

from typing import Dict, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from gan_jax.errors import UserError


class DataInfo(NamedTuple):
  """What methods and models are built from: the shape of one image, the number
  of classes (0: unlabelled) and of examples per epoch (0: unknown, e.g. in
  --mode=sample)."""
  image_shape: Tuple[int, int, int]
  num_classes: int
  num_examples: int = 0


class ImageSource:
  """Random access to images (uint8, N x H x W x C) and labels (int32)."""

  name: str = ''
  num_classes: int = 0  # 0 means unlabelled

  def __len__(self) -> int:
    raise NotImplementedError

  # The random crop and flip of a row's images ('image', 'image_b') are the same
  # (aligned pairs, pix2pix) or drawn per side (unaligned domains, CycleGAN).
  sides_share_crop: bool = True

  def get(self, indices: Sequence[int]) -> Dict[str, np.ndarray]:
    raise NotImplementedError

  def draw(self, indices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The examples a batch reads at the stream's indices. A source that pairs
    part of an example at random (unaligned domains) draws it here, from the
    pipeline's (seed, step) generator; the result goes to get()."""
    del rng
    return indices


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


class Truncated(ImageSource):
  def __init__(self, inner: ImageSource, n: int):
    self.inner, self.n = inner, n
    self.name, self.num_classes = inner.name, inner.num_classes
    self.sides_share_crop = inner.sides_share_crop

  def draw(self, indices, rng):
    return self.inner.draw(indices, rng)

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


def native_window(img: np.ndarray, size: int, channels: int, corner=None) -> np.ndarray:
  """One uint8 image -> a (size, size, channels) window of it at its own
  resolution (no resize): the window at fraction corner = (fy, fx) of the free
  range, the centre when None. An image whose shorter side is below size is first
  enlarged to it (PIL bicubic), the least change that lets the window fit."""
  img = np.asarray(img)
  if img.ndim == 3 and img.shape[-1] == 1:
    img = img[..., 0]
  pil = Image.fromarray(img).convert('L' if channels == 1 else 'RGB')
  w, h = pil.size
  if min(w, h) < size:
    f = size / min(w, h)
    pil = pil.resize((max(size, round(w * f)), max(size, round(h * f))), Image.BICUBIC)
    w, h = pil.size
  fy, fx = (0.5, 0.5) if corner is None else corner
  top, left = min(int(fy * (h - size + 1)), h - size), min(int(fx * (w - size + 1)), w - size)
  out = np.asarray(pil.crop((left, top, left + size, top + size)), dtype=np.uint8)
  return out[..., None] if channels == 1 else out


def conform_batch(images, size: int, channels: int) -> np.ndarray:
  """Conforms a batch, skipping the work when it already fits."""
  images = np.asarray(images) if not isinstance(images, list) else images
  if (isinstance(images, np.ndarray) and images.ndim == 4 and images.dtype == np.uint8
      and images.shape[1:] == (size, size, channels)):
    return images
  return np.stack([conform_image(im, size, channels) for im in images])
