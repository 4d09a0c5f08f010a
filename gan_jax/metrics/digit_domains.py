"""Is a translated digit in the asked domain, and is it still the same digit?
Readers for `embedded:digit_domains`, none of them the generator's
discriminator: logistic regressions on 2x2-pooled pixels (scikit-learn),
fitted once on the train split's real renderings, one per attribute and one
for the digit (across all 8 domains). `calibration()` reports their accuracy on the held-out
real renderings, the ceiling the translations are read against. Polarity and
tint are read from the colour image; stroke thickness and the digit from the
grey image brought back to light ink on dark (a linear reader cannot read them
across a polarity flip).

The metric `domain_translation` translates every held-out image to every other
domain (at most eval.num_samples in all; the domains that data.attributes spans)
and reports:
  domain_accuracy     all three attributes read as the target's
  attribute_accuracy  attributes read as the target's, per attribute
  digit_kept          the digit reader gives the source digit; also apart, per
                      attribute, for translations that change it and those
                      that keep it (`digit_kept_inverted_changed`, ..._same:
                      a generator may keep digits across one polarity relation
                      and lose them across the other), and for images asked
                      for their own domain (`digit_kept_own_domain`: what G
                      keeps when nothing is to change)
beside the untranslated inputs' attribute accuracy against the same targets
(`untranslated_attribute_accuracy`) and the readers' accuracy on real held-out
images (`real_domain_accuracy`, `real_digit_accuracy`).
"""

import functools

import numpy as np

from gan_jax.data import digit_domains as dd
from gan_jax.sampling import translate_arrays

_POOL = 2  # pixels averaged per side before the regressions (16 px -> 8 x 8)
INVERTED, TINTED = 1, 2  # attribute indices (digit_domains.ATTRIBUTES)


def _pool(x) -> np.ndarray:
  """(N, S, S[, C]) -> (N, features), 2x2 average-pooled."""
  n, s = x.shape[:2]
  x = x.reshape((n, s // _POOL, _POOL, s // _POOL, _POOL) + x.shape[3:]).mean(axis=(2, 4))
  return x.reshape(n, -1)


def _canonical(images, inverted) -> np.ndarray:
  """The ink-high grey image: the red channel (which the tint leaves as it is),
  flipped back where the image reads as inverted."""
  red = np.asarray(images, np.float32)[..., 0]
  return np.where(np.asarray(inverted, bool)[:, None, None], -red, red)


@functools.lru_cache(maxsize=2)
def readers(size: int):
  """{'inverted', 'tinted': read from the pooled colour image; 'thick', 'digit':
  read from the canonical grey image (a linear reader cannot read strokes or
  digits across a polarity flip)}, fitted on the train split at this size."""
  from sklearn.linear_model import LogisticRegression  # pylint: disable=g-import-not-at-top
  images, domains, digits = dd._arrays('train', size)  # pylint: disable=protected-access
  x = images.astype(np.float32) / 127.5 - 1
  fit = lambda f, y: LogisticRegression(max_iter=1000).fit(f, y)
  colour = _pool(x)
  out = {'inverted': fit(colour, (domains >> INVERTED) & 1),
         'tinted': fit(colour, (domains >> TINTED) & 1)}
  grey = _pool(_canonical(x, out['inverted'].predict(colour)))
  out['thick'] = fit(grey, domains & 1)
  out['digit'] = fit(grey, digits)
  return out


def _read(images, size: int):
  """(domains (N,), digits (N,)) as the readers see images in [-1, 1]."""
  r = readers(size)
  x = np.asarray(images, np.float32)
  colour = _pool(x)
  inverted, tinted = r['inverted'].predict(colour), r['tinted'].predict(colour)
  grey = _pool(_canonical(x, inverted))
  thick = r['thick'].predict(grey)
  domains = thick.astype(np.int64) | inverted.astype(np.int64) << INVERTED | \
      tinted.astype(np.int64) << TINTED
  return domains, r['digit'].predict(grey)


def read_domains(images, size: int) -> np.ndarray:
  """The domain (attribute bitmask) each image reads as."""
  return _read(images, size)[0]


def read_digits(images, size: int) -> np.ndarray:
  return _read(images, size)[1]


def calibration(size: int, names=dd.ATTRIBUTES) -> dict:
  """The readers on the real held-out renderings of the domains the names span."""
  images, domains, digits = dd.held_out(size, names)
  x = images.astype(np.float32) / 127.5 - 1
  return {'real_domain_accuracy': float(np.mean(read_domains(x, size) == domains)),
          'real_digit_accuracy': float(np.mean(read_digits(x, size) == digits))}


def _bits_agree(a, b) -> np.ndarray:
  """(N, attributes) booleans: attribute i of domain a equals that of b."""
  i = np.arange(len(dd.ATTRIBUTES))
  return ((np.asarray(a)[:, None] >> i) & 1) == ((np.asarray(b)[:, None] >> i) & 1)


def target_name(domain: int) -> str:
  """A domain bitmask as stargan's --target: its attributes, or 'none'."""
  on = [n for i, n in enumerate(dd.ATTRIBUTES) if domain >> i & 1]
  return ','.join(on) or 'none'


def _spread(idx, n) -> np.ndarray:
  """At most n of idx, evenly spaced (a fixed, class-balanced-ish subset)."""
  return idx[np.linspace(0, len(idx) - 1, min(n, len(idx))).astype(int)]


def _mean(x) -> float:
  return float(np.mean(x)) if x.size else float('nan')


def domain_translation(images, ctx):
  del images
  size = ctx.config.data.image_size
  names = dd.attribute_names(ctx.config.data)
  x_all, domains, digits = dd.held_out(size, names)
  x_all = x_all.astype(np.float32) / 127.5 - 1
  targets = dd.domain_of(np.arange(2 ** len(names)), names)
  per_target = max(1, ctx.config.eval.num_samples // len(targets))
  agree, agree_before, kept, changed, own_kept = [], [], [], [], []
  for t in targets:
    idx = _spread(np.flatnonzero(domains != t), per_target)
    out = translate_arrays(ctx.method, ctx.state, ctx.mesh, x_all[idx], target_name(t),
                           ctx.config.eval.batch_size)
    agree.append(_bits_agree(read_domains(out, size), np.full(len(idx), t)))
    agree_before.append(_bits_agree(domains[idx], np.full(len(idx), t)))
    kept.append(read_digits(out, size) == digits[idx])
    changed.append(~agree_before[-1])   # (N, attributes): source and target differ
    # The baseline: the same number of images of this domain "translated" to it.
    own = _spread(np.flatnonzero(domains == t), per_target)
    out = translate_arrays(ctx.method, ctx.state, ctx.mesh, x_all[own], target_name(t),
                           ctx.config.eval.batch_size)
    own_kept.append(read_digits(out, size) == digits[own])
  agree, agree_before, kept, changed, own_kept = map(
      np.concatenate, (agree, agree_before, kept, changed, own_kept))
  split = {}
  for i, name in enumerate(dd.ATTRIBUTES):
    if name not in names:
      continue
    split[f'digit_kept_{name}_changed'] = _mean(kept[changed[:, i]])
    split[f'digit_kept_{name}_same'] = _mean(kept[~changed[:, i]])
  return {'domain_accuracy': float(np.mean(agree.all(axis=1))),
          'attribute_accuracy': float(np.mean(agree)),
          'untranslated_attribute_accuracy': float(np.mean(agree_before)),
          'digit_kept': float(np.mean(kept)), **split,
          'digit_kept_own_domain': float(np.mean(own_kept)),
          **calibration(size, names)}
