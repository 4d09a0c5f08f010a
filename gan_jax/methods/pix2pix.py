"""`pix2pix` (Isola et al. 2017): paired translation A -> B with a U-Net
generator and a conditional PatchGAN that judges (A, B) pairs concatenated
on the channel axis, as the official PyTorch code trains it.

Per step (official order): the D update on (A, B) against (A, G(A)) with loss
0.5 * (c(real, 1) + c(fake, 0)); then the G update against the updated D:
c(D(A, G(A)), 1) + lambda_L1 * |G(A) - B|_1 (lambda 100). G's dropout is its
noise; G(A) is the same forward pass in both updates (same dropout key).

At test time the paper (sec. 3.1, 6.2) runs G exactly as in training:
dropout on and batch norm with the statistics of the test image itself; the
official test.py does the same unless --eval is given. `translate` follows
the paper, each image on its own.
"""

import flax
import jax
import jax.numpy as jnp

from gan_jax import losses
from gan_jax.methods.network import NetworkState
from gan_jax.methods.phases import Phase
from gan_jax.methods.translator import Translator


@flax.struct.dataclass
class Pix2PixState:
  step: jax.Array
  rng: jax.Array
  g: NetworkState
  d: NetworkState


def _pair(x, y):
  return jnp.concatenate([x, y], axis=-1)


class Pix2Pix(Translator):
  paired = True
  directions = ('a2b',)
  reads = ('loss.l1_weight',)

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    self.l1_weight = config.loss.l1_weight

  def init(self, rng) -> Pix2PixState:
    g_key, d_key, run_key = jax.random.split(rng, 3)
    x = jnp.zeros((1,) + tuple(self.info.image_shape), jnp.float32)
    g = self.generator.init({'params': g_key, 'dropout': g_key}, x, train=False)
    d = self.discriminator.init(d_key, _pair(x, x), train=False)
    return Pix2PixState(step=jnp.zeros((), jnp.int32), rng=run_key,
                        g=NetworkState.create(g, self.g_opt), d=NetworkState.create(d, self.d_opt))

  def networks(self, state):
    return {'generator': state.g.params, 'discriminator': state.d.params}

  def translate(self, state, images, direction: str = 'a2b'):
    """Each image as a batch of its own, in training mode (paper, sec. 6.2); the
    running statistics are left untouched and the dropout key is fixed."""
    self.check_direction(direction)
    key = jax.random.PRNGKey(0x7E57)

    def one(x):
      out, _ = self.generator.apply(state.g.variables(), x[None], train=True,
                                    rngs={'dropout': key}, mutable=['batch_stats'])
      return out[0]
    return jax.vmap(one)(images)

  # -- training ------------------------------------------------------------------
  def phases(self):
    return [Phase('d', 'd', self._d_loss), Phase('g', 'g', self._g_loss)]

  def _d_loss(self, state, inp):
    k_drop, k_d = jax.random.split(inp.rng)
    a, b = inp.batch['image'], inp.batch['image_b']
    fake, _ = self.apply_train(self.generator, state.g.params, state.g.batch_stats, a, k_drop)
    fake = jax.lax.stop_gradient(fake)
    d = state.d
    r, bs = self.apply_train(self.discriminator, d.params, d.batch_stats, _pair(a, b), k_d)
    f, bs = self.apply_train(self.discriminator, d.params, bs, _pair(a, fake), k_d)
    loss = 0.5 * (self.criterion(r, True) + self.criterion(f, False))
    metrics = {'d_loss': loss, 'd_real': jnp.mean(r), 'd_fake': jnp.mean(f)}
    return loss, (state.replace(d=d.replace(batch_stats=bs)), metrics, inp.carry)

  def _g_loss(self, state, inp):
    k_drop, k_d = jax.random.split(inp.rng)
    a, b = inp.batch['image'], inp.batch['image_b']
    fake, g_bs = self.apply_train(self.generator, state.g.params, state.g.batch_stats, a, k_drop)
    out, _ = self.apply_train(self.discriminator, state.d.params, state.d.batch_stats,
                              _pair(a, fake), k_d)
    adv, l1 = self.criterion(out, True), losses.l1(fake, b)
    loss = adv + self.l1_weight * l1
    metrics = {'g_loss': loss, 'g_adv': adv, 'l1': l1}
    return loss, (state.replace(g=state.g.replace(batch_stats=g_bs)), metrics, inp.carry)
