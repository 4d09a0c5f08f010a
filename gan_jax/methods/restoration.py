"""`restoration`: old-photo restoration as paired translation. Each step degrades
its clean batch itself (gan_jax/degrade.py: fading, blur, low resolution,
scratches, dust, film grain, noise, JPEG; config.data.degrade), one draw per
image from the step's key, so the pairs are decided by (seed, step) and never
repeat. The network and losses are super_resolution's at scale 1 (the SRResNet
generator without upsampling: pixel loss, VGG content loss, adversarial loss),
which the issue allows in place of pix2pix's U-Net: a residual network starts
at the identity, what a restorer of mostly intact photos should be near.

With model.prefill='tv' the network is a Corrector (gan_jax/models/srgan.py): it
reads the photo and its total-variation denoising (gan_jax/tv_denoise.py,
scikit-image's Chambolle at weight 0.1 on [0, 1] images, the classical baseline
of the metric) and learns a correction added to the latter, starting from zero.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import degrade
from gan_jax.data import sources
from gan_jax.errors import UserError
from gan_jax.methods.super_resolution import SuperResolution
from gan_jax.models import srgan
from gan_jax.tv_denoise import tv_denoise

HELD_OUT_KEY = 0x01D9       # held-out degradations are the same for every run of a config
DEGRADE_FIELDS = tuple(f'data.degrade.{name}.{k}' for name in degrade.ORDER
                       for k in ('p', 'min', 'max'))


PREFILLS = ('none', 'tv')
TV_WEIGHT = 0.1             # on [0, 1] images, as the restoration metric's TV baseline


def tv_prefill(images):
  """TV denoising of images in [-1, 1], done on [0, 1] as scikit-image's baseline."""
  return tv_denoise((images + 1) / 2, TV_WEIGHT) * 2 - 1


class Restoration(SuperResolution):
  reads = (tuple(f for f in SuperResolution.reads if f != 'data.sr_scale') + DEGRADE_FIELDS
           + ('model.prefill',))

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    if config.model.prefill == 'tv':
      self.generator = srgan.Corrector(tv_prefill, info.image_shape[-1], config.model.g_width,
                                       config.model.g_blocks)

  @staticmethod
  def scale_of(config) -> int:
    degrade.check(config.data.degrade)
    if config.model.prefill not in PREFILLS:
      raise UserError(f'config.model.prefill={config.model.prefill!r}; allowed: '
                      f'{", ".join(PREFILLS)}')
    return 1

  @classmethod
  def check_config(cls, config) -> None:
    super().check_config(config)
    cls.scale_of(config)          # the degradations and model.prefill

  def inputs(self, targets, key):
    return degrade.degrade(jax.random.fold_in(key, 0xD16), targets, self.config.data.degrade)

  def baseline(self, inputs):
    return inputs            # the degraded photo itself

  @classmethod
  def held_out(cls, data_config, n=None):
    """The test split's clean images ('b') and their degraded copies ('a')."""
    clean = sources.held_out_images(data_config, n)
    # One compiled program: op by op (eager) it took 17 s for a smoke run's 16 images.
    bad = jax.jit(lambda k, x: degrade.degrade(k, x, data_config.degrade))(
        jax.random.PRNGKey(HELD_OUT_KEY), jnp.asarray(clean))
    return {'a': np.asarray(bad), 'b': clean}
