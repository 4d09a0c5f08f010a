"""Full-reference image quality as the super-resolution literature reports it:
PSNR and SSIM on the luma channel Y of ITU-R BT.601 (MATLAB's rgb2ycbcr, the
convention of published SR tables), with `border` pixels cropped from every
side (the upscaling factor, by convention).

Images are uint8-range floats [0, 255] or [-1, 1] arrays converted by the
caller; these functions take [0, 255]. SSIM is Wang et al. 2004's: an 11 x 11
Gaussian window of sigma 1.5, K1 0.01, K2 0.03, L 255, population statistics,
the mean over the valid (unpadded) windows, as their ssim.m and scikit-image's
structural_similarity(gaussian_weights=True, use_sample_covariance=False).
"""

import numpy as np
from scipy import ndimage


def rgb_to_y(images):
  """(..., 3) RGB in [0, 255] -> (...) Y in [16, 235] (MATLAB rgb2ycbcr's first row);
  a single channel is taken as Y already."""
  x = np.asarray(images, np.float64)
  if x.shape[-1] == 1:
    return x[..., 0]
  return 16.0 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255.0


def _crop(y, border: int):
  return y[..., border:y.shape[-2] - border, border:y.shape[-1] - border] if border else y


def psnr_y(a, b, border: int = 0) -> np.ndarray:
  """Per image (N,): 10 log10(255^2 / MSE) on Y, a and b (N, H, W, C) in [0, 255]."""
  ya, yb = _crop(rgb_to_y(a), border), _crop(rgb_to_y(b), border)
  mse = np.mean((ya - yb) ** 2, axis=(-2, -1))
  return 10.0 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-10))


def _ssim_one(x, y, sigma: float = 1.5, data_range: float = 255.0):
  c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
  filt = lambda z: ndimage.gaussian_filter(z, sigma, truncate=3.5, mode='reflect')
  mx, my = filt(x), filt(y)
  vx, vy, cxy = filt(x * x) - mx * mx, filt(y * y) - my * my, filt(x * y) - mx * my
  s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
  pad = 5  # (11 - 1) / 2: only windows that lie inside the image count
  if min(x.shape) <= 2 * pad:
    return float('nan')  # no whole window: SSIM is undefined (scikit-image refuses too)
  return float(np.mean(s[pad:-pad, pad:-pad]))


def ssim_y(a, b, border: int = 0) -> np.ndarray:
  """Per image (N,): SSIM on Y, a and b (N, H, W, C) in [0, 255]."""
  ya, yb = _crop(rgb_to_y(a), border), _crop(rgb_to_y(b), border)
  return np.array([_ssim_one(x, y) for x, y in zip(ya, yb)])


def psnr(a, b) -> np.ndarray:
  """Per image (N,): PSNR over all channels (the inpainting and restoration
  convention), a and b (N, H, W, C) in [0, 255]."""
  mse = np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2, axis=(1, 2, 3))
  return 10.0 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-10))


def ssim(a, b) -> np.ndarray:
  """Per image (N,): the mean of per-channel SSIMs (scikit-image's channel_axis=-1)."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  return np.array([np.mean([_ssim_one(x[..., c], y[..., c]) for c in range(x.shape[-1])])
                   for x, y in zip(a, b)])
