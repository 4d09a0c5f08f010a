"""Perceptual metrics of translators on their first eval.num_samples held-out examples.

lpips: LPIPS v0.1 (AlexNet, the lpips package's default) between each output and
  its reference: the target for paired methods (beside the identity baseline,
  input against target), the input itself otherwise (how much of the content
  survives: 0 = untouched).
super_resolution, inpainting, restoration: PSNR, SSIM and LPIPS of the outputs
  against the targets, beside the baselines each field reports (bicubic;
  scikit-image's biharmonic inpainting; the degraded input itself and
  scikit-image's TV and non-local-means denoisers), each on the same held-out inputs.
  The baselines are computed once per process and config.
style_content (style transfer): the style distance (Gram loss against the style
  image) of the stylised held-out images beside the same distance of the content
  images themselves, and LPIPS from each output to its content image.
"""

import functools

import jax
import numpy as np
from scipy import ndimage
from skimage import restoration as skrestoration

from gan_jax import images as images_lib
from gan_jax import perceptual
from gan_jax.errors import UserError
from gan_jax.metrics import image_quality
from gan_jax.resize import imresize
from gan_jax.sampling import translate_arrays

LPIPS_NET = 'alex'


@functools.lru_cache(maxsize=2)
def _lpips_fn(net: str):
  """(jitted LPIPS, its params): the params are an argument, not constants baked
  into the compiled program (58 MB for VGG: a slow compile)."""
  params = jax.device_put(perceptual.lpips_params(net))
  fn = jax.jit(functools.partial(perceptual.lpips, net=net))
  return fn, params


def lpips_distance(a, b, batch: int = 50) -> np.ndarray:
  """Per-image LPIPS (alex) of two numpy image sets in [-1, 1]. Images under 64 px
  are first upsampled to 64 (bilinear): AlexNet's stride-4 stem and three poolings
  leave nothing of smaller ones."""
  fn, params = _lpips_fn(LPIPS_NET)
  if a.shape[1] < 64 or a.shape[2] < 64:
    size = (64, 64)
    up = lambda x: np.asarray(jax.image.resize(x, (x.shape[0],) + size + x.shape[3:], 'linear'))
    a, b = up(a), up(b)
  return np.concatenate([np.asarray(fn(params, a[i:i + batch], b[i:i + batch]))
                         for i in range(0, len(a), batch)])


def _held_out(ctx):
  """The first config.eval.num_samples held-out examples."""
  return ctx.method.held_out(ctx.config.data, ctx.config.eval.num_samples)


def lpips_metric(images, ctx):
  del images
  method, ex = ctx.method, _held_out(ctx)
  out = translate_arrays(method, ctx.state, ctx.mesh, ex['a'], 'a2b', ctx.config.eval.batch_size)
  if method.paired:
    return {'lpips': float(np.mean(lpips_distance(out, ex['b']))),
            'lpips_identity': float(np.mean(lpips_distance(ex['a'], ex['b'])))}
  return {'lpips_to_input': float(np.mean(lpips_distance(out, ex['a'])))}


def style_content(images, ctx):
  del images
  method, state = ctx.method, ctx.state
  ex = _held_out(ctx)
  out = translate_arrays(method, state, ctx.mesh, ex['a'], 'a2b', ctx.config.eval.batch_size)
  distance = jax.jit(method.style_distance)
  style = lambda x: float(np.mean(np.concatenate(
      [np.asarray(distance(state, x[i:i + 50])) for i in range(0, len(x), 50)])))
  return {'style_distance': style(out), 'style_distance_content': style(ex['a']),
          'content_lpips': float(np.mean(lpips_distance(out, ex['a'])))}


def full_reference(prefix, x, target, y_border=None):
  """{prefix_psnr, prefix_ssim, prefix_lpips (, prefix_l1)} of x against target, both
  in [-1, 1], x rounded to 8 bits as a stored output image. y_border: on luma Y with
  that border cropped (the SR convention); None: on all channels, and the L1."""
  x8 = images_lib.to_uint8(x).astype(np.float64)
  t8 = images_lib.to_uint8(target).astype(np.float64)
  out = {}
  if y_border is None:
    out[f'{prefix}_psnr'] = float(np.mean(image_quality.psnr(x8, t8)))
    out[f'{prefix}_ssim'] = float(np.mean(image_quality.ssim(x8, t8)))
    out[f'{prefix}_l1'] = float(np.mean(np.abs(x8 - t8)) / 255.0)
  else:
    out[f'{prefix}_psnr_y'] = float(np.mean(image_quality.psnr_y(x8, t8, y_border)))
    out[f'{prefix}_ssim_y'] = float(np.mean(image_quality.ssim_y(x8, t8, y_border)))
  out[f'{prefix}_lpips'] = float(np.mean(lpips_distance(x, target)))
  return out


def _translate_held_out(ctx, metric: str, method: str):
  """The held-out examples and the method's outputs; `metric` is `method`'s own."""
  if ctx.config.method != method:
    raise UserError(f'config.eval.metrics entry {metric!r} measures method {method!r}, not '
                    f'{ctx.config.method!r}')
  ex = _held_out(ctx)
  out = translate_arrays(ctx.method, ctx.state, ctx.mesh, ex['a'], 'a2b',
                         ctx.config.eval.batch_size)
  return ex, out


_BASELINES = {}   # (baseline, data config as JSON, n) -> scores: computed once per process


def _baseline_scores(name, baseline, ctx, ex):
  """baseline(ex)'s scores, cached: they depend on the held-out data alone."""
  key = (name, ctx.config.data.to_json(sort_keys=True), len(ex['b']))
  if key not in _BASELINES:
    _BASELINES[key] = baseline(ex)
  return _BASELINES[key]


def biharmonic_fill(ex) -> np.ndarray:
  """scikit-image's biharmonic inpainting of held-out inputs (image with hole + mask
  channel), in [-1, 1]."""
  bad = ex['a']
  images, hole = (bad[..., :-1] + 1) / 2, bad[..., -1] > 0.5
  filled = np.stack([skrestoration.inpaint_biharmonic(x, m, channel_axis=-1)
                     for x, m in zip(images, hole)])
  return (filled * 2 - 1).astype(np.float32)


def noise_sigma(image) -> float:
  """Immerkaer's (1996) fast noise estimate of an (H, W, C) image, averaged over
  channels: sqrt(pi / 2) / (6 (W - 2) (H - 2)) sum |image * N|, N the 3 x 3
  difference of two Laplacians (blind to ramps)."""
  n = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float64)
  h, w = image.shape[:2]
  sums = [np.sum(np.abs(ndimage.convolve(image[..., c], n)[1:-1, 1:-1]))
          for c in range(image.shape[-1])]
  return float(np.mean(sums) * np.sqrt(np.pi / 2) / (6 * (w - 2) * (h - 2)))


def denoised(ex):
  """{'tv': ..., 'nl_means': ...}: scikit-image's TV (Chambolle, weight 0.1) and
  non-local-means (5 x 5 patches, h = 0.8 sigma, sigma estimated per image)
  denoisers of held-out degraded inputs, in [-1, 1]."""
  x = (ex['a'].astype(np.float64) + 1) / 2
  tv = np.stack([skrestoration.denoise_tv_chambolle(i, weight=0.1, channel_axis=-1) for i in x])
  nlm = []
  for i in x:
    sigma = noise_sigma(i)
    nlm.append(skrestoration.denoise_nl_means(i, h=0.8 * sigma, sigma=sigma, fast_mode=True,
                                              patch_size=5, patch_distance=6, channel_axis=-1))
  to_pm1 = lambda y: (np.clip(y, 0, 1) * 2 - 1).astype(np.float32)
  return {'tv': to_pm1(tv), 'nl_means': to_pm1(np.stack(nlm))}


def _biharmonic(ex):
  return full_reference('biharmonic', biharmonic_fill(ex), ex['b'])


def _denoisers(ex):
  out = full_reference('identity', ex['a'], ex['b'])
  for name, images in denoised(ex).items():
    out.update(full_reference(name, images, ex['b']))
  return out


def super_resolution(images, ctx):
  del images
  ex, sr = _translate_held_out(ctx, 'super_resolution', 'super_resolution')
  scale = ctx.config.data.sr_scale
  bicubic = np.clip(imresize(ex['a'], scale), -1, 1).astype(np.float32)
  out = full_reference('sr', sr, ex['b'], scale)
  out.update(full_reference('bicubic', bicubic, ex['b'], scale))
  return out


def _against_baselines(ctx, method, prefix, baselines):
  """The method's outputs on the held-out inputs, and the baselines' (cached) scores."""
  ex, outputs = _translate_held_out(ctx, method, method)
  out = full_reference(prefix, outputs, ex['b'])
  out.update(_baseline_scores(method, baselines, ctx, ex))
  return out


def inpainting(images, ctx):
  """Ours against scikit-image's biharmonic inpainting, on the same images and holes."""
  del images
  return _against_baselines(ctx, 'inpainting', 'inpaint', _biharmonic)


def restoration(images, ctx):
  """Ours against the degraded input and scikit-image's TV and non-local-means denoisers."""
  del images
  return _against_baselines(ctx, 'restoration', 'restored', _denoisers)
