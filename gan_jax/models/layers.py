"""Layers the model files share: initialisers, the four-phase transposed
convolution, spectral norm, PyTorch-default BatchNorm, translation norms."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.errors import UserError


def normal_init(std: float):
  """N(0, std) kernel init as in DCGAN; std 0 keeps Flax's default (LeCun normal)."""
  return nn.initializers.normal(std) if std > 0 else nn.initializers.lecun_normal()


# For a 4-tap, stride-2 transposed conv with 'SAME' padding (Flax's: the kernel
# is not flipped), output 2i + a takes K[0] x[i-1] + K[2] x[i] for a = 0 and
# K[1] x[i] + K[3] x[i+1] for a = 1: phase a reads taps _PHASE_TAPS[a] over the
# input padded by 1 before it (a = 0) or after it (a = 1).
_PHASE_TAPS = np.array([[0, 2], [1, 3]])


class ConvTranspose4x4s2(nn.Module):
  """Exactly nn.ConvTranspose(features, (4, 4), strides=(2, 2), padding='SAME').

  Same parameter ('kernel' (4, 4, in, out), optional 'bias') and the same
  output, computed in its four-phase form: each output phase (a, b) (rows 2i + a,
  columns 2j + b) is a stride-1 2x2 convolution of the input with the 2x2 taps
  of K that reach it, and the four are interleaved. No multiplication by a zero
  tap (the 3x3 sub-pixel form does 9/4 of the work); XLA's CPU backend runs
  these plain convolutions, and their gradients, much faster than the strided
  transposed conv (bench/train_step_speed.py measures all three forms).
  """
  features: int
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x):
    kernel = self.param('kernel', self.kernel_init, (4, 4, x.shape[-1], self.features))
    kernel = kernel.astype(x.dtype)
    rows = []
    for a in (0, 1):
      cols = []
      for b in (0, 1):
        k = kernel[_PHASE_TAPS[a]][:, _PHASE_TAPS[b]]  # (2, 2, in, out)
        pad = ((1, 0) if a == 0 else (0, 1), (1, 0) if b == 0 else (0, 1))
        cols.append(jax.lax.conv_general_dilated(x, k, (1, 1), pad,
                                                 dimension_numbers=('NHWC', 'HWIO', 'NHWC')))
      rows.append(jnp.stack(cols, axis=3))           # (B, h, w, 2 [b], C)
    y = jnp.stack(rows, axis=2)                      # (B, h, 2 [a], w, 2 [b], C)
    b, h, _, w, _, c = y.shape
    y = y.reshape(b, 2 * h, 2 * w, c)
    if self.use_bias:
      y = y + self.param('bias', nn.initializers.zeros, (self.features,))
    return y


def _l2_normalize(x, eps: float = 1e-12):
  return x / jnp.maximum(jnp.linalg.norm(x), eps)  # torch.nn.functional.normalize


class SpectralNorm(nn.Module):
  """torch.nn.utils.spectral_norm (Miyato et al. 2018) for a Flax layer.

  The layer's parameters stay as its initialiser drew them (PyTorch's
  weight_orig: Mimicry's xavier init is the raw weight; Flax's nn.SpectralNorm
  stores W / sigma_0 at init instead, a different scale for the optimizer).
  Each kernel (reshaped to fan_in x out) is divided by sigma = v^T W u, with
  u, v the power-iteration vectors kept in 'batch_stats' (so checkpointed): one
  iteration per training call, none at evaluation, as PyTorch in train/eval.
  """
  layer_instance: nn.Module

  @nn.compact
  def __call__(self, *args, update_stats: bool):
    initializing = self.is_initializing()

    def normalize(path, value):
      if value.ndim < 2:
        return value  # biases
      w = value.reshape(-1, value.shape[-1])
      name = self.layer_instance.name + '/' + '/'.join(k.key for k in path[1:])
      rng = lambda: self.make_rng('params')
      u = self.variable('batch_stats', name + '/u',
                        lambda: _l2_normalize(jax.random.normal(rng(), (w.shape[1],))))
      v = self.variable('batch_stats', name + '/v',
                        lambda: _l2_normalize(jax.random.normal(rng(), (w.shape[0],))))
      if initializing:
        return value
      u_, v_ = u.value, v.value
      if update_stats:
        wd = jax.lax.stop_gradient(w)
        v_ = _l2_normalize(wd @ u_)
        u_ = _l2_normalize(v_ @ wd)
        u.value, v.value = u_, v_
      sigma = v_ @ w @ u_
      return value / sigma

    return nn.map_variables(
        lambda layer: layer(*args),
        trans_in_fn=lambda vs: jax.tree_util.tree_map_with_path(normalize, vs),
        init=initializing, mutable=True)(self.layer_instance)


def sn(layer: nn.Module, x, spectral_norm: bool, train: bool):
  """Applies layer, spectrally normalised (see SpectralNorm) when asked."""
  if spectral_norm:
    return SpectralNorm(layer)(x, update_stats=train)
  return layer(x)


def one_hot(labels, num_classes: int):
  return jax.nn.one_hot(labels, num_classes, dtype=jnp.float32)


def conditional_classes(model_cfg, info) -> int:
  """Number of classes a model conditions on: 0 unless model.conditional."""
  return info.num_classes if model_cfg.conditional else 0


def scale_init(std: float):
  """N(1, std) for a norm's scale (pytorch/examples' DCGAN weights_init, pix2pix's
  init_weights, Mimicry's conditional BN); std 0: ones (PyTorch's default)."""
  if std <= 0:
    return nn.initializers.ones
  return lambda key, shape, dtype=jnp.float32: 1.0 + std * jax.random.normal(key, shape, dtype)


def batch_norm(train: bool, name=None, scale_std: float = 0.0, **kwargs):
  """BatchNorm with PyTorch's BatchNorm2d defaults (momentum 0.1, i.e. Flax's 0.9;
  eps 1e-5), as every reference network here was trained with; scale N(1, scale_std)."""
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5, name=name,
                      scale_init=scale_init(scale_std), **kwargs)


def norm_layer(kind: str, train: bool, name=None, scale_std: float = 0.0):
  """The translation networks' norm: 'instance' (CycleGAN: no affine, no running
  statistics, eps 1e-5) or 'batch' (pix2pix: affine, PyTorch's momentum 0.1,
  scale N(1, scale_std) as init_weights draws it)."""
  if kind == 'instance':
    return nn.InstanceNorm(epsilon=1e-5, use_scale=False, use_bias=False, name=name)
  if kind == 'batch':
    return batch_norm(train, name, scale_std=scale_std)
  raise UserError(f"config.model.norm={kind!r}; allowed: 'instance', 'batch'")


def reflect_pad(x, p: int):
  return jnp.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode='reflect')
