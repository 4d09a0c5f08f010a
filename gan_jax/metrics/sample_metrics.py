"""Metrics of sampled images (N, H, W, C) in [-1, 1] (numpy).

Embedded-data metrics need nothing but the samples: digits_score, digits_fd,
stacked_digits (the digits classifier), modes_ring8 / modes_grid25 (2-D mixtures). The
Inception metrics fid, is, kid, pr need the FID Inception weights
(config.eval.inception_weights) and share one feature pass per evaluation
(feature_metrics.py, through the EvalContext)."""

import functools

import numpy as np

from gan_jax.data.base import conform_batch
from gan_jax.data.embedded import STACKED_SIZES, digits_arrays, stacked_digits, toy_mixture
from gan_jax.data.pipeline import to_float
from gan_jax.errors import UserError
from gan_jax.metrics import digits_classifier as dc
from gan_jax.metrics import stats
from gan_jax.metrics.feature_metrics import IS_KID_INPUT
from gan_jax.metrics.modes import histogram_modes, mode_coverage, pacgan_modes


def _need_context(ctx, name):
  if ctx is None:
    raise ValueError(f'metric {name!r} needs an EvalContext (config and mesh)')


def fid(images, ctx=None):
  """Frechet Inception distance to the reference split (pytorch-fid's definition)."""
  _need_context(ctx, 'fid')
  f, ref = ctx.features, ctx.features.reference()
  mu, sigma = stats.mean_cov(f.fake(images)[0])
  return {f.key('fid', images): stats.frechet_distance(mu, sigma, ref['mu'], ref['sigma'])}


def inception_score(images, ctx=None):
  """Inception score, 10 splits, equal to torch-fidelity's end to end (its input
  path, its formula; mean and std over splits)."""
  _need_context(ctx, 'is')
  f = ctx.features
  mean, std = stats.inception_score_from_logits(f.fake(images, IS_KID_INPUT)[1])
  key = f.key('is', images)
  return {key: mean, key + '_std': std}


def kid(images, ctx=None):
  """Kernel Inception distance to the reference split, equal to torch-fidelity's
  end to end (its input path, its subsets)."""
  _need_context(ctx, 'kid')
  f, ev = ctx.features, ctx.config.eval
  mean, std = stats.kernel_inception_distance(
      f.fake(images, IS_KID_INPUT)[0], f.reference(IS_KID_INPUT)['pool3'], ev.kid_subsets,
      ev.kid_subset_size)
  key = f.key('kid', images)
  return {key: mean, key + '_std': std}


def precision_recall(images, ctx=None):
  """Improved precision and recall (k=3) against the reference split."""
  _need_context(ctx, 'pr')
  f = ctx.features
  p, r = stats.precision_recall(f.reference()['pool3'], f.fake(images)[0], k=3)
  return {f.key('precision', images): p, f.key('recall', images): r}


def digits_score(images, ctx=None):
  """Calibrated digits classifier on the samples, beside the real-digit ceiling.

  digits_confident: fraction of samples classified with probability > 0.9;
  digits_class_entropy_ratio: entropy of the predicted-class histogram / log 10.
  The same two figures on the held-out real digits (test split, resized like
  the samples) are reported as digits_real_*, and the samples' confident
  fraction relative to the real one as digits_confident_vs_real.
  """
  fake = dc.score(dc.predict_probs(images))
  real = dc.score(dc.predict_probs(dc.real_test_images(images.shape[1], images.shape[-1])))
  out = {f'digits_{k}': v for k, v in fake.items()}
  out.update({f'digits_real_{k}': v for k, v in real.items()})
  out['digits_confident_vs_real'] = fake['confident'] / max(real['confident'], 1e-9)
  return out


def digits_frechet_distance(images, ctx=None):
  """Frechet distance between samples and all 1,797 real digits (resized like the
  samples) in the digits classifier's 128-d feature space, as TF-GAN does with
  its MNIST classifier. Lower is better; comparable only at equal sample counts."""
  real_u8, _ = digits_arrays('all')
  real = to_float(conform_batch(list(real_u8), images.shape[1], images.shape[-1]))
  mu_r, s_r = stats.mean_cov(dc.predict_features(real))
  mu_f, s_f = stats.mean_cov(dc.predict_features(images))
  return {'digits_fd': stats.frechet_distance(mu_f, s_f, mu_r, s_r)}


def mode_metric(name: str):
  """Modes covered and high-quality fraction on the embedded:<name> mixture."""
  def metric(images, ctx=None):
    del ctx
    centers, std = toy_mixture(name)
    r = mode_coverage(np.asarray(images).reshape(-1, 2), centers, std)
    return {f'{name}_modes': r['modes'], f'{name}_high_quality': r['high_quality']}
  metric.__doc__ = f'Modes covered and high-quality fraction on the embedded:{name} mixture.'
  return metric


def pacgan_mode_metric(name: str):
  """PacGAN's modes, high-quality fraction and reverse KL on the embedded:<name> mixture."""
  def metric(images, ctx=None):
    del ctx
    centers, std = toy_mixture(name)
    r = pacgan_modes(np.asarray(images).reshape(-1, 2), centers, std)
    return {f'{name}_{k}': v for k, v in r.items()}
  metric.__doc__ = (f'PacGAN\'s modes captured, high-quality fraction and reverse KL on the '
                    f'embedded:{name} mixture.')
  return metric


def _stacked_figures(images):
  """Modes and reverse KL of 3-channel images read as stacked digits, the
  fraction whose three channels are all confidently (> 0.9) a digit, and the
  modes among those alone (the stricter count: argmax gives junk a mode too)."""
  probs = dc.predict_channel_probs(images)
  codes = (probs.argmax(axis=-1) * np.array([100, 10, 1])).sum(axis=1)
  r = histogram_modes(codes, 1000)
  sure = (probs.max(axis=-1) > 0.9).all(axis=1)
  r['confident'] = float(np.mean(sure))
  r['confident_modes'] = histogram_modes(codes[sure], 1000)['modes']
  return r


@functools.lru_cache(maxsize=4)
def _stacked_real(size: int, num: int):
  """The same figures on `num` held-out real stacked digits: the ceiling."""
  import ml_collections  # pylint: disable=g-import-not-at-top
  src = stacked_digits(ml_collections.ConfigDict(
      dict(split='test', image_size=size, channels=3)))
  return _stacked_figures(to_float(src.images[:num]))


def stacked_digits_modes(images, ctx=None):
  """PacGAN's stacked-MNIST figures on the embedded stacked digits: each channel
  classified by the digits classifier (argmax, as PacGAN's evaluate.py), modes
  = distinct (a, b, c) of the 1,000, reverse KL of their histogram to uniform;
  beside the same on as many held-out real stacked digits (at most 26,000; with
  N samples even a perfect G shows a KL near 1000 / (2 N) from sampling alone)."""
  del ctx
  images = np.asarray(images)
  if images.shape[-1] != 3:
    raise UserError(f'metric stacked_digits reads one digit per colour channel: the samples '
                    f'have {images.shape[-1]} channels, not 3')
  fake = _stacked_figures(images)
  real = _stacked_real(images.shape[1], min(len(images), STACKED_SIZES['test']))
  out = {f'stacked_digits_{k}': v for k, v in fake.items()}
  out.update({f'stacked_digits_real_{k}': v for k, v in real.items()})
  return out
