"""Data sources and the deterministic batch pipeline.

A source is a random-access collection of images (uint8, already at the
configured size and channel count) with optional integer labels. The pipeline
(`pipeline.py`) draws the batch of step s as a pure function of (seed, s), so a
resumed run sees exactly the batches an uninterrupted run would have seen.

Sources, chosen by `config.data.source`:
  tfds:<name>[/<config>]   TensorFlow Datasets through `tfds.data_source`
  folder:<path>            a folder of images; class subfolders become labels
  embedded:<name>          built offline from data shipped inside packages
"""

from gan_jax.data.base import ImageSource, SOURCES, build_source, check_source_name  # noqa: F401
from gan_jax.data import embedded, folder, tfds_source  # noqa: F401,E402  (fill SOURCES)
from gan_jax.data.pipeline import Batches, Prefetcher, batch_indices  # noqa: F401,E402
