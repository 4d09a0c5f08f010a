"""cGAN-PD (Miyato & Koyama 2018) on CIFAR-10 as Mimicry trains it: SNGAN's
ResNets made class-conditional, with conditional BatchNorm in G and a
projection discriminator.

  python launch.py --config=experiments/cgan_pd_cifar10.py --workdir=runs/cgan_pd_cifar10
  python launch.py --config=experiments/cgan_pd_cifar10.py --workdir=runs/cgan_pd_cifar10 \
      --mode=sample --label=3 --num_samples=16 --output=out/cats
Options: digits (embedded digits, 10 classes), smoke (seconds).
"""

from experiments.sngan_cifar10 import sngan_settings
from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  sngan_settings(c)
  c.data.num_classes = 10
  c.model.conditional = True       # CBN in G (sec. 4), projection D (eq. 3)
  c.data.source = 'tfds:cifar10'
  c.data.image_size = 32
  c.data.channels = 3
  config_lib.apply_options(c, opts, digits_steps=3000)
  return c
