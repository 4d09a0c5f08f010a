"""`folder:<path>`: a user's own images.

Images directly in <path> are unlabelled; if <path> has subfolders, each is a
class (label = index of its sorted name) and loose images beside them are
ignored with a warning. Unreadable files are skipped
with a warning naming them; a folder with no readable image is an error.
"""

import os

import numpy as np
from PIL import Image

from gan_jax.data.base import ImageSource, conform_image
from gan_jax.errors import UserError, warn

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp', '.tif', '.tiff', '.ppm')


def list_images(root: str):
  """(paths, labels, class_names) under root, in a deterministic order."""
  if not os.path.isdir(root):
    raise UserError(f'data folder {root!r} does not exist or is not a folder')
  entries = sorted(os.listdir(root))
  classes = [e for e in entries if os.path.isdir(os.path.join(root, e))]
  paths, labels = [], []
  loose = [e for e in entries
           if e.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(os.path.join(root, e))]
  if classes and loose:
    warn(f'{root!r} has class subfolders; ignoring {len(loose)} image(s) '
         f'directly in it, e.g. {loose[0]!r}')
  elif loose:
    paths = [os.path.join(root, e) for e in loose]
    labels = [0] * len(loose)
  for ci, c in enumerate(classes):
    for dirpath, dirnames, files in sorted(os.walk(os.path.join(root, c))):
      dirnames.sort()
      for f in sorted(files):
        if f.lower().endswith(IMAGE_EXTENSIONS):
          paths.append(os.path.join(dirpath, f))
          labels.append(ci)
  return paths, labels, classes


def readable(path: str) -> bool:
  try:
    with Image.open(path) as im:
      im.verify()
    return True
  except Exception:  # pylint: disable=broad-except
    return False


class FolderSource(ImageSource):

  def __init__(self, root: str, size: int, channels: int):
    paths, labels, classes = list_images(root)
    if not paths:
      raise UserError(f'data folder {root!r} holds no images '
                      f'(looked for {", ".join(IMAGE_EXTENSIONS)})')
    ok = [readable(p) for p in paths]
    bad = [p for p, good in zip(paths, ok) if not good]
    if bad:
      warn(f'skipping {len(bad)} unreadable image file(s): {", ".join(bad[:10])}')
    self.paths = [p for p, good in zip(paths, ok) if good]
    self.labels = np.array([label for label, good in zip(labels, ok) if good], np.int32)
    if not self.paths:
      raise UserError(f'data folder {root!r}: none of its {len(paths)} image files is readable')
    self.name = f'folder:{root}'
    self.num_classes = len(classes)
    self.size, self.channels = size, channels

  def __len__(self):
    return len(self.paths)

  def get(self, indices):
    images = []
    for i in indices:
      with Image.open(self.paths[i]) as im:
        images.append(conform_image(np.asarray(im.convert('RGB')), self.size, self.channels))
    return {'image': np.stack(images), 'label': self.labels[np.asarray(indices)]}


def folder_source(path, data_config):
  return FolderSource(os.path.expanduser(path), data_config.image_size, data_config.channels)
