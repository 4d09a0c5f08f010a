"""`gan`: one generator, one discriminator, alternating updates.

Serves the original GAN, DCGAN, cGAN, WGAN, WGAN-GP, SNGAN and cGAN-PD: the
networks, the adversarial loss, the penalties and the optimizers all come from
the config. Per step: `train.n_critic` D updates, each on its own real batch
and fresh G(z) (WGAN, alg. 1), then one G update against the updated D. G's
BatchNorm statistics are updated once per step, in the G update; an EMA of G's
weights is kept when config.ema.decay > 0.

Options: one-sided label smoothing, WGAN-GP (`loss.gradient_penalty`), R1
(`loss.r1_gamma`, lazily every `loss.r1_every` D steps), weight clipping
(`optim.d.weight_clip`), DiffAugment on everything D sees (`augment.policy`),
class-conditional networks (`model.conditional`; fake labels drawn uniformly),
TTUR (separate `optim.g.lr` and `optim.d.lr`), linear LR decay.
"""

import flax
import jax
import jax.numpy as jnp
import optax

from gan_jax import augment, losses, models
from gan_jax.errors import UserError
from gan_jax.methods import METHODS
from gan_jax.methods.common import DataInfo, clip_weights, ema_update, make_optimizer


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

  def __init__(self, config, info: DataInfo):
    self.config, self.info = config, info
    self.conditional = bool(config.model.conditional)
    if self.conditional and not info.num_classes:
      raise UserError(f'config.model.conditional=True, but data.source={config.data.source!r} '
                      'has no class labels (use a labelled source, e.g. class subfolders)')
    self.num_classes = info.num_classes if self.conditional else 0
    self.generator = models.GENERATORS.get(config.model.generator)(config.model, info)
    self.discriminator = models.DISCRIMINATORS.get(config.model.discriminator)(config.model, info)
    self.loss = losses.ADVERSARIAL_LOSSES.get(config.loss.adversarial)
    tc = config.train
    self.n_critic = tc.n_critic
    self.batches_per_step = tc.n_critic  # the loop feeds n_critic real batches per step
    self.g_opt = make_optimizer(config.optim.g, 'g', tc.num_steps)
    self.d_opt = make_optimizer(config.optim.d, 'd', tc.num_steps * tc.n_critic)
    self.z_dim = config.model.z_dim
    self.smoothing = config.loss.label_smoothing
    self.gp, self.r1_gamma, self.r1_every = (config.loss.gradient_penalty, config.loss.r1_gamma,
                                             config.loss.r1_every)
    self.d_clip, self.g_clip = config.optim.d.weight_clip, config.optim.g.weight_clip
    self.policy = config.augment.policy
    self.ema_decay = config.ema.decay
    if (self.gp or self.r1_gamma) and config.model.d_batchnorm and config.model.discriminator == 'dcgan':
      raise UserError('gradient penalties need per-sample gradients, which BatchNorm in D breaks; '
                      'set --config.model.d_batchnorm=False')

  # -- state -----------------------------------------------------------------
  def init(self, rng) -> GANState:
    g_key, d_key, run_key = jax.random.split(rng, 3)
    z = jnp.zeros((2, self.z_dim), jnp.float32)
    y = jnp.zeros((2,), jnp.int32)
    x = jnp.zeros((2,) + tuple(self.info.image_shape), jnp.float32)
    g_vars = self.generator.init(g_key, z, y, train=False)
    d_vars = self.discriminator.init(d_key, x, y, train=False)
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
    z_key, y_key = jax.random.split(rng)
    inputs = {'z': jax.random.normal(z_key, (n, self.z_dim), jnp.float32)}
    if self.conditional:
      inputs['label'] = (jnp.asarray(labels, jnp.int32) if labels is not None
                         else jax.random.randint(y_key, (n,), 0, self.num_classes))
    return inputs

  def generate(self, state, inputs):
    params = state.ema_params if self.ema_decay > 0 else state.g_params
    return self.generator.apply(_variables(params, state.g_batch_stats), inputs['z'],
                                inputs.get('label'), train=False)

  # -- training --------------------------------------------------------------
  def _g_forward(self, params, batch_stats, z, labels):
    if batch_stats:
      fake, upd = self.generator.apply(_variables(params, batch_stats), z, labels, train=True,
                                       mutable=['batch_stats'])
      return fake, upd['batch_stats']
    return self.generator.apply({'params': params}, z, labels, train=True), batch_stats

  def _d_forward(self, params, batch_stats, x, labels):
    if batch_stats:
      out, upd = self.discriminator.apply(_variables(params, batch_stats), x, labels, train=True,
                                          mutable=['batch_stats'])
      return out, upd['batch_stats']
    return self.discriminator.apply({'params': params}, x, labels, train=True), batch_stats

  def _d_prob(self, out):
    return jnp.mean(jax.nn.sigmoid(out)) if self.loss.probabilistic else jnp.mean(out)

  def _augment(self, x, key):
    return augment.diff_augment(x, key, self.policy) if self.policy else x

  def _fake_inputs(self, key, n):
    inputs = self.sample_inputs(key, n)
    return inputs['z'], inputs.get('label')

  def _d_update(self, state_parts, real, real_labels, key, d_step_index, g_params, g_bs):
    """One discriminator update; returns new (params, batch_stats, opt_state), metrics."""
    d_params, d_bs, d_opt_state = state_parts
    k_fake, k_aug_r, k_aug_f, k_gp = jax.random.split(key, 4)
    z, fake_labels = self._fake_inputs(k_fake, real.shape[0])
    fake, _ = self._g_forward(g_params, g_bs, z, fake_labels)  # G's statistics dropped here
    fake = jax.lax.stop_gradient(fake)
    real_in, fake_in = self._augment(real, k_aug_r), self._augment(fake, k_aug_f)

    def loss_fn(params):
      real_out, bs = self._d_forward(params, d_bs, real_in, real_labels)
      fake_out, bs = self._d_forward(params, bs, fake_in, fake_labels)
      adv = self.loss.d_loss(real_out, fake_out, self.smoothing)
      # Penalties read D without updating its statistics (no BatchNorm allowed in D).
      d_eval = lambda lab: lambda x: self.discriminator.apply(_variables(params, bs), x, lab,
                                                              train=False)
      total, terms = adv, {}
      if self.gp:
        gp = losses.gradient_penalty(d_eval(real_labels), real_in, fake_in, k_gp)
        total, terms['gradient_penalty'] = total + self.gp * gp, gp
      if self.r1_gamma:
        lazy = d_step_index % self.r1_every == 0
        r1 = jax.lax.cond(lazy, lambda: losses.r1_penalty(d_eval(real_labels), real_in),
                          lambda: jnp.zeros((), real.dtype))
        total, terms['r1'] = total + 0.5 * self.r1_gamma * self.r1_every * r1, r1
      return total, (bs, adv, real_out, fake_out, terms)

    (_, (d_bs, adv, real_out, fake_out, terms)), grads = jax.value_and_grad(
        loss_fn, has_aux=True)(d_params)
    updates, d_opt_state = self.d_opt.update(grads, d_opt_state, d_params)
    d_params = optax.apply_updates(d_params, updates)
    if self.d_clip:
      d_params = clip_weights(d_params, self.d_clip)
    metrics = {'d_loss': adv, 'd_real': self._d_prob(real_out), 'd_fake': self._d_prob(fake_out),
               'd_grad_norm': optax.tree.norm(grads), **terms}
    return (d_params, d_bs, d_opt_state), metrics

  def train_step(self, state: GANState, batch):
    rng = jax.random.fold_in(state.rng, state.step)
    n = self.n_critic
    # The loop interleaves the n_critic real batches (row b * n + k is sample b of
    # batch k) so that each device holds its share of every batch.
    b = batch['image'].shape[0] // n
    images = batch['image'].reshape((b, n) + batch['image'].shape[1:]).swapaxes(0, 1)
    labels = batch['label'].reshape((b, n)).swapaxes(0, 1) if self.conditional else [None] * n

    d_parts = (state.d_params, state.d_batch_stats, state.d_opt_state)
    d_metrics = []
    for k in range(n):  # unrolled: n_critic is small and static
      d_parts, m = self._d_update(d_parts, images[k], labels[k], jax.random.fold_in(rng, k),
                                  state.step * n + k, state.g_params, state.g_batch_stats)
      d_metrics.append(m)
    d_params, d_bs, d_opt_state = d_parts

    # Generator update against the updated discriminator.
    k_fake, k_aug = jax.random.split(jax.random.fold_in(rng, n))
    z, fake_labels = self._fake_inputs(k_fake, b)

    def g_loss_fn(g_params):
      fake, g_bs = self._g_forward(g_params, state.g_batch_stats, z, fake_labels)
      fake_out, bs = self._d_forward(d_params, d_bs, self._augment(fake, k_aug), fake_labels)
      return self.loss.g_loss(fake_out), (g_bs, bs)

    (g_loss, (g_bs, d_bs)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.g_params)
    g_updates, g_opt_state = self.g_opt.update(g_grads, state.g_opt_state, state.g_params)
    g_params = optax.apply_updates(state.g_params, g_updates)
    if self.g_clip:
      g_params = clip_weights(g_params, self.g_clip)

    ema = ema_update(state.ema_params, g_params, self.ema_decay) if self.ema_decay > 0 else {}
    new_state = state.replace(
        step=state.step + 1, g_params=g_params, g_batch_stats=g_bs, d_params=d_params,
        d_batch_stats=d_bs, g_opt_state=g_opt_state, d_opt_state=d_opt_state, ema_params=ema)
    metrics = jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *d_metrics)
    metrics.update({'g_loss': g_loss, 'g_grad_norm': optax.tree.norm(g_grads)})
    return new_state, metrics
