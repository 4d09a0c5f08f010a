"""DCGAN (Radford, Metz & Chintala 2015) on MNIST.

  python launch.py --config=experiments/dcgan_mnist.py --workdir=runs/dcgan_mnist
  python launch.py --config=experiments/dcgan_mnist.py:digits --workdir=runs/dcgan_digits
Options: digits (embedded scikit-learn digits, 16x16, a run of minutes on a
laptop CPU), smoke (seconds).
"""

from gan_jax import config as config_lib


def dcgan_paper_settings(c):
  """The settings of Radford et al. 2015, sec. 3 and 4 (shared with dcgan_cifar10)."""
  c.method = 'gan'
  c.model.generator = 'dcgan'
  c.model.discriminator = 'dcgan'
  c.model.z_dim = 100              # sec. 4, fig. 1: 100-d uniform z (we use N(0, 1), as most ports)
  c.model.init_std = 0.02          # sec. 4: weights from N(0, 0.02)
  c.model.g_batchnorm = True       # sec. 3: batchnorm in G and D (not G output, D input)
  c.model.d_batchnorm = True
  c.model.leaky_slope = 0.2        # sec. 4: LeakyReLU slope 0.2 in D; ReLU in G (model code)
  c.model.g_width = 64
  c.model.d_width = 64
  c.loss.adversarial = 'non_saturating'
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 2e-4, 0.5, 0.999  # sec. 4: Adam, lr 0.0002, beta1 0.5
  c.train.batch_size = 128         # sec. 4: mini-batch SGD with batch 128
  c.model.sample_batch_stats = True  # pytorch/examples' dcgan samples in train mode (no eval())


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  dcgan_paper_settings(c)
  c.data.source = 'tfds:mnist'
  c.data.image_size = 32           # 28x28 resized to 32 = 4 * 2^3 for the strided convs
  c.data.channels = 1
  # about 21 epochs of MNIST's 60,000 training images
  config_lib.set_schedule(c, 10000, log_every=100, checkpoint_every=1000)
  if 'digits' in opts:
    c.data.image_size = 16         # 8x8 digits shown at 16x16: two doublings
    c.model.g_width = 64
    c.model.d_width = 64
    # Not from the paper: tuned for a demo of minutes on 2 CPU cores (bench/RESULTS.md).
    c.loss.label_smoothing = 0.1   # one-sided (Salimans et al. 2016): +0.1 confident vs none
    c.train.batch_size = 64
    config_lib.set_schedule(c, 15000, log_every=500, checkpoint_every=2500)
    c.eval.every = 2500
  config_lib.apply_options(c, opts, digits_steps=15000)
  return c
