"""WGAN-GP (Gulrajani et al. 2017) on CIFAR-10.

  python launch.py --config=experiments/wgan_gp_cifar10.py --workdir=runs/wgan_gp_cifar10
Options: dcgan (the DCGAN-style networks), digits (embedded digits), smoke (seconds).

Default, the reproduction config: the ResNet networks of gan_cifar_resnet.py
as Mimicry builds them (wgan_gp_32.py: SNGAN's layout, no spectral norm or
BatchNorm in D, mean pooling) with Mimicry's CIFAR-10 settings; Mimicry
reports FID 22.29 (REPRODUCING.md).

dcgan: gan_cifar.py's DCGAN variant (DIM 128, z 128, Adam 1e-4 (0.5, 0.9),
200k G iterations), with two departures: 4x4 kernels (the reference: 5x5) and
N(0, 0.02) init (the reference: He-uniform), as our DCGAN networks are built.
"""

from experiments.dcgan_mnist import dcgan_paper_settings
from gan_jax import config as config_lib
from gan_jax import sweep


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('dcgan', 'digits', 'smoke'))
  c = config_lib.base_config()
  if 'dcgan' in opts:
    dcgan_paper_settings(c)
    c.model.g_width = c.model.d_width = 128  # gan_cifar.py: DIM = 128
    c.model.d_batchnorm = False    # sec. 4: no batch norm in the critic (it breaks the penalty)
    for o in (c.optim.g, c.optim.d):
      o.name, o.lr, o.b1, o.b2 = 'adam', 1e-4, 0.5, 0.9  # gan_cifar.py's Adam
    steps = 200000                 # gan_cifar.py: ITERS = 200000
    # (and, as dcgan_paper_settings, G samples with batch statistics: tflib's BN has no others)
  else:
    c.model.generator = c.model.discriminator = 'wgan_gp_resnet'
    c.model.g_width, c.model.d_width = 256, 128  # Mimicry wgan_gp_32.py: ngf 256, ndf 128
    for o in (c.optim.g, c.optim.d):
      o.name, o.lr, o.b1, o.b2 = 'adam', 2e-4, 0.0, 0.9  # Mimicry's CIFAR-10 table
      o.schedule = 'linear'        # Mimicry: linear decay to 0 over the run
    steps = 100000                 # Mimicry: 100k G steps (and samples in eval mode: the default)
  c.data.source = 'tfds:cifar10'
  c.data.image_size = 32
  c.data.channels = 3
  c.model.z_dim = 128              # both reference scripts: 128-d z
  c.loss.adversarial = 'wasserstein'
  c.loss.gradient_penalty = 10.0   # alg. 1: lambda = 10
  c.train.n_critic = 5             # alg. 1: n_critic = 5
  c.train.batch_size = 64          # alg. 1: m = 64
  config_lib.apply_inception_eval(c, 50000, 'train', every=10000)  # Mimicry: 50k vs 50k train
  config_lib.set_schedule(c, steps, log_every=200, checkpoint_every=5000)  # G iterations
  config_lib.apply_options(c, opts, digits_steps=5000)
  return c


def get_sweep(arg=None):
  """Learning rates x n_critic:
  python launch.py --config=experiments/wgan_gp_cifar10.py --sweep --workdir=runs/wgan_gp_sweep"""
  del arg
  return sweep.product({'optim.g.lr': [1e-4, 2e-4], 'optim.d.lr': [1e-4, 4e-4],
                        'train.n_critic': [1, 5]})
