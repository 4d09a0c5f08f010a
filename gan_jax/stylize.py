"""Optimisation-based neural style transfer (Gatys, Ecker & Bethge 2016, "Image
Style Transfer Using Convolutional Neural Networks", CVPR), as a pure function.

The image's pixels are optimised to match the content image's VGG features at
the content layers and the style image's Gram matrices at the style layers,
with a total-variation term for smoothness. The caller reads and writes files;
this module does not.

Choices and where they come from:
- Layers (Sec. 3): content 'conv4_2', style 'conv1_1', 'conv2_1', 'conv3_1',
  'conv4_1', 'conv5_1' of VGG19 with w_l = 1/5. Their Caffe ReLUs run in
  place, so those blobs are post-ReLU: our 'relu4_2' and 'reluB_1'. VGG16 has
  layers of the same names, so the defaults serve both networks.
- Pooling (Sec. 2): average instead of max pooling; pooling='max' keeps the
  trained network.
- Losses: gan_jax.perceptual (mean-squared feature difference; Grams normalised
  by C H W), so the weights are not the paper's alpha / beta (its losses are
  sums, its Caffe VGG saw 0-255 inputs). The defaults were chosen by eye:
  astronaut in the style of immunohistochemistry (scikit-image) at 128 and
  256 px, ImageNet VGG16, 30 L-BFGS steps; style_weight 10 barely stylises,
  1000 nearly erases the content. Content and style terms keep their size
  across image sizes; the TV term is a sum over pixels, so scale tv_weight by
  1 / (H W) to keep its effect.
- Optimiser: L-BFGS as in the paper (optax.lbfgs with its zoom line search) or
  Adam. Adam's iterates are clipped to [0, 1] after every step (projected
  Adam); L-BFGS runs unconstrained (clipping would corrupt its curvature
  pairs) and its result is clipped.
- Start: the content image (init='content', the usual choice of ports) or
  uniform noise (init='noise', the paper's white-noise start).
"""

from typing import Callable, Mapping, Optional, Sequence, Tuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax import perceptual
from gan_jax.errors import UserError
from gan_jax.models import vgg

CONTENT_LAYERS = ('relu4_2',)
STYLE_LAYERS = ('relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1')
OPTIMIZERS = ('lbfgs', 'adam')


def _image(x, name: str) -> jnp.ndarray:
  x = np.asarray(x, np.float32)
  if x.ndim == 3:
    x = x[None]
  if x.ndim != 4 or x.shape[0] != 1 or x.shape[-1] != 3:
    raise UserError(f'the {name} image has shape {x.shape}; expected (H, W, 3) RGB')
  if x.min() < 0 or x.max() > 1:
    raise UserError(f'the {name} image has values in [{x.min():.3g}, {x.max():.3g}]; expected '
                    '[0, 1] floats (divide uint8 images by 255)')
  return jnp.asarray(x)


def stylize(content, style, vgg_params, *,
            content_layers: Sequence[str] = CONTENT_LAYERS,
            style_layers: Sequence[str] = STYLE_LAYERS,
            style_layer_weights: Optional[Mapping[str, float]] = None,
            content_weight: float = 1.0, style_weight: float = 1e2, tv_weight: float = 1e-4,
            steps: int = 300, optimizer: str = 'lbfgs', learning_rate: Optional[float] = None,
            init: str = 'content', pooling: str = 'avg', seed: int = 0,
            callback: Optional[Callable[[int, float, jax.Array], None]] = None,
            ) -> Tuple[np.ndarray, np.ndarray]:
  """Gatys et al. style transfer of `content` (H, W, 3) in the style of `style`.

  Args:
    content, style: RGB float images in [0, 1], (H, W, 3) or (1, H, W, 3); the
      style image may have another size.
    vgg_params: VGG16 or VGG19 params (gan_jax.models.vgg loaders).
    content_layers, style_layers: VGG layer names (see module docstring).
    style_layer_weights: per style layer; default 1 / len(style_layers).
    content_weight, style_weight, tv_weight: the three loss weights.
    steps: optimiser steps (each L-BFGS step may evaluate the loss several times
      in its line search).
    optimizer: 'lbfgs' or 'adam'.
    learning_rate: Adam's step size (default 0.02 in [0, 1] pixel units); for
      L-BFGS a fixed step instead of the line search's scale (default None:
      line search).
    init: 'content' or 'noise'.
    pooling: 'avg' (the paper) or 'max'.
    seed: for init='noise'.
    callback: called as callback(i, loss_i, image_i) for every iterate i <
      steps before its update (image on the device, (1, H, W, 3)).

  Returns:
    (image (H, W, 3) float32 in [0, 1], losses (steps + 1,)): losses[i] is the
    total loss of iterate i; the last one is the returned image's.
  """
  if optimizer not in OPTIMIZERS:
    raise UserError(f'optimizer={optimizer!r}; known: {", ".join(OPTIMIZERS)}')
  if init not in ('content', 'noise'):
    raise UserError(f'init={init!r}; expected content or noise')
  content, style = _image(content, 'content'), _image(style, 'style')
  content_layers, style_layers = tuple(content_layers), tuple(style_layers)
  if style_layer_weights is None:
    style_layer_weights = {n: 1.0 / len(style_layers) for n in style_layers}
  net = vgg.VGG(vgg.arch_of(vgg_params), tuple(dict.fromkeys(content_layers + style_layers)),
                pooling=pooling)

  @jax.jit
  def targets(params, content, style):
    c = net.apply({'params': params}, content)
    s = net.apply({'params': params}, style)
    return ({n: c[n] for n in content_layers},
            {n: perceptual.gram_matrix(s[n]) for n in style_layers})

  def total_loss(x, params, content_t, style_t):
    f = net.apply({'params': params}, x)
    return (content_weight * perceptual.content_loss(f, content_t, content_layers)
            + style_weight * perceptual.style_loss(f, style_t, style_layers, style_layer_weights)
            + tv_weight * perceptual.total_variation(x))

  if optimizer == 'adam':
    opt = optax.adam(0.02 if learning_rate is None else learning_rate)

    def step(x, opt_state, params, content_t, style_t):
      loss, grad = jax.value_and_grad(total_loss)(x, params, content_t, style_t)
      updates, opt_state = opt.update(grad, opt_state, x)
      return jnp.clip(optax.apply_updates(x, updates), 0.0, 1.0), opt_state, loss
  else:
    opt = optax.lbfgs(learning_rate)

    def step(x, opt_state, params, content_t, style_t):
      fn = lambda y: total_loss(y, params, content_t, style_t)  # noqa: E731
      loss, grad = optax.value_and_grad_from_state(fn)(x, state=opt_state)
      updates, opt_state = opt.update(grad, opt_state, x, value=loss, grad=grad, value_fn=fn)
      return optax.apply_updates(x, updates), opt_state, loss

  content_t, style_t = targets(vgg_params, content, style)
  if init == 'content':
    x = content
  else:
    x = jax.random.uniform(jax.random.PRNGKey(seed), content.shape, jnp.float32)
  opt_state = opt.init(x)
  step = jax.jit(step)
  losses = []
  for i in range(steps):
    new_x, opt_state, loss = step(x, opt_state, vgg_params, content_t, style_t)
    if callback is not None:
      callback(i, float(loss), x)
    x = new_x
    losses.append(loss)
  x = jnp.clip(x, 0.0, 1.0)
  losses.append(jax.jit(total_loss)(x, vgg_params, content_t, style_t))
  return np.asarray(x[0]), np.asarray(jnp.stack(losses), np.float32)
