"""DCGAN (Radford, Metz & Chintala 2015) on CIFAR-10, 32x32 RGB.

  python launch.py --config=experiments/dcgan_cifar10.py --workdir=runs/dcgan_cifar10
Options: digits (embedded digits in place of CIFAR-10), smoke (seconds).
"""

from experiments.dcgan_mnist import dcgan_paper_settings
from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  dcgan_paper_settings(c)
  c.data.source = 'tfds:cifar10'
  c.data.image_size = 32
  c.data.channels = 3
  config_lib.apply_inception_eval(c, 10000, 'test', every=5000)  # StudioGAN: 10k vs 10k test
  # about 77 epochs of the 50,000 training images
  config_lib.set_schedule(c, 30000, log_every=200, checkpoint_every=2000)
  config_lib.apply_options(c, opts, digits_steps=5000)
  return c
