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
import optax

from gan_jax import losses
from gan_jax.methods import METHODS
from gan_jax.methods.translation import Translator, variables


@flax.struct.dataclass
class Pix2PixState:
  step: jax.Array
  rng: jax.Array
  g_params: dict
  g_batch_stats: dict
  d_params: dict
  d_batch_stats: dict
  g_opt_state: optax.OptState
  d_opt_state: optax.OptState


@METHODS.register('pix2pix')
class Pix2Pix(Translator):
  paired = True
  directions = ('a2b',)

  def __init__(self, config, info):
    super().__init__(config, info)
    self.l1_weight = config.loss.l1_weight

  def init(self, rng) -> Pix2PixState:
    g_key, d_key, run_key = jax.random.split(rng, 3)
    x = jnp.zeros((1,) + tuple(self.info.image_shape), jnp.float32)
    g = self.generator.init({'params': g_key, 'dropout': g_key}, x, train=False)
    d = self.discriminator.init(d_key, jnp.concatenate([x, x], axis=-1), train=False)
    return Pix2PixState(
        step=jnp.zeros((), jnp.int32), rng=run_key,
        g_params=g['params'], g_batch_stats=g.get('batch_stats', {}),
        d_params=d['params'], d_batch_stats=d.get('batch_stats', {}),
        g_opt_state=self.g_opt.init(g['params']), d_opt_state=self.d_opt.init(d['params']))

  def networks(self, state):
    return {'generator': state.g_params, 'discriminator': state.d_params}

  def translate(self, state, images, direction: str = 'a2b'):
    """Each image as a batch of its own, in training mode (paper, sec. 6.2); the
    running statistics are left untouched and the dropout key is fixed."""
    self.check_direction(direction)
    key = jax.random.PRNGKey(0x7E57)

    def one(x):
      out, _ = self.generator.apply(variables(state.g_params, state.g_batch_stats), x[None],
                                    train=True, rngs={'dropout': key}, mutable=['batch_stats'])
      return out[0]
    return jax.vmap(one)(images)

  def train_step(self, state: Pix2PixState, batch):
    rng = jax.random.fold_in(state.rng, state.step)
    k_drop, k_d = jax.random.split(rng)
    a, b = batch['image'], batch['image_b']
    crit = self.criterion
    pair = lambda x, y: jnp.concatenate([x, y], axis=-1)

    fake_for_d, _ = self.apply_train(self.generator, state.g_params, state.g_batch_stats, a, k_drop)
    fake_for_d = jax.lax.stop_gradient(fake_for_d)

    def d_loss_fn(d_params):
      r, bs = self.apply_train(self.discriminator, d_params, state.d_batch_stats, pair(a, b), k_d)
      f, bs = self.apply_train(self.discriminator, d_params, bs, pair(a, fake_for_d), k_d)
      return 0.5 * (crit(r, True) + crit(f, False)), (bs, jnp.mean(r), jnp.mean(f))

    (d_loss, (d_bs, d_real, d_fake)), d_grads = jax.value_and_grad(
        d_loss_fn, has_aux=True)(state.d_params)
    d_updates, d_opt_state = self.d_opt.update(d_grads, state.d_opt_state, state.d_params)
    d_params = optax.apply_updates(state.d_params, d_updates)

    def g_loss_fn(g_params):
      fake, g_bs = self.apply_train(self.generator, g_params, state.g_batch_stats, a, k_drop)
      out, _ = self.apply_train(self.discriminator, d_params, d_bs, pair(a, fake), k_d)
      adv, l1 = crit(out, True), losses.l1(fake, b)
      return adv + self.l1_weight * l1, (g_bs, adv, l1)

    (g_loss, (g_bs, g_adv, g_l1)), g_grads = jax.value_and_grad(
        g_loss_fn, has_aux=True)(state.g_params)
    g_updates, g_opt_state = self.g_opt.update(g_grads, state.g_opt_state, state.g_params)
    g_params = optax.apply_updates(state.g_params, g_updates)

    new_state = state.replace(step=state.step + 1, g_params=g_params, g_batch_stats=g_bs,
                              d_params=d_params, d_batch_stats=d_bs, g_opt_state=g_opt_state,
                              d_opt_state=d_opt_state)
    metrics = {'g_loss': g_loss, 'g_adv': g_adv, 'l1': g_l1, 'd_loss': d_loss, 'd_real': d_real,
               'd_fake': d_fake, 'g_grad_norm': optax.tree.norm(g_grads),
               'd_grad_norm': optax.tree.norm(d_grads)}
    return new_state, metrics
