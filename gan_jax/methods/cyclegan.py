"""`cyclegan` (Zhu et al. 2017): unpaired translation with two generators
(a2b: A -> B, b2a: B -> A) and two discriminators (d_b judges domain B: real B
against a2b(A); d_a judges domain A), as the official PyTorch code trains them.

Per step: one update of both generators (one optimizer) against the current
discriminators, with
  adversarial  c(d_b(a2b(A)), 1) + c(d_a(b2a(B)), 1)         (c: patch_criterion)
  cycle        lambda * (|b2a(a2b(A)) - A|_1 + |a2b(b2a(B)) - B|_1)
  identity     lambda * identity_weight * (|a2b(B) - B|_1 + |b2a(A) - A|_1)
then one update of both discriminators (one optimizer), each on its real
images and a fake drawn from an image pool of the last `train.pool_size`
fakes (Shrivastava et al. 2017): D loss 0.5 * (c(real, 1) + c(fake, 0)).
The pools are part of the TrainState (checkpointed, updated functionally).
"""

import flax
import jax
import jax.numpy as jnp

from gan_jax import losses
from gan_jax.methods.network import NetworkState, variables
from gan_jax.methods.phases import Phase
from gan_jax.methods.translator import Translator


@flax.struct.dataclass
class CycleGANState:
  step: jax.Array
  rng: jax.Array
  g: NetworkState       # params {'a2b': ..., 'b2a': ...}, one optimizer
  d: NetworkState       # params {'a': judges domain A, 'b': judges domain B}
  pool_a: jax.Array     # (pool_size, H, W, C) past fakes of domain A (b2a outputs)
  pool_b: jax.Array     # past fakes of domain B (a2b outputs)
  pool_count: jax.Array  # images stored so far (the same in both pools), <= pool_size


def pool_query(pool, count, images, key):
  """The official ImagePool.query, functionally: image by image, while the pool
  is not full the image is stored and returned; afterwards, with probability
  1/2 a random stored image is returned and replaced by it, else it is returned
  itself. Returns (images for D, new pool, new count)."""
  size = pool.shape[0]
  if size == 0:
    return images, pool, count

  def one(carry, xs):
    pool, count = carry
    image, k = xs
    k_swap, k_slot = jax.random.split(k)
    filling = count < size
    swap = jax.random.uniform(k_swap) > 0.5
    slot = jnp.where(filling, count, jax.random.randint(k_slot, (), 0, size))
    stored = pool[slot]
    write = filling | swap
    pool = pool.at[slot].set(jnp.where(write, image, stored))
    out = jnp.where(~filling & swap, stored, image)
    return (pool, count + filling.astype(count.dtype)), out

  keys = jax.random.split(key, images.shape[0])
  (pool, count), out = jax.lax.scan(one, (pool, count), (images, keys))
  return out, pool, count


class CycleGAN(Translator):
  reads = ('loss.cycle_weight', 'loss.identity_weight', 'train.pool_size')

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    self.cycle_weight = config.loss.cycle_weight
    self.identity_weight = config.loss.identity_weight
    self.pool_size = config.train.pool_size

  # -- state -------------------------------------------------------------------
  def init(self, rng) -> CycleGANState:
    keys = jax.random.split(rng, 5)
    x = jnp.zeros((1,) + tuple(self.info.image_shape), jnp.float32)
    g = {name: self.generator.init({'params': k, 'dropout': k}, x, train=False)
         for name, k in (('a2b', keys[0]), ('b2a', keys[1]))}
    d = {name: self.discriminator.init(k, x, train=False)
         for name, k in (('a', keys[2]), ('b', keys[3]))}
    pool = jnp.zeros((self.pool_size,) + tuple(self.info.image_shape), jnp.float32)
    return CycleGANState(
        step=jnp.zeros((), jnp.int32), rng=keys[4],
        g=NetworkState.create(_stack_variables(g), self.g_opt),
        d=NetworkState.create(_stack_variables(d), self.d_opt),
        pool_a=pool, pool_b=jnp.copy(pool), pool_count=jnp.zeros((), jnp.int32))

  def networks(self, state):
    return {'generator_a2b': state.g.params['a2b'], 'generator_b2a': state.g.params['b2a'],
            'discriminator_a': state.d.params['a'], 'discriminator_b': state.d.params['b']}

  def translate(self, state, images, direction: str):
    self.check_direction(direction)
    return self.generator.apply(
        variables(state.g.params[direction], state.g.batch_stats[direction]), images,
        train=False)

  # -- training ------------------------------------------------------------------
  def phases(self):
    return [Phase('g', 'g', self._g_loss), Phase('d', 'd', self._d_loss)]

  def _g_loss(self, state, inp):
    k = jax.random.split(inp.rng, 10)
    real_a, real_b = inp.batch['image'], inp.batch['image_b']
    lam, lam_idt = self.cycle_weight, self.cycle_weight * self.identity_weight
    g_net, d_net, crit, run = self.generator, self.discriminator, self.criterion, self.apply_train
    params, bs = state.g.params, dict(state.g.batch_stats)
    fake_b, bs['a2b'] = run(g_net, params['a2b'], bs['a2b'], real_a, k[0])
    rec_a, bs['b2a'] = run(g_net, params['b2a'], bs['b2a'], fake_b, k[1])
    fake_a, bs['b2a'] = run(g_net, params['b2a'], bs['b2a'], real_b, k[2])
    rec_b, bs['a2b'] = run(g_net, params['a2b'], bs['a2b'], fake_a, k[3])
    terms = {}
    if self.identity_weight > 0:
      idt_b, bs['a2b'] = run(g_net, params['a2b'], bs['a2b'], real_b, k[4])
      idt_a, bs['b2a'] = run(g_net, params['b2a'], bs['b2a'], real_a, k[5])
      terms['identity'] = lam_idt * (losses.l1(idt_b, real_b) + losses.l1(idt_a, real_a))
    # D in train mode, as the official code; its statistics are updated in the D step.
    d = state.d
    d_fake_b, _ = run(d_net, d.params['b'], d.batch_stats['b'], fake_b, k[6])
    d_fake_a, _ = run(d_net, d.params['a'], d.batch_stats['a'], fake_a, k[6])
    terms['g_adv'] = crit(d_fake_b, True) + crit(d_fake_a, True)
    terms['cycle'] = lam * (losses.l1(rec_a, real_a) + losses.l1(rec_b, real_b))
    total = sum(terms.values())
    carry = {'fake_a': jax.lax.stop_gradient(fake_a), 'fake_b': jax.lax.stop_gradient(fake_b)}
    return total, (state.replace(g=state.g.replace(batch_stats=bs)),
                   {'g_loss': total, **terms}, carry)

  def _d_loss(self, state, inp):
    k = jax.random.split(inp.rng, 10)
    real_a, real_b = inp.batch['image'], inp.batch['image_b']
    # The discriminators see the fakes of this step's G forward pass, through the pools.
    pooled_b, pool_b, count = pool_query(state.pool_b, state.pool_count, inp.carry['fake_b'], k[7])
    pooled_a, pool_a, _ = pool_query(state.pool_a, state.pool_count, inp.carry['fake_a'], k[8])
    d, crit = state.d, self.criterion
    bs, out = dict(d.batch_stats), {}
    for side, real, fake in (('a', real_a, pooled_a), ('b', real_b, pooled_b)):
      r, bs[side] = self.apply_train(self.discriminator, d.params[side], bs[side], real, k[9])
      f, bs[side] = self.apply_train(self.discriminator, d.params[side], bs[side], fake, k[9])
      out[f'd_loss_{side}'] = 0.5 * (crit(r, True) + crit(f, False))
      out[f'd_real_{side}'], out[f'd_fake_{side}'] = jnp.mean(r), jnp.mean(f)
    state = state.replace(d=d.replace(batch_stats=bs), pool_a=pool_a, pool_b=pool_b,
                          pool_count=count)
    return out['d_loss_a'] + out['d_loss_b'], (state, out, inp.carry)


def _stack_variables(per_network: dict) -> dict:
  """{'a2b': variables, 'b2a': variables} -> variables of one NetworkState whose params
  and batch_stats are keyed by network name (one optimizer for both, as the official code)."""
  return {'params': {k: v['params'] for k, v in per_network.items()},
          'batch_stats': {k: v.get('batch_stats', {}) for k, v in per_network.items()}}
