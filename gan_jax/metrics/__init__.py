"""Sample-quality metrics. A metric maps generated images (N, H, W, C) in
[-1, 1] (numpy) to a dict of named floats; `--mode=eval` and evaluation during
training call every metric in config.eval.metrics on config.eval.num_samples
images."""

import numpy as np

from gan_jax.registry import Registry

METRICS = Registry('metric')


@METRICS.register('digits_score')
def digits_score(images):
  """Calibrated digits classifier on the samples, beside the real-digit ceiling.

  digits_confident: fraction of samples classified with probability > 0.9;
  digits_class_entropy_ratio: entropy of the predicted-class histogram / log 10.
  The same two figures on the held-out real digits (test split, resized like
  the samples) are reported as digits_real_*, and the samples' confident
  fraction relative to the real one as digits_confident_vs_real.
  """
  from gan_jax.metrics import digits_classifier as dc  # pylint: disable=g-import-not-at-top
  fake = dc.score(dc.predict_probs(images))
  real = dc.score(dc.predict_probs(dc.real_test_images(images.shape[1], images.shape[-1])))
  out = {f'digits_{k}': v for k, v in fake.items()}
  out.update({f'digits_real_{k}': v for k, v in real.items()})
  out['digits_confident_vs_real'] = fake['confident'] / max(real['confident'], 1e-9)
  return out


@METRICS.register('digits_fd')
def digits_frechet_distance(images):
  """Frechet distance between samples and all 1,797 real digits (resized like the
  samples) in the digits classifier's 128-d feature space, as TF-GAN does with
  its MNIST classifier. Lower is better; comparable only at equal sample counts."""
  from gan_jax.data.base import conform_batch  # pylint: disable=g-import-not-at-top
  from gan_jax.data.embedded import digits_arrays  # pylint: disable=g-import-not-at-top
  from gan_jax.data.pipeline import to_float  # pylint: disable=g-import-not-at-top
  from gan_jax.metrics import digits_classifier as dc  # pylint: disable=g-import-not-at-top
  from gan_jax.metrics import stats  # pylint: disable=g-import-not-at-top
  real_u8, _ = digits_arrays('all')
  real = to_float(conform_batch(list(real_u8), images.shape[1], images.shape[-1]))
  mu_r, s_r = stats.mean_cov(dc.predict_features(real))
  mu_f, s_f = stats.mean_cov(dc.predict_features(images))
  return {'digits_fd': stats.frechet_distance(mu_f, s_f, mu_r, s_r)}


def _register_mode_metric(name):
  @METRICS.register(f'modes_{name}')
  def metric(images):
    """Modes covered and high-quality fraction on the embedded:{name} mixture."""
    from gan_jax.data.embedded import toy_mixture  # pylint: disable=g-import-not-at-top
    from gan_jax.metrics.modes import mode_coverage  # pylint: disable=g-import-not-at-top
    centers, std = toy_mixture(name)
    r = mode_coverage(np.asarray(images).reshape(-1, 2), centers, std)
    return {f'{name}_modes': r['modes'], f'{name}_high_quality': r['high_quality']}
  return metric


for _toy in ('ring8', 'grid25'):
  _register_mode_metric(_toy)
