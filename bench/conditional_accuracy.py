"""Does a class-conditional model draw the class it is asked for? Samples
`--per_class` images per label from a trained digits workdir and classifies
them with the calibrated digits classifier.

  python3 bench/conditional_accuracy.py --config=experiments/cgan_mnist.py:digits \
      --workdir=runs/cgan_digits

Prints, per label, the fraction classified as that label (argmax) and the
fraction classified as it with confidence > 0.9; then the means.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax  # noqa: E402
import numpy as np  # noqa: E402


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--config', required=True)
  p.add_argument('--workdir', required=True)
  p.add_argument('--per_class', type=int, default=200)
  a, rest = p.parse_known_args()
  import launch  # pylint: disable=g-import-not-at-top
  from gan_jax import sampling  # pylint: disable=g-import-not-at-top
  from gan_jax.experiment import Experiment  # pylint: disable=g-import-not-at-top
  from gan_jax.metrics import digits_classifier as dc  # pylint: disable=g-import-not-at-top
  config = launch.load_config(['launch.py', f'--config={a.config}', *rest])
  exp, state, step = Experiment.load_trained(config, a.workdir)
  n_dev = exp.mesh.devices.size
  batch = -(-a.per_class // n_dev) * n_dev
  accs, confs = [], []
  print(f'{a.workdir} at step {step}, {a.per_class} samples per label')
  for label in range(exp.method.num_classes):
    imgs = sampling.generate_images(exp.method, state, exp.mesh, a.per_class, batch,
                                     jax.random.PRNGKey(label), labels=[label])
    probs = dc.predict_probs(imgs)
    hit = probs.argmax(1) == label
    accs.append(hit.mean())
    confs.append((hit & (probs.max(1) > 0.9)).mean())
    print(f'  label {label}: classified as {label} {accs[-1]:.3f}, confidently {confs[-1]:.3f}')
  print(f'mean: classified as asked {np.mean(accs):.3f}, confidently {np.mean(confs):.3f}')


if __name__ == '__main__':
  main()
