"""The digits quality score, with its calibration, for a trained workdir.

  python3 bench/digits_quality.py --config=experiments/dcgan_mnist.py:digits \
      --workdir=runs/dcgan_digits [--num_samples=1000]

Prints the classifier's calibration (held-out accuracy; confident fraction on
real held-out digits, uniform noise, Gaussian noise, blends of two digits) and
then the generated samples' confident fraction and class entropy / log 10,
beside the real digits' at the same resolution.
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402


def calibration(size):
  from gan_jax.data.embedded import digits_arrays  # pylint: disable=g-import-not-at-top
  from gan_jax.metrics import digits_classifier as dc  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(123)
  real = dc.real_test_images(size, 1)
  _, labels = digits_arrays('test')
  probs = dc.predict_probs(real)
  images, _ = digits_arrays('all')
  a = images[rng.integers(0, len(images), 1000)].astype(np.float32)
  b = images[rng.integers(0, len(images), 1000)].astype(np.float32)
  sets = {
      f'real held-out digits ({size}px)': real,
      'uniform noise': rng.uniform(-1, 1, (1000, size, size, 1)),
      'Gaussian noise': np.clip(rng.normal(0, 0.5, (1000, size, size, 1)), -1, 1),
      'blends of two digits (8px)': ((a + b) / 255.0 - 1.0)[..., None],
  }
  out = {'held_out_accuracy': float(np.mean(probs.argmax(1) == labels))}
  for name, x in sets.items():
    out[f'confident on {name}'] = dc.score(dc.predict_probs(x))['confident']
  return out


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--config', required=True)
  p.add_argument('--workdir', required=True)
  p.add_argument('--num_samples', type=int, default=1000)
  a, rest = p.parse_known_args()
  import launch  # pylint: disable=g-import-not-at-top
  from gan_jax import inference  # pylint: disable=g-import-not-at-top
  from gan_jax.experiment import Experiment  # pylint: disable=g-import-not-at-top
  config = launch.load_config(['launch.py', f'--config={a.config}',
                                f'--config.eval.num_samples={a.num_samples}', *rest])
  exp, state, step = Experiment.load_trained(config, a.workdir)
  cal = calibration(config.data.image_size)
  res, _ = inference.evaluate(config, exp.method, state, exp.mesh)
  print('classifier calibration:')
  for k, v in cal.items():
    print(f'  {k:<42} {v:.3f}')
  print(f'samples from {a.workdir} at step {step} ({a.num_samples} samples):')
  for k in ('confident', 'class_entropy_ratio'):
    print(f'  {k:<22} generated {res["digits_" + k]:.3f}   real {res["digits_real_" + k]:.3f}   '
          f'ratio {res["digits_" + k] / res["digits_real_" + k]:.3f}')
  print(json.dumps({'step': step, **cal, **res}))


if __name__ == '__main__':
  main()
