"""StarGAN's generator and discriminator (Choi et al. 2018; yunjey/stargan
model.py), layer for layer.

G: the target domain's label vector tiled over the image and concatenated to
it -> c7s1-64 -> two 4x4 stride-2 convs -> 6 residual blocks -> two 4x4
stride-2 transposed convs -> c7s1-3, tanh. Convolutions without bias, each
followed by instance norm with a learned scale and offset (PyTorch's
InstanceNorm2d(affine=True): statistics of the instance in training and at
test time alike, as the official code never calls eval()), then ReLU.
D: six 4x4 stride-2 convs (with bias) from 64 channels doubling, LeakyReLU
0.01; two heads on the last map: a 3x3 conv to one channel (the real/fake
patch map, for WGAN-GP) and a conv as large as the map to one logit per
domain label (the classifier). At 128 px with 5 labels: G 8,430,528 and D
44,762,048 parameters, the official counts. Weights start as PyTorch's
defaults (uniform within 1 / sqrt(fan_in), D's biases too), which the
official code keeps (PyTorch >= 1.2's: InstanceNorm scales start at 1).
"""

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.errors import UserError
from gan_jax.models.layers import ConvTransposeS2, strided_conv, torch_bias_init

# PyTorch's default init, U(+-1 / sqrt(fan_in)); a ConvTranspose2d's fan_in is its
# out_channels x k x k (PyTorch reads dimension 1 of its weight), Flax's fan_out.
_TORCH = nn.initializers.variance_scaling(1.0 / 3.0, 'fan_in', 'uniform')
_TORCH_T = nn.initializers.variance_scaling(1.0 / 3.0, 'fan_out', 'uniform')


def _instance_norm():
  return nn.InstanceNorm(epsilon=1e-5, use_scale=True, use_bias=True)


class ResidualBlock(nn.Module):
  features: int

  @nn.compact
  def __call__(self, x):
    h = nn.Conv(self.features, (3, 3), padding=1, use_bias=False, kernel_init=_TORCH)(x)
    h = nn.relu(_instance_norm()(h))
    h = nn.Conv(self.features, (3, 3), padding=1, use_bias=False, kernel_init=_TORCH)(h)
    return x + _instance_norm()(h)


class StarGANGenerator(nn.Module):
  out_channels: int = 3
  width: int = 64
  blocks: int = 6
  downsamplings: int = 2

  @nn.compact
  def __call__(self, x, target, train: bool = True):
    """x (B, H, W, C) in [-1, 1], target (B, num_labels) float -> (B, H, W, C)."""
    del train  # instance statistics either way, as the official code
    b, h, w, _ = x.shape
    maps = jnp.broadcast_to(target[:, None, None, :].astype(x.dtype), (b, h, w, target.shape[-1]))
    y = jnp.concatenate([x, maps], axis=-1)
    y = nn.Conv(self.width, (7, 7), padding=3, use_bias=False, kernel_init=_TORCH)(y)
    y = nn.relu(_instance_norm()(y))
    feats = self.width
    for i in range(self.downsamplings):
      feats *= 2
      y = strided_conv(y, feats, 4, 2, 1, use_bias=False, kernel_init=_TORCH, name=f'Down_{i}')
      y = nn.relu(_instance_norm()(y))
    for _ in range(self.blocks):
      y = ResidualBlock(feats)(y)
    for i in range(self.downsamplings):
      feats //= 2
      # PyTorch ConvTranspose2d(k 4, stride 2, padding 1): exactly 2x
      y = ConvTransposeS2(feats, 4, 2, use_bias=False, kernel_init=_TORCH_T, name=f'Up_{i}')(y)
      y = nn.relu(_instance_norm()(y))
    y = nn.Conv(self.out_channels, (7, 7), padding=3, use_bias=False, kernel_init=_TORCH)(y)
    return jnp.tanh(y)


class StarGANDiscriminator(nn.Module):
  image_size: int
  num_labels: int
  width: int = 64
  layers: int = 6

  @nn.compact
  def __call__(self, x, train: bool = True):
    """x (B, S, S, C) -> (real/fake map (B, S / 2^layers, same, 1), logits (B, num_labels))."""
    del train
    h = x
    for i in range(self.layers):
      h = strided_conv(h, self.width * 2 ** i, 4, 2, 1, kernel_init=_TORCH,
                       bias_init=torch_bias_init(16 * h.shape[-1]), name=f'Conv_{i}')
      h = nn.leaky_relu(h, 0.01)
    src = nn.Conv(1, (3, 3), padding=1, use_bias=False, kernel_init=_TORCH, name='src')(h)
    k = self.image_size // 2 ** self.layers
    cls = nn.Conv(self.num_labels, (k, k), padding='VALID', use_bias=False, kernel_init=_TORCH,
                  name='cls')(h)
    return src, cls.reshape(x.shape[0], self.num_labels)


def stargan_generator(cfg, info):
  return StarGANGenerator(info.image_shape[-1], cfg.g_width, cfg.g_blocks, cfg.downsamplings)


def stargan_discriminator(cfg, info):
  size = info.image_shape[0]
  if size % 2 ** cfg.d_layers:
    raise UserError(f'StarGAN D halves the image model.d_layers={cfg.d_layers} times: '
                    f'data.image_size={size} must be a multiple of {2 ** cfg.d_layers}')
  return StarGANDiscriminator(size, info.num_classes, cfg.d_width, cfg.d_layers)
