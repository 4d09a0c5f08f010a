"""`gan`: one generator, one discriminator, alternating updates.

Serves the original GAN, DCGAN and their relatives: the networks, the
adversarial loss and the optimizers all come from the config. Per step: D is
updated on a real batch and G(z), then G is updated against the new D on the
same z (as the reference DCGAN code does). G's BatchNorm statistics are updated
once per step; an EMA of G's weights is kept when config.ema.decay > 0.
"""

import flax
import jax
import jax.numpy as jnp
import optax

from gan_jax import losses, models
from gan_jax.methods import METHODS
from gan_jax.methods.common import DataInfo, ema_update, make_optimizer


@flax.struct.dataclass
class GANState:
  step: jax.Array
  rng: jax.Array
  g_params: dict
  g_batch_stats: dict
  d_params: dict
  d_batch_stats: dict
  g_opt_state: optax.OptState
  d_opt_state: optax.OptState
  ema_params: dict


def _variables(params, batch_stats):
  return {'params': params, 'batch_stats': batch_stats} if batch_stats else {'params': params}


@METHODS.register('gan')
class GAN:
  conditional = False  # samples ignore labels

  def __init__(self, config, info: DataInfo):
    self.config, self.info = config, info
    self.generator = models.GENERATORS.get(config.model.generator)(config.model, info.image_shape)
    self.discriminator = models.DISCRIMINATORS.get(config.model.discriminator)(
        config.model, info.image_shape)
    self.loss = losses.ADVERSARIAL_LOSSES.get(config.loss.adversarial)
    self.g_opt = make_optimizer(config.optim.g, 'g')
    self.d_opt = make_optimizer(config.optim.d, 'd')
    self.z_dim = config.model.z_dim
    self.smoothing = config.loss.label_smoothing
    self.ema_decay = config.ema.decay

  # -- state -----------------------------------------------------------------
  def init(self, rng) -> GANState:
    g_key, d_key, run_key = jax.random.split(rng, 3)
    z = jnp.zeros((2, self.z_dim), jnp.float32)
    x = jnp.zeros((2,) + tuple(self.info.image_shape), jnp.float32)
    g_vars = self.generator.init(g_key, z, train=False)
    d_vars = self.discriminator.init(d_key, x, train=False)
    g_params, d_params = g_vars['params'], d_vars['params']
    return GANState(
        step=jnp.zeros((), jnp.int32), rng=run_key,
        g_params=g_params, g_batch_stats=g_vars.get('batch_stats', {}),
        d_params=d_params, d_batch_stats=d_vars.get('batch_stats', {}),
        g_opt_state=self.g_opt.init(g_params), d_opt_state=self.d_opt.init(d_params),
        # A copy, not an alias: the state is donated to the step, leaf by leaf.
        ema_params=jax.tree.map(jnp.copy, g_params) if self.ema_decay > 0 else {})

  def networks(self, state):
    return {'generator': state.g_params, 'discriminator': state.d_params}

  # -- sampling --------------------------------------------------------------
  def sample_inputs(self, rng, n, labels=None):
    del labels  # unconditional
    return {'z': jax.random.normal(rng, (n, self.z_dim), jnp.float32)}

  def generate(self, state, inputs):
    params = state.ema_params if self.ema_decay > 0 else state.g_params
    return self.generator.apply(_variables(params, state.g_batch_stats), inputs['z'], train=False)

  # -- training --------------------------------------------------------------
  def _g_forward(self, params, batch_stats, z):
    if batch_stats:
      fake, upd = self.generator.apply(_variables(params, batch_stats), z, train=True,
                                       mutable=['batch_stats'])
      return fake, upd['batch_stats']
    return self.generator.apply({'params': params}, z, train=True), batch_stats

  def _d_forward(self, params, batch_stats, x):
    if batch_stats:
      out, upd = self.discriminator.apply(_variables(params, batch_stats), x, train=True,
                                          mutable=['batch_stats'])
      return out, upd['batch_stats']
    return self.discriminator.apply({'params': params}, x, train=True), batch_stats

  def _d_prob(self, out):
    return jnp.mean(jax.nn.sigmoid(out)) if self.loss.probabilistic else jnp.mean(out)

  def train_step(self, state: GANState, batch):
    rng = jax.random.fold_in(state.rng, state.step)
    real = batch['image']
    z = jax.random.normal(rng, (real.shape[0], self.z_dim), jnp.float32)

    # Discriminator update on real and G(z); G's statistics from this pass are dropped
    # so that they are updated once per step, in the G update below.
    fake, _ = self._g_forward(state.g_params, state.g_batch_stats, z)
    fake = jax.lax.stop_gradient(fake)

    def d_loss_fn(d_params):
      real_out, bs = self._d_forward(d_params, state.d_batch_stats, real)
      fake_out, bs = self._d_forward(d_params, bs, fake)
      loss = self.loss.d_loss(real_out, fake_out, self.smoothing)
      return loss, (bs, real_out, fake_out)

    (d_loss, (d_bs, real_out, fake_out)), d_grads = jax.value_and_grad(
        d_loss_fn, has_aux=True)(state.d_params)
    d_updates, d_opt_state = self.d_opt.update(d_grads, state.d_opt_state, state.d_params)
    d_params = optax.apply_updates(state.d_params, d_updates)

    # Generator update against the updated discriminator, on the same z.
    def g_loss_fn(g_params):
      fake, g_bs = self._g_forward(g_params, state.g_batch_stats, z)
      fake_out, bs = self._d_forward(d_params, d_bs, fake)
      return self.loss.g_loss(fake_out), (g_bs, bs)

    (g_loss, (g_bs, d_bs)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.g_params)
    g_updates, g_opt_state = self.g_opt.update(g_grads, state.g_opt_state, state.g_params)
    g_params = optax.apply_updates(state.g_params, g_updates)

    ema = ema_update(state.ema_params, g_params, self.ema_decay) if self.ema_decay > 0 else {}
    new_state = state.replace(
        step=state.step + 1, g_params=g_params, g_batch_stats=g_bs, d_params=d_params,
        d_batch_stats=d_bs, g_opt_state=g_opt_state, d_opt_state=d_opt_state, ema_params=ema)
    metrics = {
        'd_loss': d_loss, 'g_loss': g_loss,
        'd_real': self._d_prob(real_out), 'd_fake': self._d_prob(fake_out),
        'd_grad_norm': optax.tree.norm(d_grads), 'g_grad_norm': optax.tree.norm(g_grads),
    }
    return new_state, metrics
