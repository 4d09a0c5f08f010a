"""One network's training state (params, statistics, optimizer, EMA) and its
update, shared by every method: the one place where gradient -> optimizer ->
new weights is written."""

from typing import Any, Optional

import flax
import jax
import jax.numpy as jnp
import optax


def variables(params, batch_stats) -> dict:
  """The Flax variables of a module: params, plus batch_stats when it has any
  (BatchNorm running statistics, spectral norm's u and sigma)."""
  return {'params': params, 'batch_stats': batch_stats} if batch_stats else {'params': params}


def ema_update(ema_params, new_params, decay):
  """ema <- decay * ema + (1 - decay) * new, leaf by leaf."""
  return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema_params, new_params)


def ema_update_statistics(ema_stats, new_stats, decay):
  """The EMA of BatchNorm's running mean and variance; spectral norm's power-
  iteration vectors (keys ending in /u, /v) are taken from the live network, so
  that they stay unit vectors."""
  def update(path, e, s):
    key = getattr(path[-1], 'key', '')
    return s if key.endswith(('/u', '/v')) else decay * e + (1.0 - decay) * s
  return jax.tree_util.tree_map_with_path(update, ema_stats, new_stats)


def clip_weights(params, c: float):
  """WGAN (Arjovsky et al. 2017, alg. 1): every weight clipped to [-c, c]."""
  return jax.tree.map(lambda p: jnp.clip(p, -c, c), params)


@flax.struct.dataclass
class NetworkState:
  """What an optimizer step of one network changes.

  A "network" may be several modules trained by one optimizer (CycleGAN's two
  generators: params {'a2b': ..., 'b2a': ...}). The optimizer, the EMA decay and
  the weight clip are static: they are part of the jitted program, not data.
  """
  params: Any
  batch_stats: Any          # BatchNorm running statistics, spectral-norm u/sigma; {} if none
  opt_state: optax.OptState
  ema: Any                  # EMA of params (used for sampling); {} when ema_decay == 0
  tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)
  ema_decay: float = flax.struct.field(pytree_node=False, default=0.0)
  weight_clip: float = flax.struct.field(pytree_node=False, default=0.0)
  # WGAN's reference clamps before each of the network's steps (so the other
  # network's step sees it unclamped); False: after each update.
  clip_before_step: bool = flax.struct.field(pytree_node=False, default=False)
  # The EMA of batch_stats, kept with ema_stats=True (BigGAN's G_ema averages
  # the whole state_dict, running statistics included); {} otherwise.
  ema_stats: Any = flax.struct.field(default_factory=dict)

  @classmethod
  def create(cls, module_variables: dict, tx: optax.GradientTransformation,
             ema_decay: float = 0.0, weight_clip: float = 0.0,
             clip_before_step: bool = False, ema_stats: bool = False) -> 'NetworkState':
    # Strongly typed: an initialiser's Python scalar (jnp.full(shape, 1.0)) gives a
    # weakly typed leaf, the step's output is strong, and jit would compile the
    # step a second time for its second call.
    strong = lambda tree: jax.tree.map(lambda x: jnp.asarray(x, x.dtype), tree)
    params = strong(module_variables['params'])
    stats = strong(module_variables.get('batch_stats', {}))
    return cls(params=params, batch_stats=stats,
               opt_state=tx.init(params),
               # A copy, not an alias: the state is donated to the step, leaf by leaf.
               ema=jax.tree.map(jnp.copy, params) if ema_decay > 0 else {},
               tx=tx, ema_decay=ema_decay, weight_clip=weight_clip,
               clip_before_step=clip_before_step,
               ema_stats=jax.tree.map(jnp.copy, stats) if ema_decay > 0 and ema_stats else {})

  def variables(self, params: Optional[Any] = None, batch_stats: Optional[Any] = None) -> dict:
    return variables(self.params if params is None else params,
                     self.batch_stats if batch_stats is None else batch_stats)

  @property
  def sampling_params(self):
    """The weights to sample with: the EMA when one is kept."""
    return self.ema if self.ema_decay > 0 else self.params

  @property
  def sampling_stats(self):
    """The running statistics to sample with: their EMA when one is kept."""
    return self.ema_stats if self.ema_stats else self.batch_stats

  def copy_to_ema(self, copy) -> 'NetworkState':
    """Where `copy` (a traced bool) holds, the EMA becomes the network itself
    (BigGAN's ema_start)."""
    pick = lambda e, p: jnp.where(copy, p, e)
    return self.replace(ema=jax.tree.map(pick, self.ema, self.params),
                        ema_stats=jax.tree.map(pick, self.ema_stats, self.batch_stats)
                        if self.ema_stats else {})

  def before_step(self) -> 'NetworkState':
    """The weights a step differentiates: clamped first when clip_before_step."""
    if self.weight_clip and self.clip_before_step:
      return self.replace(params=clip_weights(self.params, self.weight_clip))
    return self

  def apply_gradients(self, grads) -> 'NetworkState':
    """One optimizer update, then the weight clip (WGAN; unless it comes before the
    step) and the EMA, in that order."""
    updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
    params = optax.apply_updates(self.params, updates)
    if self.weight_clip and not self.clip_before_step:
      params = clip_weights(params, self.weight_clip)
    ema = ema_update(self.ema, params, self.ema_decay) if self.ema_decay > 0 else self.ema
    ema_stats = self.ema_stats
    if ema_stats:  # the statistics the forward passes of this step left in batch_stats
      ema_stats = ema_update_statistics(ema_stats, self.batch_stats, self.ema_decay)
    return self.replace(params=params, opt_state=opt_state, ema=ema, ema_stats=ema_stats)
