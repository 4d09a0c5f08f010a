"""`pggan`: progressive growing (Karras et al. 2018; tkarras/progressive_growing_of_gans
train.py and loss.py), G and D grown together from `progressive.start_res` to
data.image_size.

Schedule (TrainingSchedule): at kimg = real images shown / 1000, with
P = stable_kimg + fade_kimg and i = floor(kimg / P), the level of detail is
lod = log2(final / start_res) - i - max(kimg - i P - stable_kimg, 0) / fade_kimg,
at least 0: each resolution trains stable for stable_kimg, then the next one
fades in over fade_kimg. The stage's resolution is final / 2^floor(lod); its batch
and learning rate come from `progressive.batch_sizes` and `progressive.lr`
(the official minibatch_dict and G/D_lrate_dict). As the official loop, the
schedule is re-read every `progressive.step_repeats` steps (minibatch_repeats).

In JAX: every resolution's parameters live in the state from step 0; the data
pipeline delivers each stage's batch at its resolution, so a stage's program is
compiled once, its shapes static, and lod is computed from the step inside it
(traced): fading needs no recompilation. The lod of the last step is in the
state, so resuming anywhere, mid-fade included, continues bitwise, and so is
Adam's state, reset where floor(lod) or ceil(lod) changes
(`progressive.reset_optimizer`, the official reset_opt_for_new_lod).

Per step: one D update, then one G update (D_repeats 1), with the losses of
D_wgangp_acgan / G_wgan_acgan: D: E[D(G(z))] - E[D(x)] + lambda GP + drift E[D(x)^2]
(`loss.gradient_penalty` 10, `loss.drift` 0.001); G: -E[D(G(z))]. Reals at a
fractional lod are blended with their 2x2 average (process_reals' FadeLOD). The
official networks see every stage upsampled to the final resolution, so its
gradient penalty differentiates D with respect to that upsampled image, whose
norm is the stage image's divided by final / res: ours applies that factor.
"""

import dataclasses
import math
from typing import Dict, List

import flax
import jax
import jax.numpy as jnp
import ml_collections

from gan_jax import losses
from gan_jax.data.pipeline import BatchSchedule
from gan_jax.errors import UserError
from gan_jax.methods.base import GeneratesFromNoise
from gan_jax.methods.network import NetworkState
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.phases import Phase
from gan_jax.models import pggan as pggan_models
from gan_jax.models.pggan import downsample2x, upsample2x


@flax.struct.dataclass
class PGGANState:
  step: jax.Array
  rng: jax.Array
  g: NetworkState
  d: NetworkState
  lod: jax.Array    # the level of detail of the last step (float32): the stage, and its fade


def parse_per_resolution(text: str, what: str, cast=int) -> Dict[int, float]:
  """'4:128,8:128,32:64' -> {4: 128, 8: 128, 32: 64}; '' -> {}."""
  out = {}
  for item in (t.strip() for t in text.split(',') if t.strip()):
    try:
      res, value = item.split(':')
      out[int(res)] = cast(value)
    except ValueError:
      raise UserError(f'config.{what}={text!r}: expected "resolution:value" pairs separated by '
                      'commas, e.g. "4:128,8:128,32:64"') from None
  return out


@dataclasses.dataclass(frozen=True)
class Segment:
  """The steps of one resolution: from first_step, nimg real images shown before it."""
  res: int
  batch: int
  first_step: int
  nimg: int


class ProgressiveSchedule(BatchSchedule):
  """The official schedule as a pure function of the step, on the host (resolution,
  batch, real images shown) and inside the jitted step (lod, from the traced step)."""

  def __init__(self, resolution: int, start_res: int, stable_kimg: float, fade_kimg: float,
               batches: Dict[int, int], unit: int, repeats: int):
    super().__init__(1)
    self.resolution, self.start_res = resolution, start_res
    self.stable, self.fade, self.unit, self.repeats = stable_kimg, fade_kimg, unit, repeats
    self.levels = [start_res * 2 ** k for k in range(int(math.log2(resolution // start_res)) + 1)]
    self.base_lod = math.log2(resolution) - math.log2(start_res)
    self.batches = {r: batches.get(r, unit) for r in self.levels}
    self.segments: List[Segment] = []
    n, group = 0, 0
    for k, res in enumerate(self.levels):
      last = k == len(self.levels) - 1
      end = math.inf if last else round((stable_kimg + k * (stable_kimg + fade_kimg)) * 1000)
      if n > end:
        continue  # no group starts while this resolution is current (fade_kimg 0, say)
      self.segments.append(Segment(res, self.batches[res], group * repeats, n))
      if not last:  # groups starting at n, n + R b, ... <= end belong to this resolution
        count = (end - n) // (repeats * self.batches[res]) + 1
        n, group = n + count * repeats * self.batches[res], group + count

  # -- host side -------------------------------------------------------------
  def segment(self, step: int) -> Segment:
    return [s for s in self.segments if s.first_step <= step][-1]

  def images_before(self, step: int) -> int:
    s = self.segment(step)
    return s.nimg + (step - s.first_step) * s.batch

  def lod(self, step: int) -> float:
    """The official lod (float64) at the start of step's group of `repeats` steps."""
    kimg = self.images_before(step - step % self.repeats) / 1000.0
    period = self.stable + self.fade
    i = math.floor(kimg / period) if period > 0 else 0
    lod = self.base_lod - i
    if self.fade > 0:
      lod -= max(kimg - i * period - self.stable, 0.0) / self.fade
    return max(lod, 0.0)

  def resolution_at(self, step: int) -> int:
    return self.segment(step).res

  def count(self, step: int) -> int:
    return self.segment(step).batch // self.unit

  def first(self, step: int) -> int:
    return self.images_before(step) // self.unit

  def steps_for_kimg(self, total_kimg: float) -> int:
    """Steps until total_kimg real images were shown, in whole groups (the official
    loop checks cur_nimg against total_kimg between groups)."""
    target, step = total_kimg * 1000, 0
    while self.images_before(step) < target:
      s = self.segment(step)
      nxt = [t.first_step for t in self.segments if t.first_step > step]
      left = -(-(target - self.images_before(step)) // (s.batch * self.repeats)) * self.repeats
      step = min(step + left, nxt[0]) if nxt else step + left
    return int(step)

  def milestones(self, num_steps: int) -> Dict[int, str]:
    """{steps done: what ended}, within the run: each resolution's last stable
    step, and each fade's last step (the next group's lod is an integer)."""
    out = {}
    for k, (seg, nxt) in enumerate(zip(self.segments, self.segments[1:] + [None])):
      if nxt is not None:
        out[nxt.first_step] = f'{seg.res}x{seg.res} trained; {nxt.res}x{nxt.res} fades in'
      level = self.levels.index(seg.res)
      if level == 0 or self.fade == 0:
        continue
      stable_from = round(level * (self.stable + self.fade) * 1000)
      groups = max(0, -(-(stable_from - seg.nimg) // (self.repeats * seg.batch)))
      step = seg.first_step + groups * self.repeats
      if step > seg.first_step and (nxt is None or step < nxt.first_step):
        out[step] = f'{seg.res}x{seg.res} faded in; trains stable'
    return {k: v for k, v in sorted(out.items()) if 0 < k <= num_steps}

  # -- traced ----------------------------------------------------------------
  def traced_lod(self, step, res: int):
    """lod at a traced step of the stage at resolution res (static), float32,
    kept within that stage's range [lod_res, lod_res + 1]."""
    seg = [s for s in self.segments if s.res == res][0]
    group_start = step - step % self.repeats
    nimg = seg.nimg + (group_start - seg.first_step) * seg.batch
    kimg = nimg.astype(jnp.float32) / 1000.0
    period = self.stable + self.fade
    i = jnp.floor(kimg / period) if period > 0 else 0.0
    lod = self.base_lod - i
    if self.fade > 0:
      lod = lod - jnp.maximum(kimg - i * period - self.stable, 0.0) / self.fade
    stage = math.log2(self.resolution) - math.log2(res)
    return jnp.clip(lod, stage, stage + 1.0).astype(jnp.float32)


def fade_reals(images, t):
  """process_reals' FadeLOD: lerp(x, upsample(avg2x2(x)), t), t = lod - floor(lod)."""
  if images.shape[1] <= 4:
    return images
  return images + (upsample2x(downsample2x(images)) - images) * jnp.clip(t, 0.0, 1.0)


class ProgressiveGAN(GeneratesFromNoise):
  reads = ('model.z_dim', 'model.channel_base', 'model.channel_max', 'model.mbstd_group',
           'loss.gradient_penalty', 'loss.drift', 'ema.decay', 'progressive.start_res',
           'progressive.stable_kimg', 'progressive.fade_kimg', 'progressive.total_kimg',
           'progressive.batch_sizes', 'progressive.lr', 'progressive.step_repeats',
           'progressive.reset_optimizer')

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    pc, tc = config.progressive, config.train
    self.resolution = info.image_shape[0]
    self.generator, self.discriminator = pggan_models.pggan_networks(config.model, info)
    self.schedule = self.build_schedule(config, self.resolution)
    self.batch_schedule = self.schedule
    group = config.model.mbstd_group
    for res, batch in self.schedule.batches.items():
      if group > 1 and batch % min(group, batch):
        raise UserError(f'the batch at {res}x{res} ({batch}) is not divisible by '
                        f'config.model.mbstd_group={group} (minibatch standard deviation)')
    lrs = parse_per_resolution(pc.lr, 'progressive.lr', float)
    self._check_resolutions(lrs, 'progressive.lr')
    self.txs = {}
    for name in ('g', 'd'):
      cfg = config.optim[name]
      if cfg.schedule != 'constant':
        raise UserError(f'config.optim.{name}.schedule={cfg.schedule!r}: pggan sets its learning '
                        'rates per resolution (progressive.lr); use schedule constant')
      base = make_optimizer(cfg, name, tc.num_steps)
      per_res = {}
      for res in self.schedule.levels:
        if res in lrs:
          cfg_r = ml_collections.ConfigDict(cfg.to_dict())
          cfg_r.lr = lrs[res]
          per_res[res] = make_optimizer(cfg_r, name, tc.num_steps)
        else:
          per_res[res] = base
      self.txs[name] = (base, per_res)
    self.z_dim = config.model.z_dim
    self.milestones = self.schedule.milestones(tc.num_steps)

  @staticmethod
  def build_schedule(config, resolution: int) -> ProgressiveSchedule:
    pc = config.progressive
    pggan_models.check_resolution(pc.start_res, 'config.progressive.start_res')
    if pc.start_res > resolution:
      raise UserError(f'config.progressive.start_res={pc.start_res} is above '
                      f'data.image_size={resolution}')
    for key in ('stable_kimg', 'fade_kimg', 'total_kimg'):
      if pc[key] < 0:
        raise UserError(f'config.progressive.{key}={pc[key]} must be >= 0')
    if pc.stable_kimg + pc.fade_kimg <= 0 and pc.start_res < resolution:
      raise UserError('config.progressive.stable_kimg and fade_kimg are both 0: the networks '
                      'would never grow; the paper uses 600 each')
    if pc.step_repeats <= 0:
      raise UserError(f'config.progressive.step_repeats={pc.step_repeats} must be > 0')
    unit = config.train.batch_size
    batches = parse_per_resolution(pc.batch_sizes, 'progressive.batch_sizes')
    for res, batch in batches.items():
      if batch <= 0 or batch % unit:
        raise UserError(f'config.progressive.batch_sizes: {res}:{batch} must be a positive '
                        f'multiple of train.batch_size={unit} (the batch at resolutions the '
                        'list leaves out)')
    schedule = ProgressiveSchedule(resolution, pc.start_res, pc.stable_kimg, pc.fade_kimg,
                                   batches, unit, pc.step_repeats)
    ProgressiveGAN._check_resolutions(batches, 'progressive.batch_sizes')
    return schedule

  @staticmethod
  def _check_resolutions(table, what):
    """Entries for resolutions this run does not train are allowed (the official
    tables list them all, up to 1024); a resolution that no run has is a typo."""
    bad = [r for r in table if r < 4 or r & (r - 1)]
    if bad:
      raise UserError(f'config.{what}: resolution(s) {bad} are not powers of two >= 4')

  @classmethod
  def planned_steps(cls, config, num_examples: int):
    if config.progressive.total_kimg > 0:
      return cls.build_schedule(config, config.data.image_size).steps_for_kimg(
          config.progressive.total_kimg)
    return super().planned_steps(config, num_examples)

  # -- state -----------------------------------------------------------------
  def init(self, rng) -> PGGANState:
    g_key, d_key, run_key = jax.random.split(rng, 3)
    lod = self.schedule.lod(0)
    z = jnp.zeros((2, self.z_dim), jnp.float32)
    x = jnp.zeros((2,) + tuple(self.info.image_shape), jnp.float32)
    return PGGANState(
        step=jnp.zeros((), jnp.int32), rng=run_key, lod=jnp.asarray(lod, jnp.float32),
        g=NetworkState.create(self.generator.init(g_key, z, lod), self.txs['g'][0],
                              ema_decay=self.config.ema.decay),
        d=NetworkState.create(self.discriminator.init(d_key, x, lod), self.txs['d'][0]))

  def networks(self, state):
    return {'generator': state.g.params, 'discriminator': state.d.params}

  def stage_counts(self, state):
    """{res: (G stable, G while fading in, D stable, D while fading in)}: the
    parameters a stage's program reads (its own ToRGB/FromRGB, and while fading in
    the ones of the resolution below too)."""
    def count(params, keep):
      return sum(int(v.size) for k, sub in params.items() if keep(k)
                 for v in jax.tree.leaves(sub))

    def res_of(key):  # '16x16_conv0' -> 16, 'to_rgb_16' -> 16, '4x4_dense_bias' -> 4
      return int(key.split('x')[0]) if 'x' in key.split('_')[0] else int(key.split('_')[-1])

    out = {}
    for r in self.schedule.levels:
      rgb = lambda k: k.startswith(('to_rgb', 'from_rgb'))
      body = lambda k, r=r: not rgb(k) and res_of(k) <= r
      own = lambda k, r=r: rgb(k) and res_of(k) == r
      below = lambda k, r=r: rgb(k) and res_of(k) == r // 2 and r > self.schedule.start_res
      g, d = state.g.params, state.d.params
      out[r] = (count(g, lambda k: body(k) or own(k)), count(g, lambda k: body(k) or own(k)
                                                             or below(k)),
                count(d, lambda k: body(k) or own(k)), count(d, lambda k: body(k) or own(k)
                                                         or below(k)))
    return out

  def summary_notes(self, state) -> str:
    lines = ['== parameters per stage (what its program reads) ==',
             f'  {"stage":<10} {"G":>12} {"G fading in":>12} {"D":>12} {"D fading in":>12}']
    for r, (g, gf, d, df) in self.stage_counts(state).items():
      lines.append(f'  {f"{r}x{r}":<10} {g:>12,} {gf:>12,} {d:>12,} {df:>12,}')
    return '\n'.join(lines)

  def step_note(self, step: int, first: bool = False):
    """A line for the log where a stage begins (a new resolution compiles there)
    and at the run's first step."""
    if not first and step not in self.milestones:
      return None
    res, lod = self.schedule.resolution_at(step), self.schedule.lod(step)
    return (f'stage {res}x{res} ({"fading in" if lod % 1 else "stable"}) from step {step}: '
            f'batch {self.schedule.batches[res]}, lod {lod:.4f}')

  def sample_milestones(self):
    return set(self.milestones)

  # -- sampling --------------------------------------------------------------
  def sample_inputs(self, rng, n, labels=None):
    return {'z': jax.random.normal(rng, (n, self.z_dim), jnp.float32)}

  def generate(self, state, inputs):
    """The EMA generator at the state's lod, upsampled to the final resolution and
    clipped to [-1, 1] (G's output is linear; the official code clips when it
    converts samples to 8 bits)."""
    images = self.generator.apply({'params': state.g.sampling_params}, inputs['z'], state.lod)
    return jnp.clip(images, -1.0, 1.0)

  # -- training --------------------------------------------------------------
  def train_batch_shapes(self):
    res = self.schedule.levels[-1]
    n = self.schedule.batches[res]
    return {'image': jax.ShapeDtypeStruct((n, res, res, self.info.image_shape[-1]), jnp.float32),
            'label': jax.ShapeDtypeStruct((n,), jnp.int32)}

  def train_step(self, state, batch):
    res = batch['image'].shape[1]
    lod = self.schedule.traced_lod(state.step, res)
    g, d = state.g, state.d
    if self.config.progressive.reset_optimizer:  # where floor or ceil of lod changes
      changed = ((jnp.floor(lod) != jnp.floor(state.lod)) | (jnp.ceil(lod) != jnp.ceil(state.lod)))
      reset = lambda net: net.replace(opt_state=jax.tree.map(
          lambda fresh, cur: jnp.where(changed, fresh, cur), net.tx.init(net.params),
          net.opt_state))
      g, d = reset(g), reset(d)
    state = state.replace(lod=lod, g=g.replace(tx=self.txs['g'][1][res]),
                          d=d.replace(tx=self.txs['d'][1][res]))
    state, metrics = self.run_step(self.phases(), state, batch)
    metrics['lod'] = lod
    return state.replace(g=state.g.replace(tx=self.txs['g'][0]),
                         d=state.d.replace(tx=self.txs['d'][0])), metrics

  def phases(self):
    return [Phase('d', 'd', self._d_loss), Phase('g', 'g', self._g_loss)]

  def _fake(self, state, key, n, res):
    z = jax.random.normal(key, (n, self.z_dim), jnp.float32)
    return self.generator.apply({'params': state.g.params}, z, state.lod, res=res)

  def _d_loss(self, state, inp):
    images = inp.batch['image']
    n, res = images.shape[0], images.shape[1]
    stage_lod = math.log2(self.resolution / res)
    real = fade_reals(images, state.lod - stage_lod)
    k_fake, k_gp = jax.random.split(jax.random.fold_in(inp.rng, inp.index))
    fake = jax.lax.stop_gradient(self._fake(state, k_fake, n, res))
    d_fn = lambda x: self.discriminator.apply({'params': state.d.params}, x, state.lod)
    real_out, fake_out = d_fn(real), d_fn(fake)
    wgan = jnp.mean(fake_out) - jnp.mean(real_out)
    scale = res / self.resolution  # the gradient's norm w.r.t. the upsampled image
    gp = losses.gradient_penalty(lambda x: d_fn(x) * scale, real, fake, k_gp)
    drift = jnp.mean(jnp.square(real_out))
    lc = self.config.loss
    total = wgan + lc.gradient_penalty * gp + lc.drift * drift
    return total, (state, {'d_loss': wgan, 'gradient_penalty': gp, 'drift': drift,
                           'd_real': jnp.mean(real_out), 'd_fake': jnp.mean(fake_out)}, inp.carry)

  def _g_loss(self, state, inp):
    images = inp.batch['image']
    n, res = images.shape[0], images.shape[1]
    fake = self._fake(state, jax.random.fold_in(inp.rng, inp.index), n, res)
    out = self.discriminator.apply({'params': state.d.params}, fake, state.lod)
    loss = -jnp.mean(out)
    return loss, (state, {'g_loss': loss}, inp.carry)
