"""The statistics behind FID, IS, KID and precision/recall, on feature arrays.

Pure numpy/scipy; the feature network (Inception, or the digits classifier)
is the caller's. Each follows its reference implementation's definition:
FID as pytorch-fid's calculate_frechet_distance, IS with 10 splits as the
original, KID as torch-fidelity (unbiased MMD^2, cubic polynomial kernel,
mean over random subsets), precision/recall as Kynkaanniemi et al. 2019 (k=3).
"""

import numpy as np
from scipy import linalg


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
  """(mean, std) over splits of exp(E_x KL(p(y|x) || p(y)))."""
  p = np.asarray(probs, np.float64)
  scores = []
  for part in np.array_split(p, splits):
    py = part.mean(axis=0, keepdims=True)
    kl = np.sum(part * (np.log(part + 1e-12) - np.log(py + 1e-12)), axis=1)
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


def kernel_inception_distance(real, fake, subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0):
  """(mean, std) of unbiased MMD^2 over random subsets, as torch-fidelity's KID."""
  real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
  size = min(subset_size, len(real), len(fake))
  rng = np.random.default_rng(seed)
  vals = [mmd2_unbiased(real[rng.choice(len(real), size, replace=False)],
                        fake[rng.choice(len(fake), size, replace=False)])
          for _ in range(subsets)]
  return float(np.mean(vals)), float(np.std(vals))


def _kth_neighbour_radii(x, k):
  d = np.sqrt(np.maximum(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1), 0))
  return np.sort(d, axis=1)[:, k]  # column 0 is the point itself


def _inside_manifold(points, ref, radii):
  d = np.sqrt(np.maximum(((points[:, None, :] - ref[None, :, :]) ** 2).sum(-1), 0))
  return (d <= radii[None, :]).any(axis=1)


def precision_recall(real, fake, k: int = 3):
  """Improved precision and recall (Kynkaanniemi et al. 2019): the share of
  fakes inside the real manifold (union of k-NN balls) and vice versa."""
  real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
  precision = _inside_manifold(fake, real, _kth_neighbour_radii(real, k)).mean()
  recall = _inside_manifold(real, fake, _kth_neighbour_radii(fake, k)).mean()
  return float(precision), float(recall)
