"""`restoration`: old-photo restoration as paired translation. Each step degrades
its clean batch itself (gan_jax/degrade.py: fading, blur, low resolution,
scratches, dust, film grain, noise, JPEG; config.data.degrade), one draw per
image from the step's key, so the pairs are decided by (seed, step) and never
repeat. The network and losses are super_resolution's at scale 1 (the SRResNet
generator without upsampling: pixel loss, VGG content loss, adversarial loss),
which the issue allows in place of pix2pix's U-Net: a residual network starts
at the identity, what a restorer of mostly intact photos should be near.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import degrade
from gan_jax.data import sources
from gan_jax.methods.super_resolution import SuperResolution

HELD_OUT_KEY = 0x01D9       # held-out degradations are the same for every run of a config
DEGRADE_FIELDS = tuple(f'data.degrade.{name}.{k}' for name in degrade.ORDER
                       for k in ('p', 'min', 'max'))


class Restoration(SuperResolution):
  reads = tuple(f for f in SuperResolution.reads if f != 'data.sr_scale') + DEGRADE_FIELDS

  @staticmethod
  def scale_of(config) -> int:
    degrade.check(config.data.degrade)
    return 1

  @classmethod
  def check_config(cls, config) -> None:
    super().check_config(config)
    degrade.check(config.data.degrade)

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
