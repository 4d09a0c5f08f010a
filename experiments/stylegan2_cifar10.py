"""StyleGAN2 on CIFAR-10 as stylegan2-ada-pytorch's 'cifar' config: class-
conditional (--cond=1), mapping 2 layers, D 'orig' architecture with a projection
onto the mapped label, minibatch stddev over groups of 32, batch 64, Adam 0.0025
(0, 0.99), R1 gamma 0.01 every 16 steps, no path-length regularisation, no style
mixing, EMA 500 kimg with ramp-up 0.05, ADA ('bgc', target 0.6), 100,000 kimg.
FID against the 50,000
training images (the paper's protocol; REPRODUCING.md).

  python launch.py --config=experiments/stylegan2_cifar10.py --workdir=runs/sg2_cifar10 \\
      --config.eval.inception_weights=pt_inception-2015-12-05-6726825d.pth
Not yet: mixed precision.
Options: smoke (seconds, on the embedded digits).
"""

from experiments import stylegan2
from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('smoke',))
  c = config_lib.base_config()
  c.data.source = 'tfds:cifar10'
  c.data.channels = 3
  stylegan2.stylegan2_settings(c, 32, 64, 32, 1.0, 0.0025, 0.01, 500.0, 0.05, 2, 100_000)
  c.model.conditional = True
  c.stylegan.d_architecture = 'orig'
  c.stylegan.pl_weight = 0.0
  c.stylegan.style_mixing = 0.0
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 1000, 10_000, 10_000
  config_lib.apply_inception_eval(c, 50_000, 'train', 50_000)
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    config_lib.apply_digits(c)
    c.model.channel_base, c.model.channel_max = 128, 16
    c.model.mbstd_group = 4
    c.model.z_dim = c.stylegan.w_dim = 16
    c.augment.p, c.augment.ada_kimg = 0.2, 0.1    # p starts at 0.2 and moves by 0.32
  return c
