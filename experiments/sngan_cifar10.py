"""SNGAN (Miyato et al. 2018) on CIFAR-10: ResNet G and spectrally normalised
ResNet D, hinge loss; training settings as Mimicry's SNGAN-32 (Lee & Town 2020).

  python launch.py --config=experiments/sngan_cifar10.py --workdir=runs/sngan_cifar10
Options: digits (embedded digits), smoke (seconds).
"""

from gan_jax import config as config_lib


def sngan_settings(c):
  """Shared with cgan_pd_cifar10.py."""
  c.model.generator = c.model.discriminator = 'sngan_resnet'
  c.model.g_width = 256            # table 4: 256 channels in G's blocks
  c.model.d_width = 128            # table 4: 128 channels in D's blocks
  c.model.z_dim = 128              # table 4: z in R^128, N(0, I)
  c.loss.adversarial = 'hinge'     # sec. 4: the hinge loss for the ResNet runs
  c.train.n_critic = 5             # table 1 setting (C): n_dis = 5
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 2e-4, 0.0, 0.9  # setting (C): alpha 2e-4, beta1 0, beta2 0.9
    o.schedule = 'linear'          # Mimicry: linear decay to 0 over the run
  c.train.batch_size = 64          # sec. 4: batch 64
  config_lib.apply_inception_eval(c, 50000, 'train', every=10000)  # Mimicry: 50k vs 50k train
  config_lib.set_schedule(c, 100000, log_every=200, checkpoint_every=5000)  # Mimicry: 100k G steps


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  sngan_settings(c)
  c.data.source = 'tfds:cifar10'
  c.data.image_size = 32
  c.data.channels = 3
  config_lib.apply_options(c, opts, digits_steps=3000)
  return c
