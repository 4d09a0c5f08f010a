"""Sample-quality metrics. A metric maps generated images (N, H, W, C) in
[-1, 1] (numpy) and an EvalContext to a dict of named floats; `--mode=eval` and
evaluation during training call every metric in config.eval.metrics on
config.eval.num_samples images.

Embedded-data metrics need nothing but the samples: digits_score, digits_fd
(the digits classifier), modes_ring8 / modes_grid25 (2-D mixtures). The
Inception metrics fid, is, kid, pr need the FID Inception weights
(config.eval.inception_weights) and share one feature pass per evaluation
(feature_metrics.py)."""

import numpy as np

from gan_jax.registry import Registry

METRICS = Registry('metric')
INCEPTION_METRICS = ('fid', 'is', 'kid', 'pr')


class EvalContext:
  """What the metrics of one evaluation share: config, mesh, the Inception features."""

  def __init__(self, config, mesh, progress: bool = False, method=None, state=None):
    self.config, self.mesh, self.progress = config, mesh, progress
    self.method, self.state = method, state  # translation metrics run the method
    self._features = None

  @property
  def features(self):
    if self._features is None:
      from gan_jax.metrics.feature_metrics import FeatureEvaluation  # pylint: disable=g-import-not-at-top
      self._features = FeatureEvaluation(self.config, self.mesh, self.progress)
    return self._features

  def check_ready(self) -> None:
    """Loads the Inception weights now if a metric needs them, so that a missing or
    bad weight file is reported before any sampling or training."""
    if any(m in INCEPTION_METRICS for m in self.config.eval.metrics):
      _ = self.features

  def protocol(self, num_samples: int):
    return None if self._features is None else self._features.protocol(num_samples)


def _need_context(ctx, name):
  if ctx is None:
    raise ValueError(f'metric {name!r} needs an EvalContext (config and mesh)')


@METRICS.register('fid')
def fid(images, ctx=None):
  """Frechet Inception distance to the reference split (pytorch-fid's definition)."""
  _need_context(ctx, 'fid')
  from gan_jax.metrics import stats  # pylint: disable=g-import-not-at-top
  f, ref = ctx.features, ctx.features.reference()
  mu, sigma = stats.mean_cov(f.fake(images)[0])
  return {f.key('fid', images): stats.frechet_distance(mu, sigma, ref['mu'], ref['sigma'])}


@METRICS.register('is')
def inception_score(images, ctx=None):
  """Inception score, 10 splits, as torch-fidelity (mean and std over splits)."""
  _need_context(ctx, 'is')
  from gan_jax.metrics import stats  # pylint: disable=g-import-not-at-top
  f = ctx.features
  mean, std = stats.inception_score_from_logits(f.fake(images)[1])
  key = f.key('is', images)
  return {key: mean, key + '_std': std}


@METRICS.register('kid')
def kid(images, ctx=None):
  """Kernel Inception distance to the reference split (torch-fidelity's subsets)."""
  _need_context(ctx, 'kid')
  from gan_jax.metrics import stats  # pylint: disable=g-import-not-at-top
  f, ev = ctx.features, ctx.config.eval
  mean, std = stats.kernel_inception_distance(f.fake(images)[0], f.reference()['pool3'],
                                              ev.kid_subsets, ev.kid_subset_size)
  key = f.key('kid', images)
  return {key: mean, key + '_std': std}


@METRICS.register('pr')
def precision_recall(images, ctx=None):
  """Improved precision and recall (k=3) against the reference split."""
  _need_context(ctx, 'pr')
  from gan_jax.metrics import stats  # pylint: disable=g-import-not-at-top
  f = ctx.features
  p, r = stats.precision_recall(f.reference()['pool3'], f.fake(images)[0], k=3)
  return {f.key('precision', images): p, f.key('recall', images): r}


@METRICS.register('digits_score')
def digits_score(images, ctx=None):
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
def digits_frechet_distance(images, ctx=None):
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
  def metric(images, ctx=None):
    """Modes covered and high-quality fraction on the embedded:{name} mixture."""
    from gan_jax.data.embedded import toy_mixture  # pylint: disable=g-import-not-at-top
    from gan_jax.metrics.modes import mode_coverage  # pylint: disable=g-import-not-at-top
    centers, std = toy_mixture(name)
    r = mode_coverage(np.asarray(images).reshape(-1, 2), centers, std)
    return {f'{name}_modes': r['modes'], f'{name}_high_quality': r['high_quality']}
  return metric


for _toy in ('ring8', 'grid25'):
  _register_mode_metric(_toy)


from gan_jax.metrics import translation  # noqa: E402,F401  pylint: disable=g-import-not-at-top
