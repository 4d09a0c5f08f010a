"""Pieces every method uses: optimizers from config, EMA, data description."""

from typing import NamedTuple, Tuple

import jax
import jax.numpy as jnp
import optax

from gan_jax.errors import UserError


class DataInfo(NamedTuple):
  image_shape: Tuple[int, int, int]
  num_classes: int
  num_examples: int = 0  # examples per epoch (0: unknown, e.g. in --mode=sample)


def epoch_schedule(lr: float, steps_per_epoch: int, constant_epochs: int, decay_epochs: int):
  """CycleGAN's rule (official networks.get_scheduler, 'linear'): during epoch e
  (from 0) the rate is lr * (1 - max(0, e + 1 - constant_epochs) / (decay_epochs + 1)),
  constant within an epoch."""
  def schedule(count):
    epoch = count // max(1, steps_per_epoch)
    return lr * (1.0 - jnp.maximum(0, epoch + 1 - constant_epochs) / (decay_epochs + 1.0))
  return schedule


def make_optimizer(cfg, name: str, total_updates: int,
                   steps_per_epoch: int = 0) -> optax.GradientTransformation:
  """optax optimizer from config.optim.<name> (adam, rmsprop, sgd).

  schedule 'linear' decays the rate linearly to 0 over total_updates (the
  number of updates this optimizer makes in the whole run); 'epochs' is
  CycleGAN's constant-then-linear rule over epochs of steps_per_epoch updates.
  """
  lr = cfg.lr
  if cfg.schedule == 'linear':
    lr = optax.linear_schedule(cfg.lr, 0.0, max(1, total_updates))
  elif cfg.schedule == 'epochs':
    lr = epoch_schedule(cfg.lr, steps_per_epoch, cfg.constant_epochs, cfg.decay_epochs)
  if cfg.name == 'adam':
    if cfg.weight_decay:
      return optax.adamw(lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps, weight_decay=cfg.weight_decay)
    return optax.adam(lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps)
  if cfg.name == 'rmsprop':
    # WGAN's RMSProp (PyTorch defaults: decay 0.99, eps 1e-8).
    return optax.rmsprop(lr, decay=0.99, eps=cfg.eps)
  if cfg.name == 'sgd':
    return optax.sgd(lr)
  raise UserError(f'config.optim.{name}.name={cfg.name!r}; allowed: adam, rmsprop, sgd')


def clip_weights(params, c: float):
  """WGAN (Arjovsky et al. 2017, alg. 1): every weight clipped to [-c, c]."""
  return jax.tree.map(lambda p: jnp.clip(p, -c, c), params)


def ema_update(ema_params, new_params, decay: float):
  """ema <- decay * ema + (1 - decay) * new, leaf by leaf."""
  return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema_params, new_params)
