"""The statistics behind FID, IS, KID and precision/recall, on feature arrays.

Pure numpy/scipy; the feature network (Inception, or the digits classifier)
is the caller's. Each follows its reference implementation's definition:
FID as pytorch-fid's calculate_frechet_distance, IS with 10 splits as the
original, KID as torch-fidelity (unbiased MMD^2, cubic polynomial kernel,
mean over random subsets), precision/recall as Kynkaanniemi et al. 2019 (k=3).
"""

import numpy as np
from scipy import linalg

from gan_jax.errors import UserError


def mean_cov(features):
  f = np.asarray(features, np.float64)
  return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
  """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)).

  Tr (S1 S2)^(1/2) is computed as the sum of square roots of the eigenvalues
  of S1^(1/2) S2 S1^(1/2), a symmetric PSD matrix: no complex parts and no
  ill-conditioned sqrtm of a non-symmetric product.
  """
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
  w, v = linalg.eigh(s1)
  root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
  inner = root1 @ s2 @ root1
  tr_covmean = np.sum(np.sqrt(np.clip(linalg.eigvalsh((inner + inner.T) / 2), 0, None)))
  diff = mu1 - mu2
  return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def inception_score(probs, splits: int = 10):
  """(mean, std) over splits of exp(E_x KL(p(y|x) || p(y))), from class probabilities."""
  p = np.asarray(probs, np.float64)
  return _split_scores(p, np.log(np.maximum(p, 1e-300)), splits)


def inception_score_from_logits(logits, splits: int = 10, seed=2020):
  """IS as torch-fidelity computes it: rows shuffled by RandomState(seed) (None: no
  shuffle), float64 softmax, split i = rows [i N // splits, (i + 1) N // splits)."""
  z = np.asarray(logits, np.float64)
  if seed is not None:
    z = z[np.random.RandomState(seed).permutation(len(z))]
  log_p = z - z.max(axis=1, keepdims=True)
  log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
  return _split_scores(np.exp(log_p), log_p, splits)


def _split_scores(p, log_p, splits):
  n, scores = len(p), []
  for i in range(splits):
    lo, hi = i * n // splits, (i + 1) * n // splits
    part, log_part = p[lo:hi], log_p[lo:hi]
    log_py = np.log(part.mean(axis=0, keepdims=True))
    kl = np.sum(np.where(part > 0, part * (log_part - log_py), 0.0), axis=1)
    scores.append(np.exp(kl.mean()))
  return float(np.mean(scores)), float(np.std(scores))


def _poly_kernel(x, y):
  return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y) -> float:
  """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3 (Binkowski et al. 2018)."""
  m, n = len(x), len(y)
  kxx, kyy, kxy = _poly_kernel(x, x), _poly_kernel(y, y), _poly_kernel(x, y)
  return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
               + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean())


def kernel_inception_distance(fake, real, subsets: int = 100, subset_size: int = 1000,
                              seed: int = 2020):
  """(mean, std) of unbiased MMD^2 over random subsets, drawn as torch-fidelity draws
  them (RandomState(seed); each subset: fake rows, then real rows, without
  replacement), so equal features give torch-fidelity's number."""
  fake, real = np.asarray(fake, np.float64), np.asarray(real, np.float64)
  if min(len(fake), len(real)) < subset_size:  # torch-fidelity refuses too
    raise UserError(f'KID: eval.kid_subset_size={subset_size} is larger than the number of '
                    f'samples ({len(fake)} generated, {len(real)} real); set '
                    '--config.eval.kid_subset_size to at most the smaller, or evaluate more')
  size = subset_size
  rng = np.random.RandomState(seed)
  vals = []
  for _ in range(subsets):
    f = fake[rng.choice(len(fake), size, replace=False)]
    r = real[rng.choice(len(real), size, replace=False)]
    vals.append(mmd2_unbiased(f, r))
  return float(np.mean(vals)), float(np.std(vals))


def _pairwise_distances(a, b, chunk=2048):
  """Euclidean distances (len(a), len(b)) in row chunks: |a|^2 + |b|^2 - 2ab."""
  bb = (b * b).sum(axis=1)
  out = np.empty((len(a), len(b)), np.float64)
  for s in range(0, len(a), chunk):
    x = a[s:s + chunk]
    d2 = (x * x).sum(axis=1)[:, None] + bb[None, :] - 2.0 * x @ b.T
    out[s:s + chunk] = np.sqrt(np.maximum(d2, 0.0))
  return out


def _kth_neighbour_radii(x, k):
  radii = np.empty(len(x))
  for s in range(0, len(x), 2048):
    d = _pairwise_distances(x[s:s + 2048], x)
    radii[s:s + 2048] = np.partition(d, k, axis=1)[:, k]  # column 0 is the point itself
  return radii


def _inside_manifold(points, ref, radii):
  inside = np.empty(len(points), bool)
  for s in range(0, len(points), 2048):
    inside[s:s + 2048] = (_pairwise_distances(points[s:s + 2048], ref) <= radii[None, :]).any(1)
  return inside


def precision_recall(real, fake, k: int = 3):
  """Improved precision and recall (Kynkaanniemi et al. 2019): the share of
  fakes inside the real manifold (union of k-NN balls) and vice versa. Memory
  is O(2048 x N) however many samples."""
  real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
  precision = _inside_manifold(fake, real, _kth_neighbour_radii(real, k)).mean()
  recall = _inside_manifold(real, fake, _kth_neighbour_radii(fake, k)).mean()
  return float(precision), float(recall)
