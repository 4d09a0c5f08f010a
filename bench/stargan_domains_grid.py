"""A StarGAN digits run's held-out plain digits translated to every domain (the
8, or the 2^k of data.attributes), one row per target domain, with the digit
the reader sees in each output: shows which translations keep the digit
(bench/RESULTS.md, StarGAN: the polarity relation).

  python bench/stargan_domains_grid.py --workdir=runs/stargan_digits [--n=12] \
      [--config.model.downsamplings=1 ...as the run had]
Writes <workdir>/domains_grid.png: the inputs, the targets (none, thick,
inverted, thick+inverted, tinted, ...), then the real renderings of the inputs
in the domain with every attribute on; 4x enlarged.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import launch  # noqa: E402
from gan_jax import images as images_lib  # noqa: E402
from gan_jax.data import digit_domains as dd  # noqa: E402
from gan_jax.experiment import Experiment  # noqa: E402
from gan_jax.metrics import digit_domains as md  # noqa: E402
from gan_jax.sampling import translate_arrays  # noqa: E402


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--workdir', required=True)
  p.add_argument('--config', default='experiments/stargan.py:digits')
  p.add_argument('--n', type=int, default=12)
  a, overrides = p.parse_known_args()
  config = launch.load_config(['launch.py', f'--config={a.config}'] + overrides)
  exp, state, step = Experiment.load_trained(config, a.workdir)
  size = config.data.image_size
  names = dd.attribute_names(config.data)
  x, domains, digits = dd.held_out(size, names)
  x = x.astype(np.float32) / 127.5 - 1
  idx = np.flatnonzero(domains == 0)[:a.n]      # plain renderings
  print(f'step {step}; digits {digits[idx].tolist()}')
  rows = [x[idx]]
  targets = dd.domain_of(np.arange(2 ** len(names)), names)
  for t in targets:
    out = translate_arrays(exp.method, state, exp.mesh, x[idx], md.target_name(t), 4)
    read = md.read_digits(out, size)
    kept = np.mean(read == digits[idx])
    print(f'{md.target_name(t):22s} read as {read.tolist()}  kept {kept:.2f}')
    rows.append(out)
  # The j-th example of each domain is the same digit image: the inputs, all attributes on.
  rows.append(x[np.flatnonzero(domains == targets.max())[:a.n]])
  grid = images_lib.to_uint8(np.concatenate([np.concatenate(list(r), axis=1) for r in rows]))
  path = os.path.join(a.workdir, 'domains_grid.png')
  Image.fromarray(grid).resize((grid.shape[1] * 4, grid.shape[0] * 4), Image.NEAREST).save(path)
  print(path)


if __name__ == '__main__':
  main()
