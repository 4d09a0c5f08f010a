"""What the image-to-image translation methods (pix2pix, CycleGAN) share: their
two-domain data, the sample grids (input, output, target rows from held-out
pairs), and the `translate` entry point of --mode=translate and of the
translation metrics. They have no noise input: --mode=sample does not apply.
"""

import jax.numpy as jnp
import numpy as np

from gan_jax import losses, models
from gan_jax.data import translation as data_lib
from gan_jax.errors import UserError
from gan_jax.methods.common import make_optimizer

# The metrics that read a translator (gan_jax/metrics/translation.py).
TRANSLATION_METRICS = ('digits_translation', 'paired_l1_psnr')


def variables(params, batch_stats):
  return {'params': params, 'batch_stats': batch_stats} if batch_stats else {'params': params}


class Translator:
  translates = True
  paired = False
  directions = ('a2b', 'b2a')

  def __init__(self, config, info):
    self.config, self.info = config, info
    if info.image_shape[0] != info.image_shape[1]:
      raise UserError(f'translation needs square images; got {info.image_shape}')
    bad = [m for m in config.eval.metrics if m not in TRANSLATION_METRICS]
    if bad:
      raise UserError(f'config.eval.metrics has {bad}, which measure sampled images; for '
                      f'translation methods allowed: {TRANSLATION_METRICS}')
    self.generator = models.GENERATORS.get(config.model.generator)(config.model, info)
    self.discriminator = models.DISCRIMINATORS.get(config.model.discriminator)(config.model, info)
    self.criterion = losses.patch_criterion(config.loss.adversarial)
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
    return (data_lib.paired_source if cls.paired else data_lib.unpaired_source)(data_config)

  @classmethod
  def check_source(cls, source: str) -> None:
    data_lib.check_translation_source(source, cls.paired)

  @classmethod
  def held_out(cls, config, n=None):
    """The test split at the training resolution (no crop): {'a', 'b', 'label', 'label_b'}."""
    cfg = config.data.copy_and_resolve_references()
    with cfg.unlocked():
      cfg.split, cfg.load_size, cfg.max_examples = 'test', 0, 0
    source = cls.build_source(cfg)
    idx = np.arange(len(source) if n is None else min(n, len(source)))
    b = source.get(idx)
    from gan_jax.data.pipeline import to_float  # pylint: disable=g-import-not-at-top
    return {'a': to_float(b['image']), 'b': to_float(b['image_b']), 'label': b['label'],
            'label_b': b['label_b']}

  # -- sampling --------------------------------------------------------------------
  def sample_inputs(self, rng, n, labels=None):
    raise UserError(f'{self.config.method} translates images and has no noise input: use '
                    '--mode=translate --input=DIR --output=DIR --direction=a2b|b2a')

  def grid_inputs(self, config, n: int):
    """n held-out examples; the grid shows rows of (a, G(a), b, F(b) or the target)."""
    ex = self.held_out(config, max(1, n // 4))
    return {'a': jnp.asarray(ex['a']), 'b': jnp.asarray(ex['b'])}

  def generate(self, state, inputs):
    a, b = inputs['a'], inputs['b']
    if self.paired:
      out = [a, self.translate(state, a, 'a2b'), b]
      out.append(jnp.abs(out[1] - b) * 2 - 1)  # |error|, black = exact
    else:
      out = [a, self.translate(state, a, 'a2b'), b, self.translate(state, b, 'b2a')]
    return jnp.stack(out, axis=1).reshape((-1,) + a.shape[1:])

  def check_direction(self, direction: str) -> None:
    if direction not in self.directions:
      raise UserError(f'--direction={direction!r}; {self.config.method} translates '
                      f'{" and ".join(self.directions)}')

  def translate(self, state, images, direction: str):
    raise NotImplementedError

  def generators(self, state) -> dict:
    """{direction: params} for --mode=summary."""
    raise NotImplementedError

