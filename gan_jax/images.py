"""Image grids, PNG files, reading one RGB image (a file or a shipped photo) and a
folder of images."""

import os

import numpy as np
from PIL import Image

from gan_jax.data import photos
from gan_jax.data.folder import IMAGE_EXTENSIONS
from gan_jax.errors import UserError, warn


def to_uint8(images) -> np.ndarray:
  """[-1, 1] floats -> uint8, rounding as the inverse of data.pipeline.to_float."""
  x = (np.asarray(images, np.float32) + 1.0) * 127.5
  return np.clip(np.round(x), 0, 255).astype(np.uint8)


def make_grid(images, pad: int = 1, cols: int = 0) -> np.ndarray:
  """(N, H, W, C) in [-1, 1] -> one uint8 (rows*H, cols*W, C) image, row by row;
  cols = 0: as square as N allows."""
  x = to_uint8(images)
  n, h, w, c = x.shape
  cols = cols or int(np.ceil(np.sqrt(n)))
  rows = int(np.ceil(n / cols))
  grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.uint8)
  for i in range(n):
    r, k = divmod(i, cols)
    grid[pad + r * (h + pad): pad + r * (h + pad) + h,
         pad + k * (w + pad): pad + k * (w + pad) + w] = x[i]
  return grid


def save_png(path: str, image_uint8: np.ndarray) -> None:
  img = image_uint8[..., 0] if image_uint8.shape[-1] == 1 else image_uint8
  Image.fromarray(img).save(path)


def read_rgb(spec: str, shorter_side: int, what: str) -> np.ndarray:
  """An RGB image (a file, or skimage:<name> for scikit-image's photos) as uint8
  (H, W, 3), resized (bicubic) so its shorter side is `shorter_side`; a missing or
  unreadable file is a one-line error naming `what`."""
  if spec.startswith('skimage:'):
    try:
      img = photos.photo(spec.split(':', 1)[1])
    except AttributeError:
      raise UserError(f'{what}={spec!r}: scikit-image has no such image; e.g. '
                      'skimage:hubble_deep_field, skimage:immunohistochemistry') from None
  else:
    if not os.path.isfile(spec):
      raise UserError(f'{what}={spec!r}: no such file')
    try:
      with Image.open(spec) as im:
        img = np.asarray(im.convert('RGB'))
    except Exception as e:  # pylint: disable=broad-except
      raise UserError(f'{what}={spec!r} is not a readable image ({type(e).__name__})') from None
  h, w = img.shape[:2]
  scale = shorter_side / min(h, w)
  size = (max(shorter_side, round(w * scale)), max(shorter_side, round(h * scale)))
  return np.asarray(Image.fromarray(img).resize(size, Image.BICUBIC))


def image_files(folder: str, what: str):
  """The image files of `folder`, sorted by name; an error naming `what` when it is
  not a folder or holds none."""
  if not folder or not os.path.isdir(folder):
    raise UserError(f'{what}={folder!r} is not a folder')
  names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS)
                 and os.path.isfile(os.path.join(folder, f)))
  if not names:
    raise UserError(f'{what}={folder!r} holds no images ({", ".join(IMAGE_EXTENSIONS)})')
  return names


def read_images(folder: str, names, mode: str):
  """(kept names, arrays (H, W[, C]) float32 0..255) of the readable files, converted to
  PIL `mode`; unreadable ones are skipped with a warning."""
  arrays, kept = [], []
  for name in names:
    try:
      with Image.open(os.path.join(folder, name)) as im:
        arrays.append(np.asarray(im.convert(mode), np.float32))
        kept.append(name)
    except Exception as e:  # pylint: disable=broad-except
      warn(f'skipping {name}: not a readable image ({type(e).__name__})')
  if not arrays:
    raise UserError(f'none of the {len(names)} image files in {folder!r} is readable')
  return kept, arrays
