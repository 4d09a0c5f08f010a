"""Metric statistics against independent computations."""

import numpy as np
import pytest
from scipy import linalg

from gan_jax.metrics import stats


def reference_fid(mu1, s1, mu2, s2):
  """pytorch-fid's calculate_frechet_distance, restated: scipy sqrtm of S1 S2."""
  covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
  covmean = covmean.real
  diff = mu1 - mu2
  return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def test_frechet_distance_matches_reference_formula():
  rng = np.random.default_rng(0)
  a = rng.normal(size=(500, 16))
  b = rng.normal(size=(400, 16)) @ rng.normal(size=(16, 16)) * 0.5 + 0.3
  mu1, s1 = stats.mean_cov(a)
  mu2, s2 = stats.mean_cov(b)
  ours = stats.frechet_distance(mu1, s1, mu2, s2)
  assert ours == pytest.approx(reference_fid(mu1, s1, mu2, s2), rel=1e-6)
  assert stats.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_gaussians_by_hand():
  # 1-D: (m1 - m2)^2 + (s1 - s2)^2 for standard deviations s1, s2.
  assert stats.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)


def test_inception_score_by_hand():
  uniform = np.full((100, 10), 0.1)
  assert stats.inception_score(uniform)[0] == pytest.approx(1.0)
  one_hot = np.eye(10)[np.arange(1000) % 10]
  mean, std = stats.inception_score(one_hot)
  assert mean == pytest.approx(10.0, rel=1e-6) and std == pytest.approx(0.0, abs=1e-6)


def test_kid_matches_double_loop():
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=(30, 4)), rng.normal(0.5, 1, size=(25, 4))
  k = lambda a, b: (a @ b / 4 + 1) ** 3
  xx = sum(k(x[i], x[j]) for i in range(30) for j in range(30) if i != j) / (30 * 29)
  yy = sum(k(y[i], y[j]) for i in range(25) for j in range(25) if i != j) / (25 * 24)
  xy = sum(k(x[i], y[j]) for i in range(30) for j in range(25)) / (30 * 25)
  assert stats.mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-9)
  real = rng.normal(size=(400, 4))
  kid_same, _ = stats.kernel_inception_distance(real, rng.normal(size=(400, 4)), subsets=20,
                                                subset_size=200)
  kid_shift, _ = stats.kernel_inception_distance(real, rng.normal(1, 1, size=(400, 4)),
                                                 subsets=20, subset_size=200)
  assert abs(kid_same) < kid_shift / 10


def test_precision_recall_on_hand_made_sets():
  rng = np.random.default_rng(2)
  real = rng.normal(size=(300, 2))
  p, r = stats.precision_recall(real, real + 1e-9)
  assert p == 1.0 and r == 1.0
  far = real + 100.0
  assert stats.precision_recall(real, far) == (0.0, 0.0)
  # Fakes covering only half the real cloud: high precision, recall about a half.
  half = real[real[:, 0] > 0]
  p, r = stats.precision_recall(real, half)
  assert p == 1.0 and 0.4 < r < 0.7
