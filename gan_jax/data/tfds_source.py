"""`tfds:<name>[/<config>]`: TensorFlow Datasets through `tfds.data_source`.

`tfds.data_source` gives random access to an array_record copy of the dataset,
which is what a (seed, step) -> batch pipeline needs, and it does not need
TensorFlow. When the dataset is not prepared, it is downloaded and prepared
(if `data.download`), after a connectivity probe of a few seconds, so an
offline user gets a clear error at once instead of minutes of retries.
"""

import os
import socket

import numpy as np

from gan_jax.data.base import ImageSource, conform_batch
from gan_jax.errors import UserError

# tfds fetches through this host (its GCS mirror) before the original URLs.
PROBE_HOST, PROBE_PORT, PROBE_TIMEOUT_S = 'storage.googleapis.com', 443, 3.0


def online() -> bool:
  try:
    socket.create_connection((PROBE_HOST, PROBE_PORT), timeout=PROBE_TIMEOUT_S).close()
    return True
  except OSError:
    return False


def _default_data_dir():
  return os.environ.get('TFDS_DATA_DIR', os.path.expanduser('~/tensorflow_datasets'))


def _not_available(name, split, data_dir, why):
  return UserError(
      f'tfds dataset {name!r} (split {split!r}) is not prepared under '
      f'{data_dir or _default_data_dir()!r} and {why}. Options: prepare it on a machine '
      f'with internet (`tfds build {name.split("/")[0]} --file_format=array_record`) and pass '
      f'--config.data.data_dir=DIR; or use data.source=folder:<path> with your images; '
      f'or data.source=embedded:digits for offline data')


def open_data_source(name: str, split: str, data_dir: str, download: bool):
  """tfds.data_source, with quick, clear errors instead of long retries."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  kwargs = dict(split=split, data_dir=data_dir or None)
  try:
    return tfds.data_source(name, download=False, **kwargs)
  except tfds.core.registered.DatasetNotFoundError:
    raise UserError(f'tfds has no dataset named {name.split("/")[0]!r} '
                    f'(see `tfds.list_builders()` or the tfds catalog)') from None
  except ValueError as e:
    if 'BuilderConfig' in str(e):
      raise UserError(f'tfds dataset {name!r}: unknown config; '
                      f'{str(e).splitlines()[0][:300]}') from None
    first_error = e
  except NotImplementedError as e:  # prepared in a format without random access, or not at all
    try:
      prepared = tfds.builder(name, data_dir=data_dir or None).is_prepared()
    except Exception:  # pylint: disable=broad-except
      prepared = False
    if prepared:
      raise UserError(
          f'tfds dataset {name!r} under {data_dir or _default_data_dir()!r} is prepared as '
          f'tfrecord, which has no random access; rebuild it with `tfds build '
          f'{name.split("/")[0]} --file_format=array_record` or choose another data_dir') from None
    first_error = e
  except (KeyError, FileNotFoundError, AssertionError) as e:
    first_error = e
  if not download:
    raise _not_available(name, split, data_dir, 'data.download is False') from None
  if not online():
    raise _not_available(name, split, data_dir,
                         f'this machine cannot reach {PROBE_HOST} to download it') from None
  try:
    return tfds.data_source(name, download=True, **kwargs)
  except Exception as e:  # pylint: disable=broad-except
    raise UserError(f'tfds dataset {name!r} split {split!r} could not be prepared: '
                    f'{type(e).__name__}: {str(e)[:300]} (before download: {first_error})'
                    ) from None


class TfdsSource(ImageSource):

  def __init__(self, name, data_config):
    self.ds = open_data_source(name, data_config.split, data_config.data_dir,
                               data_config.download)
    self.name = f'tfds:{name}'
    self.size, self.channels = data_config.image_size, data_config.channels
    features = getattr(getattr(self.ds, 'dataset_info', None), 'features', None)
    self.num_classes = 0
    if features is not None and 'image' not in features:
      raise UserError(f'tfds dataset {name!r} has no "image" feature; features: {list(features)}')
    if features is not None and 'label' in features and hasattr(features['label'], 'num_classes'):
      self.num_classes = int(features['label'].num_classes)
    # Named binary attributes (celeb_a's 'attributes') make the label: their bitmask.
    self.attributes = tuple(a.strip() for a in data_config.attributes.split(',') if a.strip())
    if self.attributes:
      known = list(features['attributes']) if features is not None and 'attributes' in features \
          else []
      missing = [a for a in self.attributes if a not in known]
      if missing:
        raise UserError(f'config.data.attributes names {missing}, which tfds {name!r} does not '
                        f'have; its attributes: {known or "none"}')
      self.num_classes = 2 ** len(self.attributes)

  def __len__(self):
    return len(self.ds)

  def get(self, indices):
    records = [self.ds[int(i)] for i in indices]
    images = conform_batch([r['image'] for r in records], self.size, self.channels)
    if self.attributes:
      labels = np.array([sum(int(bool(r['attributes'][a])) << i
                             for i, a in enumerate(self.attributes)) for r in records], np.int32)
    else:
      labels = np.array([r.get('label', 0) if self.num_classes else 0 for r in records], np.int32)
    return {'image': images, 'label': labels}


def tfds_source(name, data_config):
  return TfdsSource(name, data_config)
