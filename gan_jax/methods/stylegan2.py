"""`stylegan2`: StyleGAN2 (Karras et al. 2020) trained as stylegan2-ada-pytorch's
loop does (training/loss.py, training/training_loop.py), four phases per step:

  'g'     non-saturating logistic loss -log sigmoid D(G(z)), with style mixing
          (probability stylegan.style_mixing: the ws from a cutoff drawn in
          [1, num_ws) on, one per batch, come from a second z);
  'g_pl'  path-length regularisation every stylegan.pl_every steps (gain =
          interval): on batch / pl_batch_shrink fresh samples, |J_w^T y| with y
          ~ N(0, 1) / sqrt(H W), its running mean (decay pl_decay) kept in the
          state, the penalty (length - mean)^2 x pl_weight;
  'd'     softplus(D(G(z))) + softplus(-D(x));
  'd_r1'  R1 every loss.r1_every steps (gain = interval): gamma / 2 x
          E|grad_x D(x)|^2, through the augmentation to the real images.
Each phase draws its own z. G's optimizer and D's see the lazy-regularisation
adjustment (lr x c, betas ** c, c = k / (k + 1)). The mapping network's w_avg
(beta 0.995) is updated in every forward pass of G, as the reference's training
mode does. After the phases, G's EMA: beta = 0.5 ** (batch / ema_nimg), ema_nimg
= ema_kimg x 1000, during ramp-up min(that, images shown x ema_rampup); the EMA
copies G's buffers (w_avg). Sampling uses the EMA with truncation psi (towards
w_avg, the first psi_cutoff ws; 0 = all) and stylegan.noise_mode.

Augmentation of everything D sees, the fakes in G's loss included: ADA
(config.augment.pipe, gan_jax/ada.py) with p in the state, adjusted every
ada_interval steps from the mean sign of every real logit of the 'd' and 'd_r1'
phases since the last adjustment (the reference's Loss/signs/real), or fixed
(ada_target = 0); or DiffAugment (config.augment.policy). Not both.
Mixed precision: stylegan.low_precision_res > 0 computes that many of the highest
resolutions' blocks of G and D in bfloat16 (parameters, styles, the images'
sum and D's epilogue stay float32).
"""

import math

import flax
import jax
import jax.numpy as jnp

from gan_jax import ada, augment
from gan_jax.errors import UserError
from gan_jax.methods.base import MixesStyles
from gan_jax.methods.network import NetworkState
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.phases import Phase
from gan_jax.models import stylegan2 as nets
from gan_jax.models.layers import one_hot

D_ARCHITECTURES = ('resnet', 'orig')


@flax.struct.dataclass
class StyleGAN2State:
  step: jax.Array
  rng: jax.Array
  g: NetworkState           # batch_stats holds G's buffers (w_avg, noise_const)
  d: NetworkState
  g_ema: dict               # {'params': ..., 'buffers': ...}: what sampling uses
  pl_mean: jax.Array        # the path-length running mean
  ada_p: jax.Array          # ADA's augmentation probability
  ada_signs: jax.Array      # (sum of sign D(real), count) since p's last adjustment


def ema_beta(step, batch: int, ema_kimg: float, ema_rampup: float):
  """training_loop.py's G_ema beta before step `step` (0-based) of `batch` images."""
  ema_nimg = ema_kimg * 1000.0
  if ema_rampup:
    ema_nimg = jnp.minimum(ema_nimg, step * batch * ema_rampup)
  return 0.5 ** (batch / jnp.maximum(ema_nimg, 1e-8))


def path_lengths(synthesize, ws, key):
  """|J_w^T y| per sample, y ~ N(0, I) / sqrt(H W) of the image's shape (loss.py's
  pl_grads.square().sum(2).mean(1).sqrt()), and the images."""
  images, vjp = jax.vjp(synthesize, ws)
  h, w = images.shape[1:3]
  noise = jax.random.normal(key, images.shape, images.dtype) / jnp.sqrt(float(h * w))
  (grads,) = vjp(noise)
  return jnp.sqrt(jnp.mean(jnp.sum(jnp.square(grads), axis=2), axis=1)), images


class StyleGAN2(MixesStyles):
  reads = ('model.z_dim', 'model.conditional', 'model.channel_base', 'model.channel_max',
           'model.mbstd_group', 'loss.r1_gamma', 'loss.r1_every', 'augment.policy',
           'stylegan.w_dim', 'stylegan.mapping_layers', 'stylegan.d_architecture',
           'stylegan.mbstd_channels', 'stylegan.conv_clamp', 'stylegan.style_mixing',
           'stylegan.pl_weight', 'stylegan.pl_decay', 'stylegan.pl_batch_shrink',
           'stylegan.pl_every', 'stylegan.ema_kimg', 'stylegan.ema_rampup', 'stylegan.psi',
           'stylegan.psi_cutoff', 'stylegan.noise_mode', 'stylegan.low_precision_res',
           'augment.pipe', 'augment.p',
           'augment.ada_target', 'augment.ada_interval', 'augment.ada_kimg')

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    sc, mc = config.stylegan, config.model
    self.check_settings(config)
    self.conditional = bool(mc.conditional)
    if self.conditional and not info.num_classes:
      raise UserError(f'config.model.conditional=True, but data.source={config.data.source!r} '
                      'has no class labels (use a labelled source, e.g. class subfolders)')
    self.num_classes = info.num_classes if self.conditional else 0
    res, channels = info.image_shape[0], info.image_shape[-1]
    if res < 8 or res & (res - 1):
      raise UserError(f'config.data.image_size={res}: StyleGAN2 needs a power of two >= 8')
    clamp = sc.conv_clamp or None
    g_kwargs = dict(resolution=res, channels=channels, z_dim=mc.z_dim, w_dim=sc.w_dim,
                    mapping_layers=sc.mapping_layers, channel_base=mc.channel_base,
                    channel_max=mc.channel_max, conv_clamp=clamp,
                    low_precision_res=sc.low_precision_res)
    self.generator = nets.Generator(**g_kwargs)
    self.sampler = nets.Generator(**g_kwargs, noise_mode=sc.noise_mode)
    self.figure_sampler = nets.Generator(**g_kwargs, noise_mode='const')   # as style_mixing.py
    self.discriminator = nets.Discriminator(res, mc.channel_base, mc.channel_max,
                                            sc.d_architecture, mc.mbstd_group, sc.mbstd_channels,
                                            clamp, low_precision_res=sc.low_precision_res)
    self.num_ws = nets.num_ws(res)
    self.z_dim, self.batch_size = mc.z_dim, config.train.batch_size
    lc = config.loss
    self.r1_gamma, self.r1_every = lc.r1_gamma, lc.r1_every
    self.pl_every = sc.pl_every if sc.pl_weight > 0 else 1
    steps = config.train.num_steps
    self.g_opt = make_optimizer(config.optim.g, 'g', steps, lazy_interval=self.pl_every)
    self.d_opt = make_optimizer(config.optim.d, 'd', steps,
                                lazy_interval=self.r1_every if self.r1_gamma > 0 else 1)
    self.policy, self.pipe = config.augment.policy, config.augment.pipe

  @staticmethod
  def check_settings(config):
    sc = config.stylegan
    levels = int(math.log2(max(config.data.image_size, 4))) - 1
    if not 0 <= sc.low_precision_res <= levels:
      raise UserError(f'config.stylegan.low_precision_res={sc.low_precision_res}; allowed: '
                      f'0..{levels} (the resolutions 4..{config.data.image_size})')
    if sc.d_architecture not in D_ARCHITECTURES:
      raise UserError(f'config.stylegan.d_architecture={sc.d_architecture!r}; allowed: '
                      f'{", ".join(D_ARCHITECTURES)}')
    if sc.noise_mode not in nets.NOISE_MODES:
      raise UserError(f'config.stylegan.noise_mode={sc.noise_mode!r}; allowed: '
                      f'{", ".join(nets.NOISE_MODES)}')
    if sc.pl_weight > 0 and config.train.batch_size % sc.pl_batch_shrink:
      raise UserError(f'config.train.batch_size={config.train.batch_size} is not divisible by '
                      f'stylegan.pl_batch_shrink={sc.pl_batch_shrink}')
    ac = config.augment
    ada.check_pipe(ac.pipe)
    if ac.pipe and ac.policy:
      raise UserError(f'config.augment.pipe={ac.pipe!r} (ADA) and augment.policy={ac.policy!r} '
                      '(DiffAugment) are both set; choose one')
    if ac.p < 0 or ac.ada_target < 0 or ac.ada_interval < 1 or ac.ada_kimg <= 0:
      raise UserError(f'config.augment: p={ac.p}, ada_target={ac.ada_target}, ada_interval='
                      f'{ac.ada_interval}, ada_kimg={ac.ada_kimg}; allowed: p >= 0, '
                      'ada_target >= 0, ada_interval >= 1, ada_kimg > 0')
    group = min(config.model.mbstd_group, config.train.batch_size)
    if group and config.train.batch_size % group:
      raise UserError(f'config.train.batch_size={config.train.batch_size} is not divisible by '
                      f'model.mbstd_group={group} (the minibatch-stddev groups)')

  @classmethod
  def check_config(cls, config) -> None:
    super().check_config(config)
    cls.check_settings(config)
    augment.check_policy(config.augment.policy)

  # -- state ---------------------------------------------------------------------
  def init(self, rng) -> StyleGAN2State:
    g_key, d_key, n_key, run_key = jax.random.split(rng, 4)
    z = jnp.zeros((2, self.z_dim), jnp.float32)
    c = self._onehot(jnp.zeros((2,), jnp.int32))
    gv = self.generator.init({'params': g_key, 'noise': n_key}, z, c)
    x = jnp.zeros((2,) + tuple(self.info.image_shape), jnp.float32)
    dv = self.discriminator.init(d_key, x, c)
    g = NetworkState.create({'params': gv['params'], 'batch_stats': gv['buffers']}, self.g_opt)
    d = NetworkState.create(dv, self.d_opt)
    ema = jax.tree.map(jnp.copy, {'params': g.params, 'buffers': g.batch_stats})
    return StyleGAN2State(step=jnp.zeros((), jnp.int32), rng=run_key, g=g, d=d, g_ema=ema,
                          pl_mean=jnp.zeros((), jnp.float32),
                          ada_p=jnp.asarray(self.config.augment.p, jnp.float32),
                          ada_signs=jnp.zeros((2,), jnp.float32))

  def networks(self, state):
    return {'generator': state.g.params, 'discriminator': state.d.params}

  def summary_notes(self, state) -> str:
    m = sum(x.size for x in jax.tree.leaves(state.g.params['mapping']))
    return (f'  generator: mapping {m:,} parameters, synthesis '
            f'{sum(x.size for x in jax.tree.leaves(state.g.params)) - m:,}; num_ws {self.num_ws}')

  def _onehot(self, labels):
    return one_hot(labels, self.num_classes) if self.conditional else None

  # -- sampling --------------------------------------------------------------------
  def sample_inputs(self, rng, n, labels=None):
    z_key, y_key = jax.random.split(rng)
    inputs = {'z': jax.random.normal(z_key, (n, self.z_dim), jnp.float32)}
    if self.conditional:
      inputs['label'] = (jnp.asarray(labels, jnp.int32) if labels is not None
                         else jax.random.randint(y_key, (n,), 0, self.num_classes))
    return inputs

  def generate(self, state, inputs):
    """The EMA generator with truncation psi; 'random' noise comes from a fixed key
    (fixed inputs give fixed images; samples of a batch get different noise)."""
    sc = self.config.stylegan
    key = jax.random.PRNGKey(0x5EED)
    c = self._onehot(inputs['label']) if self.conditional else None
    return self.sampler.apply(state.g_ema, inputs['z'], c, sc.psi, sc.psi_cutoff or None,
                              rngs={'noise': key})

  # The figures use the const noise (the reference's style_mixing.py default), so
  # that one w gives one image wherever it sits in the batch.
  def _ema_ws(self, state, z, c):
    sc = self.config.stylegan
    return self.figure_sampler.apply(state.g_ema, z, c, sc.psi, sc.psi_cutoff or None,
                                     method='map')

  def _ema_synthesize(self, state, ws):
    return self.figure_sampler.apply(state.g_ema, ws, method='synthesize')

  def style_mixing(self, state, row_z, col_z, styles, labels=None):
    """The reference's style-mixing figure: (rows + 1) x (cols + 1) images, row by
    row; the first row the column seeds' images (after a blank), the first column
    the row seeds', cell (r, c) row r's ws with column c's at the ws `styles`."""
    c = self._onehot(jnp.asarray(labels, jnp.int32)) if self.conditional else None
    rows, cols = row_z.shape[0], col_z.shape[0]
    row_ws = self._ema_ws(state, row_z, None if c is None else c[:rows])
    col_ws = self._ema_ws(state, col_z, None if c is None else c[:cols])
    pick = jnp.zeros((self.num_ws,), bool).at[jnp.asarray(styles)].set(True)
    mixed = jnp.where(pick[None, None, :, None], col_ws[None], row_ws[:, None])
    ws = jnp.concatenate([col_ws, row_ws, mixed.reshape((-1,) + row_ws.shape[1:])])
    images = self._ema_synthesize(state, ws)
    blank = -jnp.ones((1,) + images.shape[1:], images.dtype)
    grid = [blank, images[:cols]]
    for r in range(rows):
      grid += [images[cols + r: cols + r + 1], images[cols + rows + r * cols:
                                                      cols + rows + (r + 1) * cols]]
    return jnp.concatenate(grid)

  def interpolation(self, state, z0, z1, steps: int, labels=None):
    """Rows of `steps` images from z0[i] to z1[i], linear in W (after truncation)."""
    c = self._onehot(jnp.asarray(labels, jnp.int32)) if self.conditional else None
    w0, w1 = self._ema_ws(state, z0, c), self._ema_ws(state, z1, c)
    t = jnp.linspace(0.0, 1.0, steps)[None, :, None, None]
    ws = (w0[:, None] + t * (w1 - w0)[:, None]).reshape((-1,) + w0.shape[1:])
    return self._ema_synthesize(state, ws)

  # -- training ----------------------------------------------------------------------
  def train_step(self, state, batch):
    state, metrics = self.run_step(self.phases(), state, batch)
    sc = self.config.stylegan
    beta = ema_beta(state.step - 1, self.batch_size, sc.ema_kimg, sc.ema_rampup)
    params = jax.tree.map(lambda p, e: p + beta * (e - p), state.g.params,
                          state.g_ema['params'])
    state = state.replace(g_ema={'params': params, 'buffers': state.g.batch_stats})
    metrics['ema_beta'] = beta
    if self.pipe:
      state = self._adjust_p(state)
      metrics['ada_p'] = state.ada_p
    return state, metrics

  def _adjust_p(self, state):
    """After step s (0-based) with s % ada_interval == 0, as the reference's loop."""
    ac = self.config.augment
    if not ac.ada_target:
      return state
    due = (state.step - 1) % ac.ada_interval == 0
    total, count = state.ada_signs[0], state.ada_signs[1]
    new_p = ada.adjust_p(state.ada_p, total / jnp.maximum(count, 1.0), ac.ada_target,
                         self.batch_size, ac.ada_interval, ac.ada_kimg)
    return state.replace(ada_p=jnp.where(due, new_p, state.ada_p),
                         ada_signs=jnp.where(due, jnp.zeros_like(state.ada_signs),
                                             state.ada_signs))

  def phases(self):
    out = [Phase('g', 'g', self._g_loss)]
    if self.config.stylegan.pl_weight > 0:
      out.append(Phase('g_pl', 'g', self._pl_loss, interval=self.pl_every, gain=self.pl_every))
    out.append(Phase('d', 'd', self._d_loss))
    if self.r1_gamma > 0:
      out.append(Phase('d_r1', 'd', self._r1_loss, interval=self.r1_every, gain=self.r1_every))
    return out

  def _keys(self, inp, n):
    return jax.random.split(jax.random.fold_in(inp.rng, inp.index), n)

  def _fake_labels(self, key, n):
    if not self.conditional:
      return None
    return self._onehot(jax.random.randint(key, (n,), 0, self.num_classes))

  def _map(self, g, z, c):
    """ws (training mode: w_avg updated) and G's updated buffers."""
    ws, upd = self.generator.apply({'params': g.params, 'buffers': g.batch_stats}, z, c,
                                   track_w_avg=True, method='map', mutable=['buffers'])
    return ws, upd['buffers']

  def _mix(self, g, buffers, ws, c, key):
    """Style mixing: from a cutoff drawn in [1, num_ws) on (one per batch, with
    probability style_mixing; else none), the ws of a second z."""
    prob = self.config.stylegan.style_mixing
    if prob <= 0:
      return ws
    k_cut, k_on, k_z = jax.random.split(key, 3)
    cutoff = jax.random.randint(k_cut, (), 1, self.num_ws)
    cutoff = jnp.where(jax.random.uniform(k_on) < prob, cutoff, self.num_ws)
    z2 = jax.random.normal(k_z, (ws.shape[0], self.z_dim), ws.dtype)
    ws2 = self.generator.apply({'params': g.params, 'buffers': buffers}, z2, c, method='map')
    keep = jnp.arange(self.num_ws)[None, :, None] < cutoff
    return jnp.where(keep, ws, ws2)

  def _synthesize(self, g, buffers, ws, key):
    return self.generator.apply({'params': g.params, 'buffers': buffers}, ws,
                                method='synthesize', rngs={'noise': key})

  def _run_g(self, g, n, keys):
    """n images from fresh z (and labels): (images, labels, updated buffers)."""
    k_z, k_c, k_mix, k_noise = keys
    z = jax.random.normal(k_z, (n, self.z_dim), jnp.float32)
    c = self._fake_labels(k_c, n)
    ws, buffers = self._map(g, z, c)
    ws = self._mix(g, buffers, ws, c, k_mix)
    return self._synthesize(g, buffers, ws, k_noise), c, buffers

  def _d(self, state, x, c, key):
    """D's logits of x through the augmentation (ADA at the state's p, or DiffAugment)."""
    if self.pipe:
      x = ada.augment(x, key, jax.lax.stop_gradient(state.ada_p), self.pipe)
    elif self.policy:
      x = augment.diff_augment(x, key, self.policy)
    return self.discriminator.apply({'params': state.d.params}, x, c)

  @staticmethod
  def _count_signs(state, real_logits):
    signs = jnp.stack([jnp.sum(jnp.sign(real_logits)), jnp.asarray(real_logits.size, jnp.float32)])
    return state.replace(ada_signs=state.ada_signs + jax.lax.stop_gradient(signs))

  def _g_loss(self, state, inp):
    keys = self._keys(inp, 5)
    fake, c, buffers = self._run_g(state.g, self.batch_size, keys[:4])
    logits = self._d(state, fake, c, keys[4])
    loss = jnp.mean(jax.nn.softplus(-logits))
    state = state.replace(g=state.g.replace(batch_stats=buffers))
    return loss, (state, {'g_loss': loss, 'd_fake_for_g': jnp.mean(logits)}, inp.carry)

  def _pl_loss(self, state, inp):
    sc = self.config.stylegan
    k_z, k_c, k_mix, k_noise, k_y = self._keys(inp, 5)
    n = self.batch_size // sc.pl_batch_shrink
    z = jax.random.normal(k_z, (n, self.z_dim), jnp.float32)
    c = self._fake_labels(k_c, n)
    ws, buffers = self._map(state.g, z, c)
    ws = self._mix(state.g, buffers, ws, c, k_mix)
    lengths, _ = path_lengths(lambda w: self._synthesize(state.g, buffers, w, k_noise), ws, k_y)
    pl_mean = state.pl_mean + sc.pl_decay * (jnp.mean(jax.lax.stop_gradient(lengths))
                                             - state.pl_mean)
    penalty = jnp.mean(jnp.square(lengths - pl_mean))
    state = state.replace(g=state.g.replace(batch_stats=buffers), pl_mean=pl_mean)
    metrics = {'pl_penalty': penalty, 'pl_mean': pl_mean}
    return penalty * sc.pl_weight, (state, metrics, inp.carry)

  def _real(self, batch):
    labels = self._onehot(batch['label']) if self.conditional else None
    return batch['image'], labels

  def _d_loss(self, state, inp):
    keys = self._keys(inp, 6)
    real, real_c = self._real(inp.batch)
    fake, fake_c, buffers = self._run_g(state.g, real.shape[0], keys[:4])
    fake = jax.lax.stop_gradient(fake)
    fake_logits = self._d(state, fake, fake_c, keys[4])
    real_logits = self._d(state, real, real_c, keys[5])
    loss = jnp.mean(jax.nn.softplus(fake_logits)) + jnp.mean(jax.nn.softplus(-real_logits))
    state = self._count_signs(state.replace(g=state.g.replace(batch_stats=buffers)),
                              real_logits)
    metrics = {'d_loss': loss, 'd_real': jnp.mean(real_logits),
               'd_fake': jnp.mean(fake_logits),
               'd_real_sign': jnp.mean(jnp.sign(real_logits))}   # ADA's overfitting heuristic
    return loss, (state, metrics, inp.carry)

  def _r1_loss(self, state, inp):
    real, c = self._real(inp.batch)
    key = self._keys(inp, 1)[0]
    # R1 = E|grad_x sum D(x)|^2 (losses.r1_penalty), written out to keep the logits
    # for ADA's sign statistics.
    logits, vjp = jax.vjp(lambda x: self._d(state, x, c, key), real)
    (grads,) = vjp(jnp.ones_like(logits))
    r1 = jnp.mean(jnp.sum(jnp.square(grads).reshape(grads.shape[0], -1), axis=1))
    state = self._count_signs(state, logits)
    return 0.5 * self.r1_gamma * r1, (state, {'r1': r1}, inp.carry)
