"""What a StarGAN digits run's D says of real held-out digits, of G's
translations, and of real digits negated, blurred or replaced by grey: the
mean and spread of D's real/fake score over 400 held-out images (higher reads
as real). Shows how hard D pushes against G's outputs (bench/RESULTS.md,
StarGAN: the stroke sign).

  python bench/stargan_d_scores.py --workdir=runs/stargan_nopol \
      [--config.data.attributes=thick,tinted ...as the run had]
"Blurred" is the mean of the image and its one-pixel shifts down and right.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import launch  # noqa: E402
from gan_jax.data import digit_domains as dd  # noqa: E402
from gan_jax.experiment import Experiment  # noqa: E402
from gan_jax.methods.stargan import label_vectors  # noqa: E402


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--workdir', required=True)
  p.add_argument('--config', default='experiments/stargan.py:digits')
  p.add_argument('--n', type=int, default=400)
  a, overrides = p.parse_known_args()
  config = launch.load_config(['launch.py', f'--config={a.config}'] + overrides)
  exp, state, step = Experiment.load_trained(config, a.workdir)
  method, names = exp.method, dd.attribute_names(config.data)
  images, _, _, labels = dd._subset('test', config.data.image_size, names)  # pylint: disable=protected-access
  x = jnp.asarray(images[:a.n].astype(np.float32) / 127.5 - 1)
  own = label_vectors(jnp.asarray(labels[:a.n]), method.num_labels, method.mode)
  other = own[np.random.default_rng(0).permutation(len(own))]
  score = jax.jit(lambda im: method.discriminator.apply({'params': state.d.params}, im)[0])
  blurred = (x + jnp.roll(x, 1, 1) + jnp.roll(x, 1, 2)) / 3
  print(f'step {step}, {len(x)} held-out images')
  for name, im in [('real', x), ('G, own domain', method.generate(state.g.params, x, own)),
                   ('G, another domain', method.generate(state.g.params, x, other)),
                   ('real, negated', -x), ('real, blurred', blurred),
                   ('a grey image', jnp.zeros_like(x))]:
    s = np.asarray(score(im))
    print(f'{name:18s} D score mean {s.mean():+.3f}  std {s.std():.3f}')


if __name__ == '__main__':
  main()
