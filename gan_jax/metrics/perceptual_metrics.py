"""Perceptual metrics of translators on their first eval.num_samples held-out examples.

lpips: LPIPS v0.1 (AlexNet, the lpips package's default) between each output and
  its reference: the target for paired methods (beside the identity baseline,
  input against target), the input itself otherwise (how much of the content
  survives: 0 = untouched).
style_content (style transfer): the style distance (Gram loss against the style
  image) of the stylised held-out images beside the same distance of the content
  images themselves, and LPIPS from each output to its content image.
"""

import functools

import jax
import numpy as np

from gan_jax import images as images_lib
from gan_jax import perceptual
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


def super_resolution(images, ctx):
  del images
  method, ex = ctx.method, _held_out(ctx)
  scale = ctx.config.data.sr_scale
  sr = translate_arrays(method, ctx.state, ctx.mesh, ex['a'], 'a2b', ctx.config.eval.batch_size)
  bicubic = np.clip(imresize(ex['a'], scale), -1, 1).astype(np.float32)
  hr8 = images_lib.to_uint8(ex['b']).astype(np.float64)
  out = {}
  for name, x in (('sr', sr), ('bicubic', bicubic)):
    x8 = images_lib.to_uint8(x).astype(np.float64)   # as a stored output image
    out[f'{name}_psnr_y'] = float(np.mean(image_quality.psnr_y(x8, hr8, scale)))
    out[f'{name}_ssim_y'] = float(np.mean(image_quality.ssim_y(x8, hr8, scale)))
    out[f'{name}_lpips'] = float(np.mean(lpips_distance(x, ex['b'])))
  return out

