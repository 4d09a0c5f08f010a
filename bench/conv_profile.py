"""Where the DCGAN-32 step's time goes, layer by layer, in XLA and in PyTorch:
each convolution of the step alone, forward and backward (gradients for the
input and the weight), at the step's shapes (batch 64, width 64).

  python3 bench/conv_profile.py [--steps=20]

Prints ms per layer for both and the ratio, and the totals: if the layers'
ratios match the whole step's (bench/compare_torch.py), the convolutions are
what bounds it, and they are XLA's CPU backend, not our code.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'bench'))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from gan_jax.models.layers import ConvTranspose4x4s2  # noqa: E402
from timing import median_ms  # noqa: E402  (bench/)

B = 64
# (name, kind, input size, cin, cout): D's strided convs and head, G's transposed convs
LAYERS = [('D conv 1', 'conv', 32, 3, 64), ('D conv 2', 'conv', 16, 64, 128),
          ('D conv 3', 'conv', 8, 128, 256), ('D head 4x4', 'head', 4, 256, 1),
          ('G convT 1', 'convT', 4, 256, 128), ('G convT 2', 'convT', 8, 128, 64),
          ('G convT 3', 'convT', 16, 64, 3)]


def jax_layer(kind, size, cin, cout, steps):
  rng = np.random.default_rng(0)
  x = jnp.asarray(rng.normal(size=(B, size, size, cin)), jnp.float32)
  if kind == 'convT':
    layer = ConvTranspose4x4s2(cout, use_bias=False)
    k = layer.init(jax.random.PRNGKey(0), x)['params']['kernel']
    f = lambda x, k: layer.apply({'params': {'kernel': k}}, x)
  else:
    k = jnp.asarray(rng.normal(size=(4, 4, cin, cout)) * 0.02, jnp.float32)
    stride, pad = ((2, 2), ((1, 1), (1, 1))) if kind == 'conv' else ((1, 1), 'VALID')
    f = lambda x, k: jax.lax.conv_general_dilated(x, k, stride, pad,
                                                  dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
  g = jnp.asarray(rng.normal(size=jax.eval_shape(f, x, k).shape), jnp.float32)
  step = jax.jit(jax.grad(lambda x, k: jnp.sum(f(x, k) * g), argnums=(0, 1)))
  return median_ms(lambda: jax.block_until_ready(step(x, k)), steps)


def torch_layer(kind, size, cin, cout, steps):
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  layer = {'conv': lambda: nn.Conv2d(cin, cout, 4, 2, 1, bias=False),
           'head': lambda: nn.Conv2d(cin, cout, 4, 1, 0, bias=False),
           'convT': lambda: nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)}[kind]()
  x = torch.randn(B, cin, size, size, requires_grad=True)
  g = torch.randn(layer(x).shape)

  def step():
    x.grad, layer.weight.grad = None, None
    (layer(x) * g).sum().backward()
  return median_ms(step, steps)


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--steps', type=int, default=20)
  args = p.parse_args()
  import torch  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(os.cpu_count())
  print(f'{os.cpu_count()} cores, torch {torch.get_num_threads()} threads; batch {B}, '
        'forward + backward (input and weight gradients), median ms')
  print('| layer | shape | XLA (gan_jax) | PyTorch | ratio (> 1: XLA faster) |')
  print('|---|---|---|---|---|')
  totals = [0.0, 0.0]
  for name, kind, size, cin, cout in LAYERS:
    ours, theirs = (jax_layer(kind, size, cin, cout, args.steps),
                    torch_layer(kind, size, cin, cout, args.steps))
    totals[0] += ours
    totals[1] += theirs
    print(f'| {name} | {size}x{size}x{cin} -> {cout} | {ours:.2f} | {theirs:.2f} | '
          f'{theirs / ours:.2f} |', flush=True)
  print(f'| all convolutions | | {totals[0]:.1f} | {totals[1]:.1f} | '
        f'{totals[1] / totals[0]:.2f} |')


if __name__ == '__main__':
  main()
