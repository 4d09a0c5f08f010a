"""`embedded:digit_domains`: the embedded digits rendered in 8 domains, three
binary attributes that can be told apart without the generator's
discriminator, for the multi-domain translation demo (StarGAN).

  thick     strokes dilated by a 3x3 maximum
  inverted  dark ink on a light ground
  tinted    orange instead of grey (RGB scaled by 1, 0.55, 0.2)

An image's domain is the bitmask of its attributes (thick 1, inverted 2,
tinted 4), so 0..7. Each split holds every digit of the digits' split in all 8
domains ('train': 1,500 x 8; 'test': 297 x 8, held out): digit i in domain d
is example 8 i + d, so any first examples hold every domain.

`data.attributes` picks which attributes are domains, in its order: the
source then holds only the 2^k domains with the other attributes off, and an
image's label is the bitmask over those names (bit i = the i-th name);
'thick,tinted' is the set without polarity (bench/RESULTS.md, StarGAN).
"""

import functools

import numpy as np

from gan_jax.data.base import ArraySource, conform_batch
from gan_jax.data.embedded import EMBEDDED, digits_arrays
from gan_jax.errors import UserError

ATTRIBUTES = ('thick', 'inverted', 'tinted')
TINT = np.array([1.0, 0.55, 0.2])


def render(grey: np.ndarray, domain: int) -> np.ndarray:
  """grey (N, S, S) uint8, ink high -> (N, S, S, 3) uint8 in the domain's look."""
  from scipy import ndimage  # pylint: disable=g-import-not-at-top
  x = grey.astype(np.float64)
  if domain & 1:
    x = ndimage.grey_dilation(x, size=(1, 3, 3))
  if domain & 2:
    x = 255.0 - x
  x = np.repeat(x[..., None], 3, axis=-1)
  if domain & 4:
    x = x * TINT
  return np.clip(np.round(x), 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=4)
def _arrays(split: str, size: int):
  if split not in ('train', 'test'):
    raise UserError(f'data.split={split!r} for embedded:digit_domains; allowed: train, test')
  images, digits = digits_arrays(split)
  grey = conform_batch(list(images), size, 1)[..., 0]
  out = np.stack([render(grey, d) for d in range(8)], axis=1)  # (n, 8, S, S, 3)
  domains = np.tile(np.arange(8, dtype=np.int32), len(grey))
  return out.reshape((-1,) + out.shape[2:]), domains, np.repeat(digits, 8)


def attribute_names(data_config) -> tuple:
  """The attributes that are domains (data.attributes; all three when unset)."""
  names = tuple(n.strip() for n in data_config.get('attributes', '').split(',') if n.strip())
  names = names or ATTRIBUTES
  if any(n not in ATTRIBUTES for n in names) or len(set(names)) != len(names):
    raise UserError(f'data.attributes={data_config.attributes!r} for embedded:digit_domains; '
                    f'allowed: any of {", ".join(ATTRIBUTES)}, each at most once')
  return names


def _move_bits(codes, src, dst) -> np.ndarray:
  """Bitmasks whose bit i means attribute src[i] -> bitmasks over dst."""
  codes = np.asarray(codes)
  out = np.zeros_like(codes)
  for i, n in enumerate(src):
    out |= ((codes >> i) & 1) << dst.index(n)
  return out


def domain_of(labels, names) -> np.ndarray:
  """Labels (bitmasks over names) -> domains (bitmasks over ATTRIBUTES)."""
  return _move_bits(labels, names, ATTRIBUTES)


def _subset(split: str, size: int, names):
  """(images, domains, digits, labels) of the domains the names span."""
  images, domains, digits = _arrays(split, size)
  keep = np.flatnonzero((domains & ~domain_of(2 ** len(names) - 1, names)) == 0)  # others off
  labels = _move_bits(domains[keep], ATTRIBUTES, names + tuple(a for a in ATTRIBUTES
                                                               if a not in names))
  return images[keep], domains[keep], digits[keep], labels.astype(np.int32)


@EMBEDDED.register('digit_domains')
def digit_domains(data_config) -> ArraySource:
  if data_config.channels != 3:
    raise UserError('embedded:digit_domains is colour (the tinted domain): set data.channels=3 '
                    f'(got {data_config.channels})')
  names = attribute_names(data_config)
  images, _, _, labels = _subset(data_config.split, data_config.image_size, names)
  return ArraySource('embedded:digit_domains', images, labels, num_classes=2 ** len(names))


def held_out(size: int, names=ATTRIBUTES):
  """(images uint8 (N, S, S, 3), domains (N,) over ATTRIBUTES, digits (N,)) of
  the test split's domains that the names span."""
  return _subset('test', size, names)[:3]
