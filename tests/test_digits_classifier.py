"""The digits classifier is accurate on held-out digits and calibrated on junk,
so its 'confident' fraction means something."""

import numpy as np

from gan_jax.data.embedded import digits_arrays
from gan_jax.metrics.registry import METRICS
from gan_jax.metrics import digits_classifier as dc


def test_accurate_on_held_out_digits():
  probs = dc.predict_probs(dc.real_test_images(16, 1))
  _, labels = digits_arrays('test')
  assert np.mean(probs.argmax(1) == labels) > 0.93
  assert dc.score(probs)['confident'] > 0.7


def test_flat_on_noise_and_blends():
  rng = np.random.default_rng(0)
  noise = rng.uniform(-1, 1, (500, 16, 16, 1))
  assert dc.score(dc.predict_probs(noise))['confident'] < 0.05
  images, labels = digits_arrays('train')
  a, b = np.where(labels == 1)[0][:100], np.where(labels == 8)[0][:100]
  blends = (images[a].astype(np.float32) + images[b]) / 255.0 - 1.0
  assert dc.score(dc.predict_probs(blends[..., None]))['confident'] < 0.2


def test_score_by_hand():
  probs = np.array([[0.95] + [0.05 / 9] * 9, [0.5, 0.5] + [0] * 8, [0, 0.91] + [0.09 / 8] * 8,
                    [0, 0.92] + [0.08 / 8] * 8])
  s = dc.score(probs)
  assert s['confident'] == 0.75
  # argmax histogram: class 0 twice, class 1 twice -> entropy log 2
  assert np.isclose(s['class_entropy'], np.log(2))
  assert np.isclose(s['class_entropy_ratio'], np.log(2) / np.log(10))


def test_metric_reports_real_ceiling_for_rgb_samples():
  real_rgb = np.repeat(dc.real_test_images(32, 1), 3, axis=-1)
  out = METRICS.get('digits_score').compute(real_rgb)
  assert np.isclose(out['digits_confident'], out['digits_real_confident'])
  assert np.isclose(out['digits_confident_vs_real'], 1.0)


def test_digits_frechet_distance_orders_real_and_junk():
  fd = METRICS.get('digits_fd').compute
  real = dc.real_test_images(16, 1)  # held-out digits against all digits
  noise = np.random.default_rng(0).uniform(-1, 1, (297, 16, 16, 1))
  ones = real[digits_arrays('test')[1] == 1]  # one class only: mode collapse
  d_real, d_noise, d_ones = (fd(x)['digits_fd'] for x in (real, noise, ones))
  # Held-out real digits score 1.8; noise and a single class both about 59.
  assert d_real < 0.1 * min(d_noise, d_ones)
