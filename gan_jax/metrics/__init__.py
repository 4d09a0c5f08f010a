"""Sample-quality metrics. A metric maps generated images (N, H, W, C) in
[-1, 1] (numpy) to a dict of named floats; `--mode=eval` and evaluation during
training call every metric in config.eval.metrics on config.eval.num_samples
images."""

from gan_jax.registry import Registry

METRICS = Registry('metric')


@METRICS.register('digits_score')
def digits_score(images):
  """Calibrated digits classifier: confident (> 0.9) fraction and class entropy."""
  from gan_jax.metrics import digits_classifier  # pylint: disable=g-import-not-at-top
  s = digits_classifier.score(digits_classifier.predict_probs(images))
  return {f'digits_{k}': v for k, v in s.items()}
