"""Adversarial losses as pure functions of discriminator outputs.

Each loss takes raw discriminator outputs (logits for the probabilistic
losses, scores for the others), averages over the batch, and returns a scalar.
`smoothing` is one-sided label smoothing (Salimans et al. 2016): the real
target becomes 1 - smoothing; fakes keep target 0.
"""

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from gan_jax.registry import Registry


class AdversarialLoss(NamedTuple):
  d_loss: Callable  # (real_out, fake_out, smoothing) -> scalar
  g_loss: Callable  # (fake_out) -> scalar
  probabilistic: bool  # outputs are logits of P(real); D(x) = sigmoid(out)


ADVERSARIAL_LOSSES: Registry[AdversarialLoss] = Registry('adversarial loss')


def _bce_real(logits, smoothing=0.0):
  """Binary cross-entropy against target 1 - smoothing, from logits."""
  target = 1.0 - smoothing
  return jnp.mean(target * jax.nn.softplus(-logits) + (1 - target) * jax.nn.softplus(logits))


def _bce_fake(logits):
  """Binary cross-entropy against target 0, from logits."""
  return jnp.mean(jax.nn.softplus(logits))


def _bce_d_loss(real, fake, smoothing=0.0):
  return _bce_real(real, smoothing) + _bce_fake(fake)


# Goodfellow et al. 2014, eq. 1: G minimises log(1 - D(G(z))).
ADVERSARIAL_LOSSES.register('minimax')(AdversarialLoss(
    d_loss=_bce_d_loss, g_loss=lambda fake: -_bce_fake(fake), probabilistic=True))

# Goodfellow et al. 2014, sec. 3: G maximises log D(G(z)) instead (used in practice).
ADVERSARIAL_LOSSES.register('non_saturating')(AdversarialLoss(
    d_loss=_bce_d_loss, g_loss=_bce_real, probabilistic=True))

# Arjovsky et al. 2017: critic maximises E[D(x)] - E[D(G(z))].
ADVERSARIAL_LOSSES.register('wasserstein')(AdversarialLoss(
    d_loss=lambda real, fake, smoothing=0.0: jnp.mean(fake) - jnp.mean(real),
    g_loss=lambda fake: -jnp.mean(fake), probabilistic=False))

# Lim & Ye 2017 / Miyato et al. 2018.
ADVERSARIAL_LOSSES.register('hinge')(AdversarialLoss(
    d_loss=lambda real, fake, smoothing=0.0: (jnp.mean(jax.nn.relu(1 - real))
                                              + jnp.mean(jax.nn.relu(1 + fake))),
    g_loss=lambda fake: -jnp.mean(fake), probabilistic=False))

# Mao et al. 2017 (a=0, b=1, c=1), with the 1/2 factors of their eq. 2.
ADVERSARIAL_LOSSES.register('lsgan')(AdversarialLoss(
    d_loss=lambda real, fake, smoothing=0.0: 0.5 * (jnp.mean((real - (1 - smoothing)) ** 2)
                                                    + jnp.mean(fake ** 2)),
    g_loss=lambda fake: 0.5 * jnp.mean((fake - 1) ** 2), probabilistic=False))


# -- Regularisers of the discriminator ------------------------------------------

def _per_sample_input_grads(d_fn, x):
  """Gradient of each sample's output w.r.t. its own input.

  Taking the gradient of sum_i D(x_i) gives every sample's own gradient as long
  as D treats samples independently (no BatchNorm in training mode), which is
  why the penalties below require a D without batch statistics.
  """
  return jax.grad(lambda x_: jnp.sum(d_fn(x_)))(x)


def gradient_penalty(d_fn, real, fake, key, target: float = 1.0):
  """WGAN-GP (Gulrajani et al. 2017, alg. 1): E[(||grad D(x_hat)||_2 - 1)^2],
  x_hat = eps * real + (1 - eps) * fake with eps ~ U[0, 1] per sample."""
  eps = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1), real.dtype)
  x_hat = eps * real + (1.0 - eps) * fake
  grads = _per_sample_input_grads(d_fn, x_hat)
  norms = jnp.sqrt(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=1) + 1e-12)
  return jnp.mean((norms - target) ** 2)


def r1_penalty(d_fn, real):
  """R1 (Mescheder et al. 2018, eq. 9 without the gamma/2): E[||grad D(x)||_2^2] on reals."""
  grads = _per_sample_input_grads(d_fn, real)
  return jnp.mean(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=1))


# -- Translation (pix2pix, CycleGAN) ---------------------------------------------------
# The official pix2pix/CycleGAN GANLoss, mean over every (patch) output: 'mse' is its
# 'lsgan' (squared error to the target 1 for real, 0 for fake), 'bce' its 'vanilla'
# (binary cross-entropy with logits). Their D loss is 0.5 * (c(real, 1) + c(fake, 0))
# and their G loss c(D(G(x)), 1): unlike ADVERSARIAL_LOSSES['lsgan'] (Mao et al.'s
# eq. 2), the G loss carries no 1/2, hence the different names.
PATCH_CRITERIA: Registry[Callable] = Registry('translation criterion (loss.adversarial)', {
    'mse': lambda out, real: jnp.mean((out - (1.0 if real else 0.0)) ** 2),
    'bce': lambda out, real: jnp.mean(jax.nn.softplus(-out) if real else jax.nn.softplus(out)),
})


def l1(a, b):
  return jnp.mean(jnp.abs(a - b))


def weight_matrices(params, exclude=()):
  """Every parameter with two or more axes as an (out, fan_in) matrix, as PyTorch
  holds it (param.view(out, -1)): dense and conv kernels transposed to put the
  output first, embeddings as they are; those under a module named in `exclude`
  left out."""
  mats = []
  for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
    names = [getattr(k, 'key', str(k)) for k in path]
    if leaf.ndim < 2 or any(n in exclude for n in names):
      continue
    mats.append(leaf if names[-1] == 'embedding' else leaf.reshape(-1, leaf.shape[-1]).T)
  return mats


def orthogonal_penalty(params, exclude=()):
  """BigGAN's orthogonal regularisation (Brock et al. 2019, sec. 3.1, the form
  without the diagonal): sum over weight matrices W of ||W W^T (1 - I)||_F^2 / 2.
  Its gradient 2 (W W^T (1 - I)) W is what BigGAN-PyTorch's utils.ortho adds to
  each weight's gradient, times the strength."""
  total = 0.0
  for w in weight_matrices(params, exclude):
    gram = w @ w.T
    total = total + 0.5 * jnp.sum(jnp.square(gram * (1.0 - jnp.eye(w.shape[0], dtype=w.dtype))))
  return total
