"""Image grids and PNG files."""

import numpy as np
from PIL import Image


def to_uint8(images) -> np.ndarray:
  """[-1, 1] floats -> uint8, rounding as the inverse of data.pipeline.to_float."""
  x = (np.asarray(images, np.float32) + 1.0) * 127.5
  return np.clip(np.round(x), 0, 255).astype(np.uint8)


def make_grid(images, pad: int = 1) -> np.ndarray:
  """(N, H, W, C) in [-1, 1] with N square -> one uint8 (rows*H, cols*W, C) image."""
  x = to_uint8(images)
  n, h, w, c = x.shape
  cols = int(np.ceil(np.sqrt(n)))
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
