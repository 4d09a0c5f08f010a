"""Layers the model files share: initialisers, the four-phase transposed
convolution, convolutions as matrix products where weights dominate, spectral
norm, PyTorch-default BatchNorm, translation norms."""

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.errors import UserError


def torch_bias_init(fan_in: int):
  """PyTorch's default bias init for a layer with this fan-in: U(+-1 / sqrt(fan_in))."""
  bound = fan_in ** -0.5
  return lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -bound, bound)


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
    phases = []  # per phase a: its taps (a step-2 range) and the input offsets they read
    for a in (0, 1):
      t0 = (p - a) % 2
      taps = range(t0, k, 2)
      phases.append((taps, (a + taps[0] - p) // 2, (a + taps[-1] - p) // 2))
    if weights_dominate(x.shape[0] * x.shape[1] * x.shape[2], self.features):
      y = _phases_by_matmul(x, kernel, phases)
    else:
      rows = []
      for taps_a, lo_a, hi_a in phases:
        cols = []
        for taps_b, lo_b, hi_b in phases:
          cols.append(jax.lax.conv_general_dilated(
              x, kernel[taps_a.start::2][:, taps_b.start::2], (1, 1),
              ((-lo_a, hi_a), (-lo_b, hi_b)), dimension_numbers=('NHWC', 'HWIO', 'NHWC')))
        rows.append(jnp.stack(cols, axis=3))         # (B, h, w, 2 [b], C)
      y = jnp.stack(rows, axis=2)                    # (B, h, 2 [a], w, 2 [b], C)
    b, h, _, w, _, c = y.shape
    y = y.reshape(b, 2 * h, 2 * w, c)
    if self.use_bias:
      y = y + self.param('bias', nn.initializers.zeros, (self.features,))
    return y


def weights_dominate(positions: int, features: int) -> bool:
  """Whether a convolution with this many output (or, transposed, input)
  positions, batch x height x width, should run as a matrix product.

  Where positions <= output channels the kernel outweighs the activations, and
  XLA's CPU convolutions spend most of their time re-laying out the kernel
  (a transpose or reversal of every weight, per call, forward and in both
  gradients: pix2pix's inner U-Net levels, bench/step_profile.py). A product
  of the activations' patches with the kernel read as a (taps x in, out)
  matrix, or of the activations with each tap's (in, out) matrix, moves no
  weight; it is 2-25x faster there, and slower once the activations are the
  larger side (DCGAN at batch 64), so the other form stays.
  """
  return positions <= features


def _phases_by_matmul(x, kernel, phases):
  """The four output phases of ConvTransposeS2 as products of the input with
  each tap's (in, out) matrix, each tap's product shifted to the input offset
  it reads and summed per phase: (B, h, 2, w, 2, C) as the conv form."""
  b, h, w, cin = x.shape
  k, cout = kernel.shape[0], kernel.shape[-1]
  flat = jnp.broadcast_to(x.reshape(1, b * h * w, cin), (k * k, b * h * w, cin))
  z = jax.lax.dot_general(flat, kernel.reshape(k * k, cin, cout), (((2,), (1,)), ((0,), (0,))))
  z = z.reshape(k, k, b, h, w, cout)
  m = max(abs(d) for _, lo, hi in phases for d in (lo, hi))
  z = jnp.pad(z, ((0, 0), (0, 0), (0, 0), (m, m), (m, m), (0, 0)))
  # output row 2m + a reads input row m + lo + i through the phase's i-th tap
  rows = []
  for taps_a, lo_a, _ in phases:
    cols = []
    for taps_b, lo_b, _ in phases:
      acc = None
      for i, t in enumerate(taps_a):
        for j, u in enumerate(taps_b):
          da, db = m + lo_a + i, m + lo_b + j
          term = z[t, u, :, da:da + h, db:db + w]
          acc = term if acc is None else acc + term
      cols.append(acc)
    rows.append(jnp.stack(cols, axis=3))
  return jnp.stack(rows, axis=2)


class MatmulConv(nn.Module):
  """nn.Conv(features, (k, k), strides=(s, s), padding=((p, p), (p, p))) as one
  matrix product of the input's k x k patches with the kernel read as a
  (k * k * in, out) matrix: the same parameters and outputs (within float
  rounding), for layers where weights_dominate (see there)."""
  features: int
  kernel_size: int = 4
  stride: int = 2
  padding: int = 1
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  bias_init: nn.initializers.Initializer = nn.initializers.zeros

  @nn.compact
  def __call__(self, x):
    k, s, p = self.kernel_size, self.stride, self.padding
    b, h, w, cin = x.shape
    kernel = self.param('kernel', self.kernel_init, (k, k, cin, self.features))
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    xp = jnp.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    patches = jnp.stack([xp[:, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s]
                         for i in range(k) for j in range(k)], axis=3)
    matrix = kernel.astype(x.dtype).reshape(k * k * cin, self.features)
    y = patches.reshape(b * ho * wo, k * k * cin) @ matrix
    y = y.reshape(b, ho, wo, self.features)
    if self.use_bias:
      y = y + self.param('bias', self.bias_init, (self.features,))
    return y


def strided_conv(x, features: int, kernel_size: int = 4, stride: int = 2, padding: int = 1,
                 use_bias: bool = True, kernel_init=nn.initializers.lecun_normal(),
                 bias_init=nn.initializers.zeros, name=None):
  """nn.Conv with symmetric padding, as a matrix product (MatmulConv) where its
  weights dominate; the same parameter names either way."""
  h, w = x.shape[1:3]
  ho = (h + 2 * padding - kernel_size) // stride + 1
  wo = (w + 2 * padding - kernel_size) // stride + 1
  if weights_dominate(x.shape[0] * ho * wo, features):
    return MatmulConv(features, kernel_size, stride, padding, use_bias, kernel_init, bias_init,
                      name=name)(x)
  pad = ((padding, padding), (padding, padding))
  return nn.Conv(features, (kernel_size, kernel_size), (stride, stride), padding=pad,
                 use_bias=use_bias, kernel_init=kernel_init, bias_init=bias_init, name=name)(x)


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


BN_MOMENTUM = 0.9   # Flax's convention for PyTorch's momentum 0.1


def batch_norm(train: bool, name=None, scale_std: float = 0.0, **kwargs):
  """BatchNorm with PyTorch's BatchNorm2d defaults (momentum 0.1, i.e. Flax's 0.9;
  eps 1e-5), as every reference network here was trained with; scale N(1, scale_std)."""
  return nn.BatchNorm(use_running_average=not train, momentum=BN_MOMENTUM, epsilon=1e-5, name=name,
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
