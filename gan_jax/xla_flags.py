"""XLA flags chosen by measurement, added to XLA_FLAGS when gan_jax is imported
(before jax starts its backends, which read XLA_FLAGS once).

On the CPU backend of jaxlib 0.10, XLA hands each convolution to YNNPACK by
default; its own (Eigen) convolutions are faster on every model we measured
(bench/compare_torch.py, 2-core CPU): FID Inception 11.7 -> 25.6 images/s,
CycleGAN-128's step 2375 -> 1652 ms, VGG16 features 9.6 -> 10.8 images/s,
DCGAN-32 and pix2pix even. Matrix products stay with YNNPACK (pix2pix's inner
levels, models/layers.py MatmulConv, are faster there). The flag only touches
the CPU backend, so GPU runs are unaffected.

A flag the user already put in XLA_FLAGS wins. GAN_JAX_CPU_FLAGS=0 adds none
(jax's defaults). Other jaxlib versions get none either: XLA aborts on a flag
it does not know, and the measurement was made on 0.10.
"""

import importlib.metadata
import os

MEASURED_ON = '0.10.'  # jaxlib versions these flags were measured on (and exist in)
CPU_FLAGS = {'xla_cpu_experimental_ynn_fusion_type': '-individual_convolution'}


def add_measured_flags(environ=os.environ) -> list:
  """Appends CPU_FLAGS to environ['XLA_FLAGS'] where unset; returns those added."""
  if environ.get('GAN_JAX_CPU_FLAGS', '1').lower() in ('0', 'off', 'false', 'no'):
    return []
  try:
    jaxlib = importlib.metadata.version('jaxlib')
  except importlib.metadata.PackageNotFoundError:
    return []
  if not jaxlib.startswith(MEASURED_ON):
    return []
  current = environ.get('XLA_FLAGS', '')
  added = [f'--{name}={value}' for name, value in CPU_FLAGS.items() if f'--{name}' not in current]
  if added:
    environ['XLA_FLAGS'] = ' '.join([current] + added).strip()
  return added
