"""A train step as a list of phases, as StyleGAN2-ADA's training loop has it.

A phase is (name, network updated, loss, interval, gain, repeats): the loss is
differentiated with respect to that network's parameters only and the result
goes through that network's optimizer (`NetworkState.apply_gradients`). Lazy
regularisation (Karras et al. 2020, sec. 4) is a phase with interval k and gain
k; n_critic is a phase with repeats n. Interval and gain are static, so jit
compiles one program; a phase that is not due is skipped with `lax.cond`.
"""

import dataclasses
from typing import Any, Callable, Dict, NamedTuple, Sequence, Tuple

import jax
import jax.numpy as jnp
import optax


class PhaseInputs(NamedTuple):
  batch: Dict[str, jax.Array]  # the whole step's batch; a loss picks its share
  rng: jax.Array               # the step's key, fold_in(state.rng, state.step)
  index: int                   # position of this run among the step's runs
  repeat: int                  # which of the phase's repeats this is (both static,
                               # traced in a scanned phase: see MAX_UNROLLED)
  carry: Dict[str, Any]        # what earlier phases of this step handed on


# loss(state, inputs) -> (scalar, (state, metrics, carry)). The state passed in
# holds the phase network's parameters being differentiated; the returned state
# carries what the forward passes changed (batch statistics, image pools).
LossFn = Callable[[Any, PhaseInputs], Tuple[jax.Array, Tuple[Any, Dict, Dict]]]


@dataclasses.dataclass(frozen=True)
class Phase:
  name: str            # metrics are reported under it: '<name>_grad_norm'
  network: str         # the TrainState field (a NetworkState) this phase updates
  loss: LossFn
  interval: int = 1    # runs on steps where step % interval == 0
  gain: float = 1.0    # the loss is multiplied by it before differentiation
  repeats: int = 1     # consecutive runs per step (n_critic)


def lazy_adjustment(interval: int) -> float:
  """StyleGAN2's factor for the main phase's optimizer when its regulariser runs
  every `interval` steps (training_loop.py): lr x c and Adam's betas ** c with
  c = interval / (interval + 1); 1 when not lazy."""
  return interval / (interval + 1.0) if interval > 1 else 1.0


def _run(phase: Phase, state, inputs: PhaseInputs):
  net = getattr(state, phase.network).before_step()

  def loss_fn(params):
    trial = state.replace(**{phase.network: net.replace(params=params)})
    loss, (new_state, metrics, carry) = phase.loss(trial, inputs)
    return loss * phase.gain if phase.gain != 1 else loss, (new_state, metrics, carry)

  (_, (new_state, metrics, carry)), grads = jax.value_and_grad(loss_fn, has_aux=True)(net.params)
  updated = getattr(new_state, phase.network).replace(params=net.params).apply_gradients(grads)
  metrics = dict(metrics)
  metrics[f'{phase.name}_grad_norm'] = optax.tree.norm(grads)
  return new_state.replace(**{phase.network: updated}), metrics, carry


# Repeats up to this many are unrolled into the program (n_critic = 5 as five
# copies); more (WGAN's 100 boosted critic steps) run as a lax.scan, so that
# compile time does not grow with them.
MAX_UNROLLED = 8


def _scan(phase: Phase, state, batch, rng, index: int, carry):
  """phase.repeats runs as one loop: repeat and index are traced, not static."""
  if phase.interval != 1:
    raise ValueError(f'phase {phase.name!r}: an interval and more than {MAX_UNROLLED} repeats')

  def body(c, r):
    s, cy = c
    s, m, cy = _run(phase, s, PhaseInputs(batch, rng, index + r, r, cy))
    return (s, cy), m

  (state, carry), stacked = jax.lax.scan(body, (state, carry), jnp.arange(phase.repeats))
  return state, carry, jax.tree.map(lambda v: jnp.mean(v, axis=0), stacked)


def run_phases(phases: Sequence[Phase], state, batch, rng):
  """Runs every due phase in order; returns (state, metrics).

  Metrics of a repeated phase are averaged over its repeats; those of a phase
  that is not due this step are zeros (so a logged mean over steps is the
  regulariser's value divided by its interval).
  """
  index, carry, metrics = 0, {}, {}
  for phase in phases:
    if phase.repeats > MAX_UNROLLED:
      state, carry, m = _scan(phase, state, batch, rng, index, carry)
      metrics.update(m)
      index += phase.repeats
      continue
    runs = []
    for r in range(phase.repeats):
      inputs = PhaseInputs(batch, rng, index, r, carry)
      if phase.interval == 1:
        state, m, carry = _run(phase, state, inputs)
      else:
        run = lambda s, i=inputs, p=phase: _run(p, s, i)[:2]
        shapes = jax.eval_shape(run, state)[1]
        skip = lambda s, shapes=shapes: (s, jax.tree.map(
            lambda a: jnp.zeros(a.shape, a.dtype), shapes))
        state, m = jax.lax.cond(state.step % phase.interval == 0, run, skip, state)
      runs.append(m)
      index += 1
    metrics.update(jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *runs) if len(runs) > 1
                   else runs[0])
  return state, metrics
