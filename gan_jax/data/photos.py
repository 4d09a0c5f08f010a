"""Crops of the colour photos that scikit-image ships (no download), for the
embedded demos: train crops come from each photo's left three quarters, test
crops from its right quarter, so the two splits never overlap."""

import functools

import numpy as np
from PIL import Image
from skimage import data as skdata

PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'immunohistochemistry',
          'hubble_deep_field', 'retina', 'stereo_motorcycle')
# Content for the style-transfer demo: the photos that are not its style images.
CONTENT_PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'retina', 'stereo_motorcycle')


def photo(name: str) -> np.ndarray:
  """One shipped colour photo, uint8 (H, W, 3)."""
  img = getattr(skdata, name)()
  img = img[0] if isinstance(img, tuple) else img
  return np.asarray(img)[..., :3]


def held_out_part(name: str) -> np.ndarray:
  """A photo's right quarter, which only test crops are cut from."""
  img = photo(name)
  return img[:, img.shape[1] * 3 // 4:]


@functools.lru_cache(maxsize=4)
def _photo_halves(part: str, names=PHOTOS):
  """Each photo's left three quarters ('train') or right quarter ('test'): crops for
  the two splits never overlap."""
  out = []
  for name in names:
    img = photo(name)
    out.append(img[:, :img.shape[1] * 3 // 4] if part == 'train' else held_out_part(name))
  return out


@functools.lru_cache(maxsize=8)
def random_photo_crops(n: int, size: int, part: str, seed: int, scale=(0.1, 0.3),
                       names=PHOTOS) -> np.ndarray:
  """n square colour crops (uint8 (n, size, size, 3)) of the shipped photos, each
  a random square of `scale` x the photo's shorter side, resized to size. Cached
  (4,000 crops take 1.4 s; a run builds its train and test sets more than once),
  so read-only."""
  photos = _photo_halves(part, tuple(names))
  rng = np.random.default_rng(seed)
  out = np.empty((n, size, size, 3), np.uint8)
  for i in range(n):
    img = photos[rng.integers(len(photos))]
    h, w = img.shape[:2]
    side = max(4, int(min(h, w) * rng.uniform(*scale)))
    side = min(side, h, w)
    top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    crop = img[top:top + side, left:left + side]
    out[i] = np.asarray(Image.fromarray(crop).resize((size, size), Image.BICUBIC))
  out.setflags(write=False)
  return out


