"""Adversarial losses against values computed by hand.

With real logit r = 0 and fake logit f = 0: sigmoid = 1/2, so every BCE term is
log 2. With r = 2, f = -1 the softplus values are softplus(-2) = log(1 + e^-2)
= 0.126928 and softplus(-1) = log(1 + e^-1) = 0.313262.
"""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.losses import ADVERSARIAL_LOSSES

R = jnp.array([2.0, 2.0])
F = jnp.array([-1.0, -1.0])
SP_M2 = math.log(1 + math.exp(-2))   # softplus(-2)
SP_M1 = math.log(1 + math.exp(-1))   # softplus(-1)
SP_P2 = math.log(1 + math.exp(2))    # softplus(2)


def test_non_saturating_at_zero_is_log2():
  loss = ADVERSARIAL_LOSSES.get('non_saturating')
  z = jnp.zeros(3)
  assert float(loss.d_loss(z, z)) == pytest.approx(2 * math.log(2), rel=1e-6)
  assert float(loss.g_loss(z)) == pytest.approx(math.log(2), rel=1e-6)


def test_bce_losses_by_hand():
  ns, mm = ADVERSARIAL_LOSSES.get('non_saturating'), ADVERSARIAL_LOSSES.get('minimax')
  # D: -log sigmoid(2) - log(1 - sigmoid(-1)) = softplus(-2) + softplus(-1)
  assert float(ns.d_loss(R, F)) == pytest.approx(SP_M2 + SP_M1, rel=1e-6)
  assert float(mm.d_loss(R, F)) == pytest.approx(SP_M2 + SP_M1, rel=1e-6)
  # non-saturating G: -log sigmoid(-1) = softplus(1)
  assert float(ns.g_loss(F)) == pytest.approx(math.log(1 + math.e), rel=1e-6)
  # minimax G: log(1 - sigmoid(-1)) = -softplus(-1)
  assert float(mm.g_loss(F)) == pytest.approx(-SP_M1, rel=1e-6)


def test_one_sided_label_smoothing():
  ns = ADVERSARIAL_LOSSES.get('non_saturating')
  # real target 0.9: 0.9 * softplus(-2) + 0.1 * softplus(2); fakes unchanged
  expect = 0.9 * SP_M2 + 0.1 * SP_P2 + SP_M1
  assert float(ns.d_loss(R, F, 0.1)) == pytest.approx(expect, rel=1e-6)
  # smoothing only moves the real term: the fake term is the same as without it
  assert float(ns.d_loss(R, F, 0.1) - ns.d_loss(R, F, 0.0)) == pytest.approx(
      0.1 * (SP_P2 - SP_M2), rel=1e-5)


def test_wasserstein_hinge_lsgan_by_hand():
  real, fake = jnp.array([2.0, 0.0]), jnp.array([-1.0, 0.5])
  w = ADVERSARIAL_LOSSES.get('wasserstein')
  # mean f - mean r = (-1 + 0.5) / 2 - (2 + 0) / 2 = -1.25
  assert float(w.d_loss(real, fake)) == pytest.approx(-1.25)
  assert float(w.g_loss(fake)) == pytest.approx(0.25)
  h = ADVERSARIAL_LOSSES.get('hinge')
  # relu(1-2)=0, relu(1-0)=1 -> 0.5 ; relu(1-1)=0, relu(1+0.5)=1.5 -> 0.75
  assert float(h.d_loss(real, fake)) == pytest.approx(0.5 + 0.75)
  assert float(h.g_loss(fake)) == pytest.approx(0.25)
  ls = ADVERSARIAL_LOSSES.get('lsgan')
  # 0.5 * (mean((2-1)^2, (0-1)^2) + mean(1, 0.25)) = 0.5 * (1 + 0.625)
  assert float(ls.d_loss(real, fake)) == pytest.approx(0.8125)
  # 0.5 * mean((-2)^2, (-0.5)^2) = 0.5 * 2.125
  assert float(ls.g_loss(fake)) == pytest.approx(1.0625)


def test_probabilistic_flags_and_unknown_name():
  assert ADVERSARIAL_LOSSES.get('non_saturating').probabilistic
  assert not ADVERSARIAL_LOSSES.get('wasserstein').probabilistic
  from gan_jax.errors import UserError
  with pytest.raises(UserError, match="unknown adversarial loss 'foo'; known: hinge, lsgan"):
    ADVERSARIAL_LOSSES.get('foo')


def test_losses_are_batch_means():
  ns = ADVERSARIAL_LOSSES.get('non_saturating')
  a = float(ns.g_loss(jnp.array([0.3, -0.7])))
  b = np.mean([math.log(1 + math.exp(-0.3)), math.log(1 + math.exp(0.7))])
  assert a == pytest.approx(b, rel=1e-6)
