"""The FID Inception network (TensorFlow's 2015-12-05 Inception-v3, as ported
to PyTorch by pytorch-fid) as a Flax module, with its weight loading and
input protocol.

Every FID in the literature since Heusel et al. 2017 uses this network, not a
torchvision/Keras Inception: its blocks differ (average pools that ignore the
padding, a max pool in the last block, 1008 classes). Module names follow the
PyTorch state dict ('Mixed_5b.branch1x1.conv.weight' -> params Mixed_5b /
branch1x1 / conv / kernel), so loading is a mechanical transpose.

Inputs: images in [-1, 1], NHWC, any size and 1 or 3 channels. They are
quantized to uint8 as StyleGAN2-ADA does (floor(x * 127.5 + 128)), resized to
299 x 299 (bilinear, align_corners=False, as pytorch-fid's F.interpolate, or
the clean-fid PIL bicubic on the host), and scaled to [-1, 1].
"""

import os
from typing import Dict, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.errors import UserError
from gan_jax.weights import read_torch_state_dict as _read_torch
from gan_jax.weights import save_npz, variables_fingerprint  # noqa: F401  (re-exported)

WEIGHTS_FILE = 'pt_inception-2015-12-05-6726825d.pth'
WEIGHTS_URL = ('https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/'
               + WEIGHTS_FILE)
NUM_CLASSES = 1008
# The input paths to the network, named by the code they equal: 'bilinear'
# (pytorch-fid: F.interpolate, x / 255 * 2 - 1), 'pil_bicubic' (clean-fid),
# 'torch_fidelity' (TF1's resize_bilinear without half-pixel centres, (x - 128) / 128).
RESIZE_MODES = ('bilinear', 'pil_bicubic', 'torch_fidelity')


class BasicConv(nn.Module):
  """Conv without bias, BatchNorm (eps 1e-3, running statistics), ReLU."""
  features: int
  kernel: Tuple[int, int]
  stride: int = 1
  padding: Tuple[int, int] = (0, 0)

  @nn.compact
  def __call__(self, x):
    ph, pw = self.padding
    x = nn.Conv(self.features, self.kernel, (self.stride, self.stride),
                padding=((ph, ph), (pw, pw)), use_bias=False, name='conv')(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name='bn')(x)
    return nn.relu(x)


def _avg_pool_same(x):
  """3x3/1 average over the valid pixels only (TensorFlow's padding rule)."""
  return nn.avg_pool(x, (3, 3), (1, 1), padding=((1, 1), (1, 1)), count_include_pad=False)


def _max_pool(x, stride, pad):
  return nn.max_pool(x, (3, 3), (stride, stride), padding=((pad, pad), (pad, pad)))


class InceptionA(nn.Module):
  pool_features: int

  @nn.compact
  def __call__(self, x):
    b1 = BasicConv(64, (1, 1), name='branch1x1')(x)
    b5 = BasicConv(48, (1, 1), name='branch5x5_1')(x)
    b5 = BasicConv(64, (5, 5), padding=(2, 2), name='branch5x5_2')(b5)
    b3 = BasicConv(64, (1, 1), name='branch3x3dbl_1')(x)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name='branch3x3dbl_2')(b3)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name='branch3x3dbl_3')(b3)
    bp = BasicConv(self.pool_features, (1, 1), name='branch_pool')(_avg_pool_same(x))
    return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class InceptionB(nn.Module):
  """Grid reduction 35 -> 17."""

  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(384, (3, 3), stride=2, name='branch3x3')(x)
    bd = BasicConv(64, (1, 1), name='branch3x3dbl_1')(x)
    bd = BasicConv(96, (3, 3), padding=(1, 1), name='branch3x3dbl_2')(bd)
    bd = BasicConv(96, (3, 3), stride=2, name='branch3x3dbl_3')(bd)
    return jnp.concatenate([b3, bd, _max_pool(x, 2, 0)], axis=-1)


class InceptionC(nn.Module):
  channels_7x7: int

  @nn.compact
  def __call__(self, x):
    c = self.channels_7x7
    b1 = BasicConv(192, (1, 1), name='branch1x1')(x)
    b7 = BasicConv(c, (1, 1), name='branch7x7_1')(x)
    b7 = BasicConv(c, (1, 7), padding=(0, 3), name='branch7x7_2')(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name='branch7x7_3')(b7)
    bd = BasicConv(c, (1, 1), name='branch7x7dbl_1')(x)
    bd = BasicConv(c, (7, 1), padding=(3, 0), name='branch7x7dbl_2')(bd)
    bd = BasicConv(c, (1, 7), padding=(0, 3), name='branch7x7dbl_3')(bd)
    bd = BasicConv(c, (7, 1), padding=(3, 0), name='branch7x7dbl_4')(bd)
    bd = BasicConv(192, (1, 7), padding=(0, 3), name='branch7x7dbl_5')(bd)
    bp = BasicConv(192, (1, 1), name='branch_pool')(_avg_pool_same(x))
    return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class InceptionD(nn.Module):
  """Grid reduction 17 -> 8."""

  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(192, (1, 1), name='branch3x3_1')(x)
    b3 = BasicConv(320, (3, 3), stride=2, name='branch3x3_2')(b3)
    b7 = BasicConv(192, (1, 1), name='branch7x7x3_1')(x)
    b7 = BasicConv(192, (1, 7), padding=(0, 3), name='branch7x7x3_2')(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name='branch7x7x3_3')(b7)
    b7 = BasicConv(192, (3, 3), stride=2, name='branch7x7x3_4')(b7)
    return jnp.concatenate([b3, b7, _max_pool(x, 2, 0)], axis=-1)


class InceptionE(nn.Module):
  """The 8x8 blocks; the FID network's last one pools with max, not average."""
  max_pool: bool

  @nn.compact
  def __call__(self, x):
    b1 = BasicConv(320, (1, 1), name='branch1x1')(x)
    b3 = BasicConv(384, (1, 1), name='branch3x3_1')(x)
    b3 = jnp.concatenate([BasicConv(384, (1, 3), padding=(0, 1), name='branch3x3_2a')(b3),
                          BasicConv(384, (3, 1), padding=(1, 0), name='branch3x3_2b')(b3)], -1)
    bd = BasicConv(448, (1, 1), name='branch3x3dbl_1')(x)
    bd = BasicConv(384, (3, 3), padding=(1, 1), name='branch3x3dbl_2')(bd)
    bd = jnp.concatenate([BasicConv(384, (1, 3), padding=(0, 1), name='branch3x3dbl_3a')(bd),
                          BasicConv(384, (3, 1), padding=(1, 0), name='branch3x3dbl_3b')(bd)], -1)
    pooled = _max_pool(x, 1, 1) if self.max_pool else _avg_pool_same(x)
    bp = BasicConv(192, (1, 1), name='branch_pool')(pooled)
    return jnp.concatenate([b1, b3, bd, bp], axis=-1)


class FIDInception(nn.Module):
  """299x299x3 in [-1, 1] -> (pool3 features (N, 2048), logits (N, 1008))."""

  @nn.compact
  def __call__(self, x):
    x = BasicConv(32, (3, 3), stride=2, name='Conv2d_1a_3x3')(x)
    x = BasicConv(32, (3, 3), name='Conv2d_2a_3x3')(x)
    x = BasicConv(64, (3, 3), padding=(1, 1), name='Conv2d_2b_3x3')(x)
    x = _max_pool(x, 2, 0)
    x = BasicConv(80, (1, 1), name='Conv2d_3b_1x1')(x)
    x = BasicConv(192, (3, 3), name='Conv2d_4a_3x3')(x)
    x = _max_pool(x, 2, 0)
    x = InceptionA(32, name='Mixed_5b')(x)
    x = InceptionA(64, name='Mixed_5c')(x)
    x = InceptionA(64, name='Mixed_5d')(x)
    x = InceptionB(name='Mixed_6a')(x)
    for name, c in (('Mixed_6b', 128), ('Mixed_6c', 160), ('Mixed_6d', 160), ('Mixed_6e', 192)):
      x = InceptionC(c, name=name)(x)
    x = InceptionD(name='Mixed_7a')(x)
    x = InceptionE(max_pool=False, name='Mixed_7b')(x)
    x = InceptionE(max_pool=True, name='Mixed_7c')(x)
    pool3 = jnp.mean(x, axis=(1, 2))
    logits = nn.Dense(NUM_CLASSES, name='fc')(pool3)
    return pool3, logits


# -- input protocol ---------------------------------------------------------------

def quantize(images):
  """[-1, 1] floats -> integer-valued floats 0..255, as StyleGAN2-ADA's metrics:
  floor(clip(x * 127.5 + 128, 0, 255))."""
  return jnp.floor(jnp.clip(images * 127.5 + 128.0, 0.0, 255.0))


def quantize_host(images) -> np.ndarray:
  """numpy twin of `quantize` (float32 0..255) for images on the host."""
  x = np.asarray(images, np.float32)
  return np.floor(np.clip(x * np.float32(127.5) + np.float32(128.0), 0.0, 255.0))


def _bilinear_matrix(n_in: int, n_out: int, half_pixel: bool = True) -> np.ndarray:
  """(n_out, n_in) weights of PyTorch's bilinear interpolation, align_corners=False;
  half_pixel=False: TF1's resize_bilinear (source i * n_in / n_out), as
  torch-fidelity's interpolate_bilinear_2d_like_tensorflow1x.

  Source coordinates are computed in float32 as PyTorch computes them, so the
  weights (not only the formula) agree: at 320 -> 299 float64 coordinates
  would differ by up to 1e-2 grey levels."""
  f32 = np.float32
  scale = f32(n_in) / f32(n_out)
  if half_pixel:
    src = np.maximum(scale * (np.arange(n_out, dtype=f32) + f32(0.5)) - f32(0.5), f32(0))
  else:
    src = np.arange(n_out, dtype=f32) * f32(n_in / n_out)
  lo = np.minimum(np.floor(src).astype(int), n_in - 1)
  hi = np.minimum(lo + 1, n_in - 1)
  frac = (src - lo.astype(f32)).astype(f32)
  m = np.zeros((n_out, n_in), np.float32)
  np.add.at(m, (np.arange(n_out), lo), f32(1) - frac)
  np.add.at(m, (np.arange(n_out), hi), frac)
  return m


def resize_bilinear(x, size: int = 299, half_pixel: bool = True):
  """NHWC resize equal to F.interpolate(mode='bilinear', align_corners=False),
  the resize pytorch-fid applies (no antialiasing), as two matrix products;
  half_pixel=False: torch-fidelity's TF1-style resize."""
  rows = jnp.asarray(_bilinear_matrix(x.shape[1], size, half_pixel))
  cols = jnp.asarray(_bilinear_matrix(x.shape[2], size, half_pixel))
  x = jnp.einsum('oh,nhwc->nowc', rows, x, precision=jax.lax.Precision.HIGHEST)
  return jnp.einsum('pw,nowc->nopc', cols, x, precision=jax.lax.Precision.HIGHEST)


def resize_pil_bicubic(uint8_like: np.ndarray, size: int = 299) -> np.ndarray:
  """clean-fid's resize: each channel as a float PIL image, bicubic, clipped to 0..255."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  out = np.empty((len(uint8_like), size, size, uint8_like.shape[-1]), np.float32)
  for i, img in enumerate(np.asarray(uint8_like, np.float32)):
    for ch in range(img.shape[-1]):
      out[i, :, :, ch] = np.asarray(
          Image.fromarray(img[:, :, ch], mode='F').resize((size, size), Image.BICUBIC))
  return np.clip(out, 0, 255)


def network_input(quantized, mode: str = 'bilinear'):
  """0..255 values (already 299 px for 'pil_bicubic') -> the network's RGB input,
  by the input path `mode` (RESIZE_MODES)."""
  if mode == 'torch_fidelity':
    x = (resize_bilinear(quantized, half_pixel=False) - 128.0) / 128.0
  else:
    x = quantized if mode == 'pil_bicubic' else resize_bilinear(quantized)
    x = x / 255.0 * 2.0 - 1.0  # pytorch-fid: x in [0, 1] -> 2x - 1
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  return x


# -- weights ------------------------------------------------------------------------

def torch_state_dict_to_variables(state_dict: Dict[str, np.ndarray]):
  """pytorch-fid's state dict (numpy arrays) -> {'params', 'batch_stats'} for FIDInception."""
  params, stats = {}, {}

  def put(tree, path, value):
    for p in path[:-1]:
      tree = tree.setdefault(p, {})
    tree[path[-1]] = np.asarray(value, np.float32)

  for key, value in state_dict.items():
    parts = key.split('.')
    *mod, leaf = parts
    if parts[0].startswith('AuxLogits') or leaf == 'num_batches_tracked':
      continue
    if mod == ['fc']:
      put(params, ['fc', 'kernel' if leaf == 'weight' else 'bias'],
          value.T if leaf == 'weight' else value)
    elif mod[-1] == 'conv' and leaf == 'weight':
      put(params, mod + ['kernel'], np.transpose(value, (2, 3, 1, 0)))  # OIHW -> HWIO
    elif mod[-1] == 'bn' and leaf in ('weight', 'bias'):
      put(params, mod + ['scale' if leaf == 'weight' else 'bias'], value)
    elif mod[-1] == 'bn' and leaf in ('running_mean', 'running_var'):
      put(stats, mod + ['mean' if leaf == 'running_mean' else 'var'], value)
    else:
      raise UserError(f'unexpected entry {key!r} in the Inception weights: not the FID '
                      f'Inception ({WEIGHTS_FILE})')
  return {'params': params, 'batch_stats': stats}


def _check_structure(variables):
  expected = jax.eval_shape(FIDInception().init, jax.random.PRNGKey(0),
                            jnp.zeros((1, 299, 299, 3)))
  flat_e = {jax.tree_util.keystr(k): v.shape for k, v in
            jax.tree_util.tree_flatten_with_path(expected)[0]}
  flat_g = {jax.tree_util.keystr(k): np.shape(v) for k, v in
            jax.tree_util.tree_flatten_with_path(variables)[0]}
  missing = sorted(set(flat_e) - set(flat_g))
  wrong = sorted(k for k in flat_e if k in flat_g and flat_g[k] != flat_e[k])
  if missing or wrong:
    raise UserError(f'the Inception weights do not fit the FID Inception network: '
                    f'{len(missing)} missing (e.g. {missing[:2]}), {len(wrong)} of the wrong '
                    f'shape (e.g. {wrong[:2]}); expected {WEIGHTS_FILE} or its .npz conversion')


def load_variables(path: str):
  """FIDInception variables from pytorch-fid's .pth (needs torch) or our .npz."""
  without = ("to train without these metrics: --config.eval.every=0 (no evaluation) or "
             "--config.eval.metrics='()'")
  if not path:
    raise UserError(f'config.eval.inception_weights is empty: FID/IS/KID/precision-recall need '
                    f'the FID Inception weights {WEIGHTS_FILE} ({WEIGHTS_URL}); download it and '
                    f'set --config.eval.inception_weights=/path/to/{WEIGHTS_FILE} (or '
                    f'$GAN_JAX_INCEPTION_WEIGHTS; .pth or converted .npz); {without}')
  if not os.path.isfile(path):
    raise UserError(f'config.eval.inception_weights={path!r}: no such file; download '
                    f'{WEIGHTS_FILE} from {WEIGHTS_URL} (or convert it with '
                    f'scripts/convert_inception.py); {without}')
  if path.endswith('.pth'):
    variables = torch_state_dict_to_variables(read_torch_state_dict(path))
  else:
    try:
      with np.load(path) as z:
        variables = {}
        for key in z.files:
          node = variables
          *head, leaf = key.split('/')
          for h in head:
            node = node.setdefault(h, {})
          node[leaf] = z[key]
    except Exception as e:  # pylint: disable=broad-except
      raise UserError(f'config.eval.inception_weights={path!r} is not a readable .npz '
                      f'({type(e).__name__}: {e})') from None
  _check_structure(variables)
  return variables


def read_torch_state_dict(path: str) -> Dict[str, np.ndarray]:
  return _read_torch(path, 'scripts/convert_inception.py')
