"""WGAN-GP (Gulrajani et al. 2017) on CIFAR-10 with DCGAN-style networks.

  python launch.py --config=experiments/wgan_gp_cifar10.py --workdir=runs/wgan_gp_cifar10
Options: digits (embedded digits), smoke (seconds).
"""

from experiments.dcgan_mnist import dcgan_paper_settings
from gan_jax import config as config_lib
from gan_jax import sweep


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  dcgan_paper_settings(c)
  c.data.source = 'tfds:cifar10'
  c.data.image_size = 32
  c.data.channels = 3
  c.model.d_batchnorm = False      # sec. 4: no batch norm in the critic (it breaks the penalty)
  c.loss.adversarial = 'wasserstein'
  c.loss.gradient_penalty = 10.0   # alg. 1: lambda = 10
  c.train.n_critic = 5             # alg. 1: n_critic = 5
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 1e-4, 0.0, 0.9  # alg. 1: alpha 1e-4, beta1 0, beta2 0.9
  c.train.batch_size = 64          # alg. 1: m = 64
  config_lib.apply_inception_eval(c, 50000, 'train', every=10000)  # Mimicry: 50k vs 50k train
  config_lib.set_schedule(c, 100000, log_every=200, checkpoint_every=5000)  # G iterations
  config_lib.apply_options(c, opts, digits_steps=5000)
  return c


def get_sweep(arg=None):
  """Learning rates x n_critic:
  python launch.py --config=experiments/wgan_gp_cifar10.py --sweep --workdir=runs/wgan_gp_sweep"""
  del arg
  return sweep.product({'optim.g.lr': [1e-4, 2e-4], 'optim.d.lr': [1e-4, 4e-4],
                        'train.n_critic': [1, 5]})
