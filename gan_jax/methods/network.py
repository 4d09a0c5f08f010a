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

  @classmethod
  def create(cls, module_variables: dict, tx: optax.GradientTransformation,
             ema_decay: float = 0.0, weight_clip: float = 0.0,
             clip_before_step: bool = False) -> 'NetworkState':
    params = module_variables['params']
    return cls(params=params, batch_stats=module_variables.get('batch_stats', {}),
               opt_state=tx.init(params),
               # A copy, not an alias: the state is donated to the step, leaf by leaf.
               ema=jax.tree.map(jnp.copy, params) if ema_decay > 0 else {},
               tx=tx, ema_decay=ema_decay, weight_clip=weight_clip,
               clip_before_step=clip_before_step)

  def variables(self, params: Optional[Any] = None, batch_stats: Optional[Any] = None) -> dict:
    return variables(self.params if params is None else params,
                     self.batch_stats if batch_stats is None else batch_stats)

  @property
  def sampling_params(self):
    """The weights to sample with: the EMA when one is kept."""
    return self.ema if self.ema_decay > 0 else self.params

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
    return self.replace(params=params, opt_state=opt_state, ema=ema)
