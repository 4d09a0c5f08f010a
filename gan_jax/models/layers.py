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


class ConvTransposeS2(nn.Module):
  """Exactly nn.ConvTranspose(features, (k, k), strides=(2, 2), padding=((p, q),
  (p, q))) where that output is twice the input (p + q = k: DCGAN's 'SAME' and
  pix2pix's U-Net are k = 4, p = 2; CycleGAN's ResNet k = 3, p = 1 as PyTorch's
  output_padding=1), in its four-phase form.

  Output row 2m + a of the stride-2 transposed conv only meets the kernel taps
  t with t = p - a (mod 2), at input rows m + (a + t - p) / 2: each output
  phase (a, b) is a stride-1 convolution of the input with those taps, and the
  four are interleaved. Same parameters ('kernel' (k, k, in, out), optional
  'bias') and outputs; no multiplication by the zeros that the dilated input
  holds. XLA's CPU backend runs these plain convolutions and their gradients
  many times faster than its strided transposed conv (bench/train_step_speed.py,
  bench/compare_torch.py).
  """
  features: int
  kernel_size: int = 4
  pad_before: int = 2
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x):
    k, p = self.kernel_size, self.pad_before
    kernel = self.param('kernel', self.kernel_init, (k, k, x.shape[-1], self.features))
    kernel = kernel.astype(x.dtype)
    phases = []  # per phase a: its taps and the input offsets they read (consecutive)
    for a in (0, 1):
      taps = [t for t in range(k) if (t - p + a) % 2 == 0]
      phases.append((np.array(taps), (a + taps[0] - p) // 2, (a + taps[-1] - p) // 2))
    rows = []
    for taps_a, lo_a, hi_a in phases:
      cols = []
      for taps_b, lo_b, hi_b in phases:
        cols.append(jax.lax.conv_general_dilated(
            x, kernel[taps_a][:, taps_b], (1, 1), ((-lo_a, hi_a), (-lo_b, hi_b)),
            dimension_numbers=('NHWC', 'HWIO', 'NHWC')))
      rows.append(jnp.stack(cols, axis=3))           # (B, h, w, 2 [b], C)
    y = jnp.stack(rows, axis=2)                      # (B, h, 2 [a], w, 2 [b], C)
    b, h, _, w, _, c = y.shape
    y = y.reshape(b, 2 * h, 2 * w, c)
    if self.use_bias:
      y = y + self.param('bias', nn.initializers.zeros, (self.features,))
    return y


def ConvTranspose4x4s2(features, use_bias=True, kernel_init=nn.initializers.lecun_normal(),
                       name=None):  # pylint: disable=invalid-name
  """Exactly nn.ConvTranspose(features, (4, 4), strides=(2, 2), padding='SAME')."""
  return ConvTransposeS2(features, 4, 2, use_bias, kernel_init, name=name)


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
