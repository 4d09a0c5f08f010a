"""`folder:<path>`: a user's own images.

Images directly in <path> are unlabelled; if <path> has subfolders, each is a
class (label = index of its sorted name) and loose images beside them are
ignored with a warning. Unreadable files are skipped
with a warning naming them; a folder with no readable image is an error.

stylegan2-ada-pytorch's dataset_tool layout is read as that tool writes it: a
folder or a .zip file whose images sit anywhere under it (its 00000/, 00001/
subfolders are not classes) and whose dataset.json gives the labels
({"labels": [["00000/img00000000.png", 6], ...]} or null for none).
"""

import io
import json
import os
import zipfile

import numpy as np
from PIL import Image

from gan_jax.data.base import ImageSource, conform_image, native_window
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


def dataset_tool_labels(names, labels_json, where: str):
  """(labels, num_classes) for the image names (relative, '/'-separated) from a
  dataset.json's text; unlabelled (zeros, 0) when its labels are null."""
  try:
    listed = json.loads(labels_json).get('labels')
  except (ValueError, AttributeError) as e:
    raise UserError(f'{where}/dataset.json is not a dataset_tool label file ({e})') from None
  if listed is None:
    return np.zeros(len(names), np.int32), 0
  table = {name.replace('\\', '/'): label for name, label in listed}
  missing = [n for n in names if n not in table]
  if missing:
    raise UserError(f'{where}/dataset.json has no label for {len(missing)} image(s), e.g. '
                    f'{missing[0]!r}')
  labels = np.array([table[n] for n in names], np.int32)
  return labels, int(labels.max()) + 1


def readable(path: str) -> bool:
  try:
    with Image.open(path) as im:
      im.verify()
    return True
  except Exception:  # pylint: disable=broad-except
    return False


def dataset_tool_images(root: str):
  """(paths, labels, num_classes) of a dataset_tool folder: every image under
  root, in sorted relative-name order, labelled by dataset.json."""
  names = []
  for dirpath, dirnames, files in os.walk(root):
    dirnames.sort()
    names += [os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, '/')
              for f in files if f.lower().endswith(IMAGE_EXTENSIONS)]
  names.sort()
  with open(os.path.join(root, 'dataset.json')) as f:
    labels, num_classes = dataset_tool_labels(names, f.read(), root)
  return [os.path.join(root, n) for n in names], labels, num_classes


class DecodedSource(ImageSource):
  """Images decoded from files on each read. Each is resized whole to size x size
  (centre-cropped to a square first), or with native_crops a size x size window
  at its own resolution: a new window per step, drawn from the pipeline's (seed,
  step) generator; held-out reads (plain indices) take the centre window. Native
  windows are how super-resolution, inpainting and restoration train on large
  photos (DIV2K, Places2): resizing a 2K photo to 96 px would leave no detail."""
  size: int
  channels: int
  native_crops: bool = False

  def decode(self, indices) -> list:
    """The images at indices, uint8 RGB, each at its own size."""
    raise NotImplementedError

  def draw(self, indices, rng):
    if not self.native_crops:
      return indices
    idx = np.asarray(indices)
    return np.concatenate([idx[:, None].astype(np.float64), rng.random((len(idx), 2))], axis=1)

  def get(self, indices):
    idx = np.asarray(indices)
    corners = idx[:, 1:] if idx.ndim == 2 else [None] * len(idx)
    idx = (idx[:, 0] if idx.ndim == 2 else idx).astype(np.int64)
    images = [native_window(img, self.size, self.channels, corner) if self.native_crops
              else conform_image(img, self.size, self.channels)
              for img, corner in zip(self.decode(idx), corners)]
    return {'image': np.stack(images), 'label': self.labels[idx]}


class FolderSource(DecodedSource):

  def __init__(self, root: str, size: int, channels: int, native_crops: bool = False):
    if os.path.isfile(os.path.join(root, 'dataset.json')):
      paths, labels, num_classes = dataset_tool_images(root)
      classes = range(num_classes)
    else:
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
    self.size, self.channels, self.native_crops = size, channels, native_crops

  def __len__(self):
    return len(self.paths)

  def decode(self, indices):
    out = []
    for i in indices:
      with Image.open(self.paths[i]) as im:
        out.append(np.asarray(im.convert('RGB')))
    return out


class ZipSource(DecodedSource):
  """A dataset_tool .zip: its images in sorted name order, dataset.json's labels."""

  def __init__(self, path: str, size: int, channels: int, native_crops: bool = False):
    try:
      with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.lower().endswith(IMAGE_EXTENSIONS))
        labels_json = z.read('dataset.json').decode() if 'dataset.json' in z.namelist() else None
    except (OSError, zipfile.BadZipFile) as e:
      raise UserError(f'data.source=folder:{path}: not a readable zip file ({e})') from None
    if not names:
      raise UserError(f'zip file {path!r} holds no images (looked for '
                      f'{", ".join(IMAGE_EXTENSIONS)})')
    if labels_json is None:
      self.labels, self.num_classes = np.zeros(len(names), np.int32), 0
    else:
      self.labels, self.num_classes = dataset_tool_labels(names, labels_json, path)
    self.path, self.names = path, names
    self.name = f'folder:{path}'
    self.size, self.channels, self.native_crops = size, channels, native_crops

  def __len__(self):
    return len(self.names)

  def decode(self, indices):
    out = []
    with zipfile.ZipFile(self.path) as z:     # opened per batch: safe across threads
      for i in indices:
        with Image.open(io.BytesIO(z.read(self.names[i]))) as im:
          out.append(np.asarray(im.convert('RGB')))
    return out


def folder_source(path, data_config):
  path = os.path.expanduser(path)
  if path.lower().endswith('.zip'):
    if not os.path.isfile(path):
      raise UserError(f'data.source=folder:{path}: no such zip file')
    return ZipSource(path, data_config.image_size, data_config.channels,
                     data_config.get('native_crops', False))
  return FolderSource(path, data_config.image_size, data_config.channels,
                      data_config.get('native_crops', False))
