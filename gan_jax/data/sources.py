"""The data source registry: `config.data.source` is '<kind>:<name>' and the kind
(tfds, folder, embedded) picks the factory that builds it."""

import numpy as np

from gan_jax.data import digit_domains  # noqa: F401  (registers embedded:digit_domains)
from gan_jax.data import embedded, folder, tfds_source
from gan_jax.data.base import ImageSource, Truncated
from gan_jax.data.pipeline import to_float
from gan_jax.errors import UserError
from gan_jax.registry import Registry

# kind -> factory(name, data_config) -> ImageSource
SOURCES = Registry('data source kind', {
    'tfds': tfds_source.tfds_source,
    'folder': folder.folder_source,
    'embedded': embedded.embedded_source,
})


def split_kind(source: str):
  """'tfds:mnist' -> ('tfds', 'mnist'); a name without a kind is an error listing the kinds."""
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
    embedded.EMBEDDED.get(rest)


def build_source(data_config) -> ImageSource:
  """Builds the source named by data_config.source, truncated to max_examples."""
  kind, rest = split_kind(data_config.source)
  if data_config.get('native_crops', False) and kind != 'folder':
    raise UserError(f'data.native_crops=True reads windows of folder: sources; data.source='
                    f'{data_config.source!r} is resized whole (remove native_crops)')
  source = SOURCES.get(kind)(rest, data_config)
  if len(source) == 0:
    raise UserError(f'data.source={data_config.source!r} split {data_config.split!r} is empty')
  if data_config.max_examples and data_config.max_examples < len(source):
    source = Truncated(source, data_config.max_examples)
  return source


def held_out_images(data_config, n=None):
  """The first n images (all when None) of the source's test split, whole, as
  floats in [-1, 1]: what single-domain methods evaluate and preview on."""
  cfg = data_config.copy_and_resolve_references()
  with cfg.unlocked():
    cfg.split, cfg.max_examples = 'test', 0
  source = build_source(cfg)
  idx = np.arange(len(source) if n is None else min(n, len(source)))
  return to_float(source.get(idx)['image'])

