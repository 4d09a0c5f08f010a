"""The digits quality score, with its calibration, for a trained workdir.

  python3 bench/digits_quality.py --config=experiments/dcgan_mnist.py:digits \
      --workdir=runs/dcgan_digits [--num_samples=1000]

Prints the classifier's calibration (held-out accuracy; confident fraction on
real held-out digits, uniform noise, Gaussian noise, blends of two digits) and
then the generated samples' confident fraction and class entropy / log 10,
beside the real digits' at the same resolution. Then two checks of digits_fd,
whose reference set (all 1,797 digits) holds the 1,500 training digits, so that
a generator replaying them would score well: digits_fd of real digits (1,000
training digits, the floor for a copying generator; the 297 held-out digits and
297 training digits, at one sample count), and each image's pixel distance to
its nearest training digit, for the samples against the held-out digits: a
median far below the held-out digits' says G copies.
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


def copy_check(samples, size, channels):
  """digits_fd of real digit sets, and the median RMS pixel distance from each
  sample (and each held-out digit) to its nearest training digit."""
  from gan_jax.data.embedded import digits_arrays  # pylint: disable=g-import-not-at-top
  from gan_jax.data.base import conform_batch  # pylint: disable=g-import-not-at-top
  from gan_jax.data.pipeline import to_float  # pylint: disable=g-import-not-at-top
  from gan_jax.metrics.sample_metrics import digits_frechet_distance  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(7)
  train = to_float(conform_batch(list(digits_arrays('train')[0]), size, channels))
  test = to_float(conform_batch(list(digits_arrays('test')[0]), size, channels))

  def fd(x):
    return digits_frechet_distance(x)['digits_fd']

  def nearest(x):
    a, b = x.reshape(len(x), -1).astype(np.float64), train.reshape(len(train), -1)
    d2 = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * a @ b.T
    return float(np.median(np.sqrt(np.maximum(d2.min(1), 0) / a.shape[1])))

  return {
      'digits_fd, 1,000 training digits': fd(train[rng.choice(len(train), 1000, replace=False)]),
      f'digits_fd, the {len(test)} held-out digits': fd(test),
      f'digits_fd, {len(test)} training digits': fd(train[rng.choice(len(train), len(test),
                                                                      replace=False)]),
      'nearest training digit, samples (median)': nearest(np.asarray(samples)),
      'nearest training digit, held-out digits (median)': nearest(test),
  }


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--config', required=True)
  p.add_argument('--workdir', required=True)
  p.add_argument('--num_samples', type=int, default=1000)
  a, rest = p.parse_known_args()
  import launch  # pylint: disable=g-import-not-at-top
  from gan_jax import inference, sampling  # pylint: disable=g-import-not-at-top
  from gan_jax.experiment import Experiment  # pylint: disable=g-import-not-at-top
  config = launch.load_config(['launch.py', f'--config={a.config}',
                                f'--config.eval.num_samples={a.num_samples}', *rest])
  exp, state, step = Experiment.load_trained(config, a.workdir)
  cal = calibration(config.data.image_size)
  res, _ = inference.evaluate(config, exp.method, state, exp.mesh)
  samples = sampling.generate_images(exp.method, state, exp.mesh, a.num_samples,
                                     config.eval.batch_size, inference.eval_rng(config))
  copies = copy_check(samples, config.data.image_size, config.data.channels)
  print('classifier calibration:')
  for k, v in cal.items():
    print(f'  {k:<42} {v:.3f}')
  print(f'samples from {a.workdir} at step {step} ({a.num_samples} samples):')
  for k in ('confident', 'class_entropy_ratio'):
    print(f'  {k:<22} generated {res["digits_" + k]:.3f}   real {res["digits_real_" + k]:.3f}   '
          f'ratio {res["digits_" + k] / res["digits_real_" + k]:.3f}')
  print('digits_fd of real digits, and nearest-training-digit distances (RMS per pixel):')
  for k, v in copies.items():
    print(f'  {k:<58} {v:.3f}')
  print(json.dumps({'step': step, **cal, **res, **copies}))


if __name__ == '__main__':
  main()
