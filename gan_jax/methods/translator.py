"""What the image-to-image translation methods (pix2pix, CycleGAN) share: their
networks and optimizers from config, their two-domain data, the train-mode
forward pass, and the sample-grid rows (input, output, target) of held-out pairs.
They have no noise input."""

import jax.numpy as jnp

from gan_jax import losses
from gan_jax.data import two_domain
from gan_jax.errors import UserError
from gan_jax.methods.base import TranslatesImages
from gan_jax.methods.network import variables
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.models.registry import DISCRIMINATORS, GENERATORS


class Translator(TranslatesImages):
  batch_keys = ('image', 'label', 'image_b', 'label_b')  # domains A and B

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    if info.image_shape[0] != info.image_shape[1]:
      raise UserError(f'translation needs square images; got {info.image_shape}')
    self.generator = GENERATORS.get(config.model.generator)(config.model, info)
    self.discriminator = DISCRIMINATORS.get(config.model.discriminator)(config.model, info)
    self.criterion = losses.PATCH_CRITERIA.get(config.loss.adversarial)
    # One optimizer for the generator(s), one for the discriminator(s); the 'epochs'
    # schedule counts epochs of ceil(examples / batch) steps.
    tc = config.train
    steps_per_epoch = -(-info.num_examples // tc.batch_size) if info.num_examples else 0
    self.g_opt = make_optimizer(config.optim.g, 'g', tc.num_steps, steps_per_epoch)
    self.d_opt = make_optimizer(config.optim.d, 'd', tc.num_steps, steps_per_epoch)

  @staticmethod
  def apply_train(module, params, batch_stats, x, key):
    """Train-mode forward (dropout from key); returns (output, updated batch statistics)."""
    rngs = {'dropout': key}
    if batch_stats:
      out, upd = module.apply(variables(params, batch_stats), x, train=True, rngs=rngs,
                              mutable=['batch_stats'])
      return out, upd['batch_stats']
    return module.apply({'params': params}, x, train=True, rngs=rngs), batch_stats

  # -- data ----------------------------------------------------------------------
  @classmethod
  def build_source(cls, data_config):
    return (two_domain.paired_source if cls.paired else two_domain.unpaired_source)(data_config)

  @classmethod
  def check_source(cls, source: str) -> None:
    two_domain.check_translation_source(source, cls.paired)

  @classmethod
  def held_out(cls, data_config, n=None):
    return two_domain.held_out(data_config, cls.paired, n)

  @classmethod
  def check_config(cls, config) -> None:
    super().check_config(config)
    GENERATORS.get(config.model.generator)
    DISCRIMINATORS.get(config.model.discriminator)
    losses.PATCH_CRITERIA.get(config.loss.adversarial)

  # -- sample grids ----------------------------------------------------------------
  def preview(self, state, inputs):
    """Rows of (a, a2b(a), b, b2a(b)) for held-out {'a', 'b'}; paired: (a, G(a), b, |G(a) - b|)."""
    a, b = inputs['a'], inputs['b']
    if self.paired:
      out = [a, self.translate(state, a, 'a2b'), b]
      out.append(jnp.abs(out[1] - b) * 2 - 1)  # |error|, black = exact
    else:
      out = [a, self.translate(state, a, 'a2b'), b, self.translate(state, b, 'b2a')]
    return jnp.stack(out, axis=1).reshape((-1,) + a.shape[1:])
