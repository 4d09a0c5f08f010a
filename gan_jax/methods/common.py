"""Pieces every method uses: optimizers from config, EMA, data description."""

from typing import NamedTuple, Tuple

import jax
import optax

from gan_jax.errors import UserError


class DataInfo(NamedTuple):
  image_shape: Tuple[int, int, int]
  num_classes: int


def make_optimizer(cfg, name: str) -> optax.GradientTransformation:
  """optax optimizer from config.optim.<name> (adam, adamw, rmsprop, sgd)."""
  if cfg.name == 'adam':
    if cfg.weight_decay:
      return optax.adamw(cfg.lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps, weight_decay=cfg.weight_decay)
    return optax.adam(cfg.lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps)
  if cfg.name == 'rmsprop':
    return optax.rmsprop(cfg.lr, eps=cfg.eps)
  if cfg.name == 'sgd':
    return optax.sgd(cfg.lr)
  raise UserError(f'config.optim.{name}.name={cfg.name!r}; allowed: adam, rmsprop, sgd')


def ema_update(ema_params, new_params, decay: float):
  """ema <- decay * ema + (1 - decay) * new, leaf by leaf."""
  return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema_params, new_params)
