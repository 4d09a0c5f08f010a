"""BigGAN's generator and discriminator (Brock et al. 2019), as ajbrock/BigGAN-PyTorch
builds them (BigGAN.py, layers.py), in NHWC.

G: z (split into one chunk per block plus one for the input when hierarchical)
-> spectrally normalised dense to 4x4 x 16 ch -> residual blocks [class-
conditional BN, ReLU, nearest 2x up, 3x3 conv, class-conditional BN, ReLU, 3x3
conv; 1x1 conv shortcut] (+ self-attention after the block at the resolutions
in `attention`) -> BN, ReLU, 3x3 conv, tanh. Class-conditional BN (ccbn): BN
without affine, then x (1 + gain(c)) + bias(c), where c is the label through an
embedding per layer (the CIFAR script), or, with a shared class embedding
(`shared_dim` > 0), [shared(y), z chunk] through a bias-free spectrally
normalised linear map per layer. Every conv and dense layer of G and D is
spectrally normalised; G's embeddings (shared or per layer) are not, D's
projection embedding is.
D: residual blocks [ReLU (not on the first), 3x3 conv, ReLU, 3x3 conv, 2x2 avg
pool; 1x1 conv shortcut] ('wide': the hidden width is the output width), self-
attention where asked, ReLU, global sum pool, dense 1 + <embed(y), h> (the
projection discriminator).

Init as `G_init`/`D_init`: 'N02' (N(0, 0.02), the CIFAR script), 'ortho'
(orthogonal, the ImageNet scripts) or 'xavier' on every conv, dense and
embedding weight; biases keep PyTorch's default U(+-1/sqrt(fan_in)); BN gains
1, biases 0; the attention gain gamma 0. Exact parameter counts against the
reference (counted from BigGAN-PyTorch on CPU): CIFAR-10 (width 64, z 128)
G 4,304,387, D 4,207,361; ImageNet 128 (width 96, z 120, shared 128,
hierarchical z, attention at 64) G 70,433,988, D 87,982,370 (tests/test_biggan.py).

The spectral norm's power-iteration vectors are kept per kernel as in
layers.SpectralNorm; the embedding's top singular value is the same as the
reference's, its vectors play swapped roles (BigGAN-PyTorch keeps u over
classes, we keep u over features): after the first iterations the same sigma.
"""

from typing import Sequence, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.errors import UserError
from gan_jax.models.layers import batch_norm, sn, torch_bias_init

# G: (input, output) channel multipliers of the width per block (BigGAN.py G_arch).
G_ARCH = {
    16: ((4, 4), (4, 4)),            # ours, for CPU demos: the 32 px pattern, one block fewer
    32: ((4, 4, 4), (4, 4, 4)),
    64: ((16, 16, 8, 4), (16, 8, 4, 2)),
    128: ((16, 16, 8, 4, 2), (16, 8, 4, 2, 1)),
    256: ((16, 16, 8, 8, 4, 2), (16, 8, 8, 4, 2, 1)),
    512: ((16, 16, 8, 8, 4, 2, 1), (16, 8, 8, 4, 2, 1, 1)),
}
# D: (output multipliers, downsample, the resolution label that `attention` matches) per
# block; the first block's input is the image. The labels are the reference's: at 32 px
# all four blocks are labelled 16, so attention at 16 follows each of them.
D_ARCH = {
    16: ((4, 4, 4), (True, True, False), (8, 8, 8)),  # ours, as G_ARCH[16]
    32: ((4, 4, 4, 4), (True, True, False, False), (16, 16, 16, 16)),
    64: ((1, 2, 4, 8, 16), (True,) * 4 + (False,), (32, 16, 8, 4, 4)),
    128: ((1, 2, 4, 8, 16, 16), (True,) * 5 + (False,), (64, 32, 16, 8, 4, 4)),
    256: ((1, 2, 4, 8, 8, 16, 16), (True,) * 6 + (False,), (128, 64, 32, 16, 8, 4, 4)),
}
INITS = {
    'N02': nn.initializers.normal(0.02),
    'ortho': nn.initializers.orthogonal(),
    'xavier': nn.initializers.variance_scaling(1.0, 'fan_avg', 'uniform'),
}


def _up(x):
  """F.interpolate(scale_factor=2): nearest neighbour, each pixel twice each way."""
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


def _down(x):
  return nn.avg_pool(x, (2, 2), (2, 2))


class SNConv(nn.Module):
  """A spectrally normalised k x k conv with PyTorch's default bias init."""
  features: int
  kernel: int = 3
  use_bias: bool = True
  weight_init: str = 'N02'

  @nn.compact
  def __call__(self, x, train):
    k = self.kernel
    conv = nn.Conv(self.features, (k, k), padding=k // 2, use_bias=self.use_bias,
                   kernel_init=INITS[self.weight_init],
                   bias_init=torch_bias_init(k * k * x.shape[-1]), name='conv')
    return sn(conv, x, True, train)


class ClassBatchNorm(nn.Module):
  """ccbn: BN without affine, then x (1 + gain(c)) + bias(c). With num_classes,
  c is the label and gain, bias are embeddings; without, c is a vector and they
  are bias-free spectrally normalised linear maps of it."""
  num_classes: int
  weight_init: str = 'N02'

  @nn.compact
  def __call__(self, x, cond, train):
    ch, init = x.shape[-1], INITS[self.weight_init]
    h = batch_norm(train, use_scale=False, use_bias=False)(x)
    if self.num_classes:
      gain = nn.Embed(self.num_classes, ch, embedding_init=init, name='gain')(cond)
      bias = nn.Embed(self.num_classes, ch, embedding_init=init, name='bias')(cond)
    else:
      dense = lambda name: nn.Dense(ch, use_bias=False, kernel_init=init, name=name)
      gain = sn(dense('gain'), cond, True, train)
      bias = sn(dense('bias'), cond, True, train)
    return h * (1.0 + gain[:, None, None, :]) + bias[:, None, None, :]


class SelfAttention(nn.Module):
  """SA-GAN's non-local block as BigGAN-PyTorch's layers.Attention: keys and values
  max-pooled 2x2, channels / 8 for queries and keys, / 2 for values; x + gamma o."""
  weight_init: str = 'N02'

  @nn.compact
  def __call__(self, x, train):
    b, h, w, c = x.shape
    conv = lambda f, name: lambda t: SNConv(f, 1, False, self.weight_init, name=name)(t, train)
    pool = lambda t: nn.max_pool(t, (2, 2), (2, 2))
    theta = conv(c // 8, 'theta')(x).reshape(b, h * w, c // 8)
    phi = pool(conv(c // 8, 'phi')(x)).reshape(b, h * w // 4, c // 8)
    g = pool(conv(c // 2, 'g')(x)).reshape(b, h * w // 4, c // 2)
    beta = jax.nn.softmax(jnp.einsum('bpc,bqc->bpq', theta, phi), axis=-1)
    o = conv(c, 'o')(jnp.einsum('bpq,bqc->bpc', beta, g).reshape(b, h, w, c // 2))
    return x + self.param('gamma', nn.initializers.zeros, ()) * o


class GBlock(nn.Module):
  features: int
  num_classes: int
  weight_init: str = 'N02'

  @nn.compact
  def __call__(self, x, cond, train):
    bn = lambda name: ClassBatchNorm(self.num_classes, self.weight_init, name=name)
    h = _up(nn.relu(bn('bn1')(x, cond, train)))
    h = SNConv(self.features, 3, weight_init=self.weight_init, name='conv1')(h, train)
    h = nn.relu(bn('bn2')(h, cond, train))
    h = SNConv(self.features, 3, weight_init=self.weight_init, name='conv2')(h, train)
    return h + SNConv(self.features, 1, weight_init=self.weight_init, name='conv_sc')(_up(x), train)


class BigGANGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  num_classes: int
  width: int = 64
  z_dim: int = 128
  shared_dim: int = 0          # > 0: a shared class embedding feeds every ccbn's linear maps
  hierarchical: bool = False   # z split into one chunk for the input and one per block
  attention: Sequence[int] = ()  # resolutions with a self-attention block after them
  weight_init: str = 'N02'

  @nn.compact
  def __call__(self, z, labels, train: bool = True):
    size, _, channels = self.image_shape
    ins, outs = G_ARCH[size]
    if self.shared_dim:
      y = nn.Embed(self.num_classes, self.shared_dim, embedding_init=INITS[self.weight_init],
                   name='shared')(labels)
    if self.hierarchical:
      zs = jnp.split(z, len(outs) + 1, axis=-1)
      z, conds = zs[0], [jnp.concatenate([y, chunk], axis=-1) for chunk in zs[1:]]
    else:
      conds = [y if self.shared_dim else labels] * len(outs)
    bn_classes = 0 if self.shared_dim else self.num_classes
    ch0 = ins[0] * self.width
    dense = nn.Dense(16 * ch0, kernel_init=INITS[self.weight_init],
                     bias_init=torch_bias_init(z.shape[-1]), name='linear')
    h = sn(dense, z, True, train).reshape((-1, 4, 4, ch0))
    for i, (mult, cond) in enumerate(zip(outs, conds)):
      h = GBlock(mult * self.width, bn_classes, self.weight_init, name=f'block{i}')(h, cond, train)
      if 8 * 2 ** i in self.attention:
        h = SelfAttention(self.weight_init, name=f'attention{i}')(h, train)
    h = nn.relu(batch_norm(train, name='out_bn')(h))
    return jnp.tanh(SNConv(channels, 3, weight_init=self.weight_init, name='out_conv')(h, train))


class DBlock(nn.Module):
  features: int
  downsample: bool
  preactivation: bool
  weight_init: str = 'N02'

  @nn.compact
  def __call__(self, x, train):
    h = nn.relu(x) if self.preactivation else x
    h = SNConv(self.features, 3, weight_init=self.weight_init, name='conv1')(h, train)
    h = SNConv(self.features, 3, weight_init=self.weight_init, name='conv2')(nn.relu(h), train)
    h = _down(h) if self.downsample else h
    sc = x
    if self.downsample or x.shape[-1] != self.features:
      conv_sc = SNConv(self.features, 1, weight_init=self.weight_init, name='conv_sc')
      if self.preactivation:  # conv, then pool; the first block pools first
        sc = conv_sc(sc, train)
        sc = _down(sc) if self.downsample else sc
      else:
        sc = conv_sc(_down(sc) if self.downsample else sc, train)
    return h + sc


class BigGANDiscriminator(nn.Module):
  image_size: int
  num_classes: int
  width: int = 64
  attention: Sequence[int] = ()
  weight_init: str = 'N02'

  @nn.compact
  def __call__(self, x, labels, train: bool = True):
    h = x
    for i, (mult, down, res) in enumerate(zip(*D_ARCH[self.image_size])):
      h = DBlock(mult * self.width, down, i > 0, self.weight_init, name=f'block{i}')(h, train)
      if res in self.attention:
        h = SelfAttention(self.weight_init, name=f'attention{i}')(h, train)
    h = jnp.sum(nn.relu(h), axis=(1, 2))
    dense = nn.Dense(1, kernel_init=INITS[self.weight_init], bias_init=torch_bias_init(h.shape[-1]),
                     name='linear')
    out = sn(dense, h, True, train)[:, 0]
    embed = nn.Embed(self.num_classes, h.shape[-1], embedding_init=INITS[self.weight_init],
                     name='embed')
    return out + jnp.sum(sn(embed, labels, True, train) * h, axis=-1)


def _check(cfg, info, table, what: str) -> Tuple[int, Tuple[int, ...]]:
  size = info.image_shape[0]
  if size not in table:
    raise UserError(f'BigGAN {what} has no architecture for data.image_size={size}; '
                    f'allowed: {", ".join(map(str, sorted(table)))}')
  if not cfg.conditional or not info.num_classes:
    raise UserError('BigGAN is class-conditional: set config.model.conditional=True and use a '
                    'labelled source (tfds, or a folder of class subfolders)')
  if cfg.init not in INITS:
    raise UserError(f'config.model.init={cfg.init!r}; allowed: {", ".join(INITS)}')
  attention = tuple(int(r) for r in cfg.attention)
  return size, attention


def biggan_generator(cfg, info):
  size, attention = _check(cfg, info, G_ARCH, 'G')
  slots = len(G_ARCH[size][1]) + 1
  if cfg.hierarchical:
    if not cfg.shared_dim:
      raise UserError('config.model.hierarchical=True needs a shared class embedding: '
                      'set config.model.shared_dim > 0 (BigGAN: 128)')
    if cfg.z_dim % slots:
      raise UserError(f'config.model.z_dim={cfg.z_dim}: a hierarchical z at {size} px is split '
                      f'into {slots} equal chunks (one per block and one for the input); '
                      f'use a multiple of {slots} (BigGAN: 120 at 128 px)')
  bad = [r for r in attention if r not in {8 * 2 ** i for i in range(slots - 1)}]
  if bad:
    raise UserError(f'config.model.attention={tuple(cfg.attention)}: G at {size} px has blocks '
                    f'at {", ".join(str(8 * 2 ** i) for i in range(slots - 1))} px')
  return BigGANGenerator(image_shape=tuple(info.image_shape), num_classes=info.num_classes,
                         width=cfg.g_width, z_dim=cfg.z_dim, shared_dim=cfg.shared_dim,
                         hierarchical=cfg.hierarchical, attention=attention, weight_init=cfg.init)


def biggan_discriminator(cfg, info):
  _, attention = _check(cfg, info, D_ARCH, 'D')
  return BigGANDiscriminator(image_size=info.image_shape[0], num_classes=info.num_classes,
                             width=cfg.d_width, attention=attention, weight_init=cfg.init)
