"""`gan`: one generator, one discriminator, alternating updates.

Serves the original GAN, DCGAN, cGAN, WGAN, WGAN-GP, SNGAN and cGAN-PD: the
networks, the adversarial loss, the penalties and the optimizers all come from
the config. Phases per step: 'd' (`train.n_critic` D updates, each on its own
real batch and fresh G(z); WGAN alg. 1; `train.critic_boost` of them on WGAN's
boosted steps), 'd_reg' (lazy R1, when `loss.r1_every` > 1), then 'g'
(`train.g_steps` G updates, default one, against the updated D). G's
BatchNorm statistics are updated once per step, in the G update; an EMA of G's
weights is kept when config.ema.decay > 0.

Options: one-sided label smoothing, WGAN-GP (`loss.gradient_penalty`), R1
(`loss.r1_gamma`; every `loss.r1_every` steps as its own phase, StyleGAN2's lazy
regularisation), weight clipping (`optim.d.weight_clip`), DiffAugment on
everything D sees (`augment.policy`), class-conditional networks
(`model.conditional`; fake labels drawn uniformly), TTUR (separate
`optim.g.lr` and `optim.d.lr`), linear LR decay, WGAN's boosted critic
schedule, sampling with batch statistics (`model.sample_batch_stats`), packing
(PacGAN: `model.packing` samples per D input, concatenated along channels),
simultaneous D and G steps from the same parameters and noise
(`train.simultaneous`, PacGAN's and ALI's code); BigGAN's orthogonal
regularisation (`loss.g_ortho`, `loss.d_ortho`), an EMA that copies G until
`ema.start` and can average G's BatchNorm statistics too (`ema.batch_stats`:
EMA weights sampled with the live G's statistics drew poor digits, see
bench/RESULTS.md, BigGAN), and truncated z when sampling (`model.truncation`),
with BatchNorm statistics recomputed for it (`model.standing_stats`).
"""

import flax
import jax
import jax.numpy as jnp

from gan_jax import augment, losses
from gan_jax.data.pipeline import BatchSchedule
from gan_jax.errors import UserError
from gan_jax.methods.base import GeneratesFromNoise
from gan_jax.methods.network import NetworkState, variables
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.phases import Phase
from gan_jax.models.layers import BN_MOMENTUM
from gan_jax.models.registry import DISCRIMINATORS, GENERATORS


@flax.struct.dataclass
class GANState:
  step: jax.Array
  rng: jax.Array
  g: NetworkState
  d: NetworkState


class GAN(GeneratesFromNoise):
  reads = ('model.z_dim', 'model.conditional', 'loss.label_smoothing', 'loss.gradient_penalty',
           'loss.r1_gamma', 'loss.r1_every', 'augment.policy', 'ema.decay', 'train.n_critic',
           'optim.g.weight_clip', 'optim.d.weight_clip', 'optim.g.clip_before_step',
           'optim.d.clip_before_step', 'train.critic_boost', 'train.boost_steps',
           'train.boost_every', 'model.sample_batch_stats', 'model.packing',
           'train.simultaneous', 'train.g_steps', 'loss.g_ortho', 'loss.d_ortho', 'ema.start',
           'ema.batch_stats', 'model.truncation', 'model.standing_stats')

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    self.conditional = bool(config.model.conditional)
    if self.conditional and not info.num_classes:
      raise UserError(f'config.model.conditional=True, but data.source={config.data.source!r} '
                      'has no class labels (use a labelled source, e.g. class subfolders)')
    self.num_classes = info.num_classes if self.conditional else 0
    self.packing = config.model.packing
    if self.packing > 1 and self.conditional:
      raise UserError(f'config.model.packing={self.packing} with model.conditional=True: PacGAN '
                      'packs unlabelled samples; set one of them back')
    if config.train.batch_size % self.packing:
      raise UserError(f'config.train.batch_size={config.train.batch_size} is not divisible by '
                      f'model.packing={self.packing}')
    tc = config.train
    self.simultaneous = tc.simultaneous
    if self.simultaneous and (tc.n_critic != 1 or tc.critic_boost or tc.g_steps != 1):
      raise UserError('config.train.simultaneous=True steps D and G once each from the same '
                      f'parameters; it needs train.n_critic=1 (got {tc.n_critic}), '
                      f'train.g_steps=1 (got {tc.g_steps}) and no critic_boost')
    self.g_steps = tc.g_steps
    self._standing_fn = jax.jit(self._standing_stats)   # compiled on first use
    if config.model.standing_stats and config.model.sample_batch_stats:
      raise UserError(f'config.model.standing_stats={config.model.standing_stats} with '
                      'model.sample_batch_stats=True: samples would use their own batch\'s '
                      'statistics, not the standing ones; set one of them back')
    if config.ema.start and not config.ema.decay:
      raise UserError(f'config.ema.start={config.ema.start} without an EMA: set ema.decay > 0 '
                      '(BigGAN: 0.9999)')
    h, w, c = info.image_shape
    self.generator = GENERATORS.get(config.model.generator)(config.model, info)
    self.discriminator = DISCRIMINATORS.get(config.model.discriminator)(
        config.model, info._replace(image_shape=(h, w, c * self.packing)))
    self.loss = losses.ADVERSARIAL_LOSSES.get(config.loss.adversarial)
    tc, lc = config.train, config.loss
    self.n_critic = tc.n_critic
    self.batch_schedule = BatchSchedule(tc.n_critic, tc.critic_boost, tc.boost_steps,
                                        tc.boost_every)
    self.batch_size = tc.batch_size
    self.z_dim = config.model.z_dim
    self.smoothing = lc.label_smoothing
    self.gp, self.r1_gamma, self.r1_every = lc.gradient_penalty, lc.r1_gamma, lc.r1_every
    self.lazy_r1 = self.r1_gamma > 0 and self.r1_every > 1
    d_updates = self.batch_schedule.first(tc.num_steps) + (-(-tc.num_steps // self.r1_every)
                                              if self.lazy_r1 else 0)
    self.g_opt = make_optimizer(config.optim.g, 'g', tc.num_steps * self.g_steps)
    self.d_opt = make_optimizer(config.optim.d, 'd', d_updates,
                                lazy_interval=self.r1_every if self.lazy_r1 else 1)
    self.policy = config.augment.policy
    if ((self.gp or self.r1_gamma) and config.model.d_batchnorm
        and config.model.discriminator == 'dcgan'):
      raise UserError('gradient penalties need per-sample gradients, which BatchNorm in D breaks; '
                      'set --config.model.d_batchnorm=False')

  @classmethod
  def check_config(cls, config) -> None:
    super().check_config(config)
    GENERATORS.get(config.model.generator)
    DISCRIMINATORS.get(config.model.discriminator)
    losses.ADVERSARIAL_LOSSES.get(config.loss.adversarial)
    augment.check_policy(config.augment.policy)

  # -- state -----------------------------------------------------------------
  def init(self, rng) -> GANState:
    g_key, d_key, run_key = jax.random.split(rng, 3)
    z = jnp.zeros((2, self.z_dim), jnp.float32)
    y = jnp.zeros((2,), jnp.int32)
    x = self.pack(jnp.zeros((2 * self.packing,) + tuple(self.info.image_shape), jnp.float32))
    optim = self.config.optim
    return GANState(
        step=jnp.zeros((), jnp.int32), rng=run_key,
        g=NetworkState.create(self.generator.init(g_key, z, y, train=False), self.g_opt,
                              ema_decay=self.config.ema.decay, weight_clip=optim.g.weight_clip,
                              ema_stats=self.config.ema.batch_stats,
                              clip_before_step=optim.g.clip_before_step),
        d=NetworkState.create(self.discriminator.init(d_key, x, y, train=False), self.d_opt,
                              weight_clip=optim.d.weight_clip,
                              clip_before_step=optim.d.clip_before_step))

  def networks(self, state):
    return {'generator': state.g.params, 'discriminator': state.d.params}

  # -- sampling --------------------------------------------------------------
  def sample_inputs(self, rng, n, labels=None):
    """z ~ N(0, I), or with model.truncation = t > 0 the truncation trick (Brock et
    al. 2019, sec. 3.1): N(0, 1) resampled until inside [-t, t], each entry."""
    return self._draw(rng, n, labels, self.config.model.truncation)

  def _draw(self, rng, n, labels, truncation):
    z_key, y_key = jax.random.split(rng)
    if truncation > 0:
      z = jax.random.truncated_normal(z_key, -truncation, truncation, (n, self.z_dim))
    else:
      z = jax.random.normal(z_key, (n, self.z_dim), jnp.float32)
    inputs = {'z': z}
    if self.conditional:
      inputs['label'] = (jnp.asarray(labels, jnp.int32) if labels is not None
                         else jax.random.randint(y_key, (n,), 0, self.num_classes))
    return inputs

  def generate(self, state, inputs):
    """G's images; its BatchNorm uses the running averages, or with
    model.sample_batch_stats the statistics of the batch being generated (then a
    sample depends on the others drawn with it)."""
    v = variables(state.g.sampling_params, state.g.sampling_stats)
    z, labels = inputs['z'], inputs.get('label')
    if self.config.model.sample_batch_stats and state.g.batch_stats:
      return self.generator.apply(v, z, labels, train=True, mutable=['batch_stats'])[0]
    return self.generator.apply(v, z, labels, train=False)

  def sampling_state(self, state):
    """With model.standing_stats = n > 0, G's BatchNorm running averages replaced by
    standing statistics (BigGAN-PyTorch's utils.accumulate_standing_stats): the
    sampled G (the EMA's weights) run in training mode on n batches of
    train.batch_size drawn as sampling draws them, truncation included, and their
    batch means and variances averaged with equal weight. The running averages
    were gathered under untruncated z and older weights; these match what is
    sampled. The batches come from a fixed key, so they depend on the weights only."""
    n = self.config.model.standing_stats
    if not n:
      return state
    if not any(k[-1] in ('mean', 'var') for k in _flat(state.g.sampling_stats)):
      raise UserError(f'config.model.standing_stats={n}, but generator '
                      f'{self.config.model.generator!r} has no BatchNorm to recompute')
    return self._standing_fn(state)

  def _standing_stats(self, state):
    n, g = self.config.model.standing_stats, state.g
    stats = _flat(g.sampling_stats)
    is_bn = {k: k[-1] in ('mean', 'var') for k in stats}
    # From zeroed running averages one update leaves (1 - momentum) x the batch's value.
    zeroed = flax.traverse_util.unflatten_dict(
        {k: jnp.zeros_like(v) if is_bn[k] else v for k, v in stats.items()})
    key = jax.random.PRNGKey(0x57A5)

    def batch_stats(i):
      inputs = self.sample_inputs(jax.random.fold_in(key, i), self.batch_size)
      _, upd = self.generator.apply(variables(g.sampling_params, zeroed), inputs['z'],
                                    inputs.get('label'), train=True, mutable=['batch_stats'])
      return _flat(upd['batch_stats'])

    total = jax.lax.fori_loop(
        0, n, lambda i, acc: jax.tree.map(jnp.add, acc, batch_stats(i)),
        {k: jnp.zeros_like(v) for k, v in stats.items()})
    standing = {k: total[k] / (n * (1 - BN_MOMENTUM)) if is_bn[k] else stats[k] for k in stats}
    standing = flax.traverse_util.unflatten_dict(standing)
    if g.ema_stats:
      return state.replace(g=g.replace(ema_stats=standing))
    return state.replace(g=g.replace(batch_stats=standing))

  # -- training --------------------------------------------------------------
  def train_step(self, state, batch):
    state, metrics = self.run_step(self.phases(self._critic_runs(batch)), state, batch)
    start = self.config.ema.start
    if start and self.config.ema.decay > 0:
      # BigGAN's utils.ema: before ema_start (counting steps from 1) the EMA is G itself.
      state = state.replace(g=state.g.copy_to_ema(state.step < start))
    return state, metrics

  def _critic_runs(self, batch) -> int:
    """n_critic, or critic_boost when the loop fed a boosted step's batches (static)."""
    boost = self.batch_schedule.boost
    if boost and batch['image'].shape[0] == boost * self.batch_size:
      return boost
    return self.n_critic

  def phases(self, critic_runs=None):
    out = [Phase('d', 'd', self._d_loss, repeats=critic_runs or self.n_critic)]
    if self.lazy_r1:
      out.append(Phase('d_reg', 'd', self._r1_loss, interval=self.r1_every, gain=self.r1_every))
    out.append(Phase('g', 'g', self._g_loss, repeats=self.g_steps))
    return out

  def _apply(self, module, net: NetworkState, x, labels, batch_stats=None):
    """Train-mode forward; returns (output, updated batch statistics)."""
    bs = net.batch_stats if batch_stats is None else batch_stats
    if bs:
      out, upd = module.apply(variables(net.params, bs), x, labels, train=True,
                              mutable=['batch_stats'])
      return out, upd['batch_stats']
    return module.apply({'params': net.params}, x, labels, train=True), bs

  def _d_prob(self, out):
    return jnp.mean(jax.nn.sigmoid(out)) if self.loss.probabilistic else jnp.mean(out)

  def _augment(self, x, key):
    return augment.diff_augment(x, key, self.policy) if self.policy else x

  def _fake_inputs(self, key, n):
    inputs = self._draw(key, n, None, 0.0)
    return inputs['z'], inputs.get('label')

  def _real(self, batch, k):
    """The k-th of the step's n_critic real batches. The loop interleaves them
    (row b * n + k is sample b of batch k) so each device holds its share of all."""
    n, images = self._critic_runs(batch), batch['image']
    b = images.shape[0] // n
    real = images.reshape((b, n) + images.shape[1:])[:, k]
    labels = batch['label'].reshape((b, n))[:, k] if self.conditional else None
    return real, labels

  def pack(self, x):
    """PacGAN (Lin et al. 2018): m = model.packing samples side by side along
    channels, (B, H, W, C) -> (B / m, H, W, m C); sample b m + k fills channels
    k C ... (k + 1) C - 1 of row b. m = 1: x itself."""
    m = self.packing
    if m == 1:
      return x
    b, h, w, c = x.shape
    return x.reshape(b // m, m, h, w, c).transpose(0, 2, 3, 1, 4).reshape(b // m, h, w, m * c)

  def unpack(self, x):
    m = self.packing
    if m == 1:
      return x
    b, h, w, mc = x.shape
    return x.reshape(b, h, w, m, mc // m).transpose(0, 3, 1, 2, 4).reshape(b * m, h, w, mc // m)

  def _d_eval(self, state, labels, key=None):
    """packed x -> D(x) without updating statistics (penalties, taken in D's input
    space; no BatchNorm allowed in D), through the augmentation when a key is given."""
    def d_fn(x):
      x = self.pack(self._augment(self.unpack(x), key)) if key is not None else x
      return self.discriminator.apply(state.d.variables(), x, labels, train=False)
    return d_fn

  def _generate(self, net, z, labels):
    """G's train-mode images and updated statistics. With packing, one G call per
    packing slot: its BatchNorm sees that slot's batch, as PacGAN's code calls G."""
    m = self.packing
    if m == 1:
      return self._apply(self.generator, net, z, labels)
    bs, outs = net.batch_stats, []
    zs = z.reshape((-1, m) + z.shape[1:])
    for k in range(m):
      out, bs = self._apply(self.generator, net, zs[:, k], None, bs)
      outs.append(out)
    return jnp.stack(outs, axis=1).reshape((z.shape[0],) + outs[0].shape[1:]), bs

  def _d_loss(self, state, inp):
    real, real_labels = self._real(inp.batch, inp.repeat)
    k_fake, k_aug_r, k_aug_f, k_gp = jax.random.split(jax.random.fold_in(inp.rng, inp.index), 4)
    z, fake_labels = self._fake_inputs(k_fake, real.shape[0])
    carry = inp.carry
    if self.simultaneous:  # G's step will see this D and this noise (PacGAN's, ALI's code)
      carry = {**carry, 'd_params': jax.lax.stop_gradient(state.d.params), 'z': z}
    fake, _ = self._generate(state.g, z, fake_labels)  # G's statistics dropped here
    fake = jax.lax.stop_gradient(fake)
    real_in, fake_in = self._augment(real, k_aug_r), self._augment(fake, k_aug_f)
    real_in, fake_in = self.pack(real_in), self.pack(fake_in)
    real_out, bs = self._apply(self.discriminator, state.d, real_in, real_labels)
    fake_out, bs = self._apply(self.discriminator, state.d, fake_in, fake_labels, bs)
    state = state.replace(d=state.d.replace(batch_stats=bs))
    adv = self.loss.d_loss(real_out, fake_out, self.smoothing)
    total, metrics = adv, {'d_loss': adv, 'd_real': self._d_prob(real_out),
                           'd_fake': self._d_prob(fake_out)}
    if self.config.loss.d_ortho:
      ortho = losses.orthogonal_penalty(state.d.params)
      total, metrics['d_ortho'] = total + self.config.loss.d_ortho * ortho, ortho
    if self.gp:
      gp = losses.gradient_penalty(self._d_eval(state, real_labels), real_in, fake_in, k_gp)
      total, metrics['gradient_penalty'] = total + self.gp * gp, gp
    if self.r1_gamma and not self.lazy_r1:
      # The gradient with respect to the real images before augmentation (StyleGAN2-ADA).
      r1 = losses.r1_penalty(self._d_eval(state, real_labels, k_aug_r if self.policy else None),
                             self.pack(real))
      total, metrics['r1'] = total + 0.5 * self.r1_gamma * r1, r1
    return total, (state, metrics, carry)

  def _r1_loss(self, state, inp):
    """Lazy R1 (its own phase, every r1_every steps, gain r1_every): gamma/2 E||grad D(x)||^2."""
    real, labels = self._real(inp.batch, 0)
    k_aug = jax.random.fold_in(inp.rng, inp.index)
    r1 = losses.r1_penalty(self._d_eval(state, labels, k_aug if self.policy else None),
                           self.pack(real))
    return 0.5 * self.r1_gamma * r1, (state, {'r1': r1}, inp.carry)

  def _g_loss(self, state, inp):
    b = inp.batch['image'].shape[0] // self._critic_runs(inp.batch)
    k_fake, k_aug = jax.random.split(jax.random.fold_in(inp.rng, inp.index))
    z, fake_labels = self._fake_inputs(k_fake, b)
    d = state.d
    if self.simultaneous:
      z, d = inp.carry['z'], d.replace(params=inp.carry['d_params'])
    fake, g_bs = self._generate(state.g, z, fake_labels)
    fake_out, d_bs = self._apply(self.discriminator, d, self.pack(self._augment(fake, k_aug)),
                                 fake_labels)
    loss = self.loss.g_loss(fake_out)
    state = state.replace(g=state.g.replace(batch_stats=g_bs), d=state.d.replace(batch_stats=d_bs))
    metrics = {'g_loss': loss}
    if self.config.loss.g_ortho:  # BigGAN leaves the shared class embedding out
      metrics['g_ortho'] = losses.orthogonal_penalty(state.g.params, exclude=('shared',))
      loss = loss + self.config.loss.g_ortho * metrics['g_ortho']
    return loss, (state, metrics, inp.carry)


def _flat(tree) -> dict:
  """A Flax collection as {path tuple: array}."""
  return flax.traverse_util.flatten_dict(flax.core.unfreeze(tree) if tree else {})
