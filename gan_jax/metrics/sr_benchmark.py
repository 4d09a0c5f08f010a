"""sr_benchmark: super-resolution measured as the SR papers report it, on whole
images of benchmark folders (Set5, Set14, BSD100, Urban100, DIV2K's validation
images, as the user has them), not on the training crops.

For each folder in config.eval.sr_folders (comma-separated) and each image file
in it, sorted by name:

  HR       the file as RGB (greyscale converted; 'L' for a 1-channel model),
           cropped at its right and bottom to a multiple of data.sr_scale
           (MATLAB's modcrop, as the benchmark scripts do)
  LR       imresize(HR, 1 / scale) (gan_jax/resize.py: MATLAB's bicubic with its
           antialiasing) rounded to 8 bits, as MATLAB returns it for a uint8
           image and as training makes its inputs
  SR       the generator on the whole LR image (one compile per image size)
  bicubic  imresize(LR, scale), rounded to 8 bits

Scores: PSNR and SSIM on Y with `scale` pixels of border cropped (the published
tables' convention; gan_jax/metrics/image_quality.py) and LPIPS (alex), each the
mean over the folder's images, keyed by the folder's name:
<name>_psnr_y, <name>_ssim_y, <name>_lpips, <name>_bicubic_psnr_y, ...
and <name>_images, how many were read. Per-image rows go to stderr under
--mode=eval. The folders are a held-out set only if training never read them.

`embedded:photos` in place of a folder (name 'photos') is the embedded demo's
held-out set, whole: the right quarter of each content photo that
embedded:photos crops its test split from (128 x 512 to 353 x 1411 px), at the
photo's own resolution, where the demo trains on resized crops of the left
three quarters.
"""

import os
import sys

import numpy as np
from PIL import Image

from gan_jax import images as images_lib
from gan_jax.data import photos
from gan_jax.errors import UserError
from gan_jax.metrics.perceptual_metrics import full_reference
from gan_jax.resize import imresize
from gan_jax.sampling import translate_arrays

METRIC = 'sr_benchmark'
EMBEDDED = 'embedded:photos'


def folders(eval_config):
  """{name: folder} of eval.sr_folders, named by their last path component."""
  out = {}
  for folder in (f.strip() for f in eval_config.sr_folders.split(',')):
    if not folder:
      continue
    name = 'photos' if folder == EMBEDDED else os.path.basename(os.path.normpath(folder))
    if name in out:
      raise UserError(f'config.eval.sr_folders: two folders are named {name!r} ({out[name]!r} '
                      f'and {folder!r}); the scores are keyed by the folder name')
    out[name] = folder
  return out


def check_config(c) -> None:
  """eval.sr_folders and the sr_benchmark metric go together; every folder holds images."""
  wanted, named = METRIC in c.eval.metrics, folders(c.eval)
  if wanted and not named:
    raise UserError(f"config.eval.metrics has {METRIC!r} but config.eval.sr_folders is empty: "
                    'name folders of HR images, e.g. '
                    '--config.eval.sr_folders=/data/Set5,/data/Set14')
  if named and not wanted:
    raise UserError(f'config.eval.sr_folders={c.eval.sr_folders!r} is read only by the '
                    f"{METRIC!r} metric: add it to config.eval.metrics, or clear the folders "
                    "with --config.eval.sr_folders=''")
  for folder in named.values():
    if folder != EMBEDDED:
      images_lib.image_files(folder, 'config.eval.sr_folders entry')


def read_set(folder: str, channels: int):
  """(names, HR images uint8 (H, W, channels)) of a folder or of EMBEDDED."""
  if folder == EMBEDDED:
    names = list(photos.CONTENT_PHOTOS)
    mode = 'L' if channels == 1 else 'RGB'   # as a folder's files are read
    arrays = [np.asarray(Image.fromarray(photos.held_out_part(n)).convert(mode), np.float32)
              for n in names]
  else:
    names = images_lib.image_files(folder, 'config.eval.sr_folders entry')
    names, arrays = images_lib.read_images(folder, names, 'L' if channels == 1 else 'RGB')
  return names, [np.clip(np.round(a), 0, 255).astype(np.uint8).reshape(a.shape[:2] + (channels,))
                 for a in arrays]


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
  """(H, W, C) cropped at its right and bottom to multiples of scale."""
  h, w = image.shape[0] - image.shape[0] % scale, image.shape[1] - image.shape[1] % scale
  if h == 0 or w == 0:
    raise UserError(f'an image of {image.shape[1]}x{image.shape[0]} is smaller than the '
                    f'scale {scale}')
  return image[:h, :w]


def resize_8bit(image: np.ndarray, scale: float) -> np.ndarray:
  """imresize of a 0..255 image, rounded and clipped to uint8 (MATLAB on uint8)."""
  return np.clip(np.round(imresize(image, scale)), 0, 255).astype(np.uint8)


def score_images(method, state, mesh, hr_images, scale: int):
  """Per-image scores {'psnr_y', 'ssim_y', 'lpips', 'bicubic_psnr_y', ...} (lists) of
  whole HR images (uint8 (H, W, C), any sizes)."""
  rows = {k: [] for k in ('psnr_y', 'ssim_y', 'lpips',
                          'bicubic_psnr_y', 'bicubic_ssim_y', 'bicubic_lpips')}
  for hr in hr_images:
    hr = modcrop(hr, scale)
    lr = resize_8bit(hr, 1.0 / scale)
    x = lr[None].astype(np.float32) / 127.5 - 1.0
    sr = images_lib.to_uint8(translate_arrays(method, state, mesh, x, 'a2b', 1))[0]
    if sr.shape != hr.shape:
      raise UserError(f'the generator returned {sr.shape} for an LR image of {lr.shape}; '
                      f'expected {hr.shape} (data.sr_scale={scale})')
    to_pm1 = lambda im: im[None].astype(np.float32) / 127.5 - 1.0
    for prefix, out in (('sr', sr), ('bicubic', resize_8bit(lr, scale))):
      for key, value in full_reference(prefix, to_pm1(out), to_pm1(hr), scale).items():
        rows[key.removeprefix('sr_')].append(value)
  return rows


def sr_benchmark(images, ctx):
  del images
  config, method = ctx.config, ctx.method
  if config.method != 'super_resolution':
    raise UserError(f"config.eval.metrics entry {METRIC!r} measures method 'super_resolution', "
                    f'not {config.method!r}')
  scale, channels = config.data.sr_scale, method.info.image_shape[-1]
  out = {}
  for name, folder in folders(config.eval).items():
    files, hr = read_set(folder, channels)
    rows = score_images(method, ctx.state, ctx.mesh, hr, scale)
    if ctx.progress:
      for i, f in enumerate(files):
        print(f'{name}/{f}: ' + ' '.join(f'{k} {v[i]:.4f}' for k, v in rows.items()),
              file=sys.stderr)
    out.update({f'{name}_{k}': float(np.mean(v)) for k, v in rows.items()})
    out[f'{name}_images'] = len(files)
  return out
