"""Optimizers from config.optim.<g|d>: Adam, RMSProp (PyTorch's), SGD, with the
constant, linear and CycleGAN epoch schedules and StyleGAN2's lazy-regularisation
adjustment."""

import jax.numpy as jnp
import optax

from gan_jax.errors import UserError
from gan_jax.methods.phases import lazy_adjustment


def epoch_schedule(lr: float, steps_per_epoch: int, constant_epochs: int, decay_epochs: int):
  """CycleGAN's rule (official networks.get_scheduler, 'linear', epoch_count 1):
  the official train.py steps its LambdaLR at the start of every epoch, so during
  epoch k (from 1) the factor is 1 - max(0, k + 1 - n_epochs) / (n_epochs_decay + 1):
  1 through epoch n_epochs - 1, then down by 1/(n_epochs_decay + 1) an epoch, 0 in
  the last one. Constant within an epoch; `count` is the optimizer's update count."""
  def schedule(count):
    epoch = count // max(1, steps_per_epoch) + 1  # 1-based, as the official loop counts
    return lr * (1.0 - jnp.maximum(0, epoch + 1 - constant_epochs) / (decay_epochs + 1.0))
  return schedule


def make_optimizer(cfg, name: str, total_updates: int, steps_per_epoch: int = 0,
                   lazy_interval: int = 1) -> optax.GradientTransformation:
  """optax optimizer from config.optim.<name> (adam, rmsprop, sgd).

  schedule 'linear' decays the rate linearly to 0 over total_updates (the
  number of updates this optimizer makes in the whole run); 'epochs' is
  CycleGAN's constant-then-linear rule over epochs of steps_per_epoch updates;
  'half_linear' constant for the first half of total_updates, then linear to 0;
  'half_tenth' constant, then a tenth of it for the second half (SRGAN: 1e-4, 1e-5).
  lazy_interval k > 1: the network's regulariser is a phase of its own every k
  steps (StyleGAN2), so the rate is multiplied by c = k / (k + 1) and Adam's
  betas raised to the power c (training_loop.py), keeping the effective
  averaging horizon per main step.
  """
  c = lazy_adjustment(lazy_interval)
  base_lr = cfg.lr * c if c != 1 else cfg.lr
  lr = base_lr
  if cfg.schedule == 'linear':
    lr = optax.linear_schedule(base_lr, 0.0, max(1, total_updates))
  elif cfg.schedule == 'half_linear':
    half = max(1, total_updates // 2)
    lr = optax.join_schedules([optax.constant_schedule(base_lr),
                               optax.linear_schedule(base_lr, 0.0, max(1, total_updates - half))],
                              [half])
  elif cfg.schedule == 'half_tenth':
    lr = optax.piecewise_constant_schedule(base_lr, {max(1, total_updates // 2): 0.1})
  elif cfg.schedule == 'epochs':
    lr = epoch_schedule(base_lr, steps_per_epoch, cfg.constant_epochs, cfg.decay_epochs)
  if cfg.name == 'adam':
    b1, b2 = (cfg.b1 ** c, cfg.b2 ** c) if c != 1 else (cfg.b1, cfg.b2)
    if cfg.weight_decay:
      return optax.adamw(lr, b1=b1, b2=b2, eps=cfg.eps, weight_decay=cfg.weight_decay)
    return optax.adam(lr, b1=b1, b2=b2, eps=cfg.eps)
  if cfg.name == 'rmsprop':
    # WGAN's RMSProp is PyTorch's: decay 0.99, eps 1e-8 added to sqrt(v) (optax's
    # default puts it inside the square root, which with WGAN's tiny critic gradients
    # changes step sizes by tens of percent).
    return optax.rmsprop(lr, decay=0.99, eps=cfg.eps, eps_in_sqrt=False)
  if cfg.name == 'sgd':
    return optax.sgd(lr)
  raise UserError(f'config.optim.{name}.name={cfg.name!r}; allowed: adam, rmsprop, sgd')
