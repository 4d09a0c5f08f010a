"""Mode coverage on 2-D Gaussian mixtures, as the mode-collapse literature
measures it (Unrolled GAN, VEEGAN, PacGAN): each sample is assigned to its
nearest mode; it is high quality if within 3 standard deviations of it; a mode
is covered if at least 10 % of an even share of the samples land on it as
high-quality samples (our threshold: 10 of 2,500 samples for 25 modes, 31 for
8), so that a few strays do not count as a mode.

`pacgan_modes` is PacGAN's own definition (fjxmlzn/PacGAN extensions.py), for
comparing with its Table 1: high quality strictly within 3 std, a mode
captured by a single high-quality sample, and the reverse KL of the
high-quality samples' mode histogram to the uniform one, KL(p || 1/K) =
ln K - H(p) (natural log, empty modes contribute 0). `histogram_modes` is that
count and KL for any labelled modes (the stacked digits' 1,000).
"""

import numpy as np


def mode_coverage(points, centers, std, min_fraction_of_share=0.1):
  """points (N, 2) -> {'modes': covered count, 'high_quality': fraction, 'counts': per mode}."""
  points = np.asarray(points, np.float64).reshape(-1, 2)
  d = np.linalg.norm(points[:, None, :] - np.asarray(centers)[None, :, :], axis=-1)
  nearest, dist = d.argmin(axis=1), d.min(axis=1)
  good = dist <= 3 * std
  counts = np.bincount(nearest[good], minlength=len(centers))
  min_count = max(1, int(np.ceil(min_fraction_of_share * len(points) / len(centers))))
  return {'modes': int((counts >= min_count).sum()), 'high_quality': float(good.mean()),
          'counts': counts.tolist(), 'min_count': min_count}


def histogram_modes(codes, num_modes: int):
  """Mode labels (N,) in 0 .. num_modes - 1 -> {'modes': how many occur at least
  once, 'reverse_kl': KL(p || uniform) of their histogram = ln K - H(p)} (PacGAN's
  and VEEGAN's figures; natural log; nan for no samples)."""
  counts = np.bincount(np.asarray(codes, np.int64).reshape(-1), minlength=num_modes)
  if counts.sum() == 0:  # the histogram is undefined
    return {'modes': 0, 'reverse_kl': float('nan')}
  p = counts / counts.sum()
  nz = p[p > 0]
  return {'modes': int((counts > 0).sum()),
          'reverse_kl': float(np.sum(nz * np.log(nz * num_modes)))}


def pacgan_modes(points, centers, std):
  """points (N, 2) -> {'modes', 'high_quality', 'reverse_kl'} as PacGAN measures them."""
  points = np.asarray(points, np.float64).reshape(-1, 2)
  d = np.linalg.norm(points[:, None, :] - np.asarray(centers)[None, :, :], axis=-1)
  nearest, dist = d.argmin(axis=1), d.min(axis=1)
  good = dist < 3 * std
  r = histogram_modes(nearest[good], len(centers))
  return {'modes': r['modes'], 'high_quality': float(good.mean()),
          'reverse_kl': r['reverse_kl']}
