"""Conditional GAN (Mirza & Osindero 2014) on MNIST: G and D both see the label.

  python launch.py --config=experiments/cgan_mnist.py --workdir=runs/cgan_mnist
  python launch.py --config=experiments/cgan_mnist.py --workdir=runs/cgan_mnist \
      --mode=sample --label=3 --num_samples=16 --output=out/threes
Options: digits (embedded digits, 10 classes), smoke (seconds).

A simplification of the paper's networks, said openly: the one-hot label is
concatenated to z and to D's input of one-hidden-layer LeakyReLU MLPs (the
paper: separate z/y layers of 200/1000 ReLU units in G, maxout in D), trained
with Adam (the paper: SGD with momentum and a decaying rate).
"""

from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  c.data.source = 'tfds:mnist'
  c.data.image_size = 28
  c.model.generator = c.model.discriminator = 'mlp'
  c.data.num_classes = 10
  c.model.conditional = True       # sec. 3.2: y fed to both G and D
  c.model.z_dim = 100              # sec. 4.1: 100-d noise
  c.model.g_width = c.model.d_width = 256
  c.model.leaky_slope = 0.2
  c.model.init_std = 0.0
  c.loss.adversarial = 'non_saturating'
  c.train.batch_size = 100         # sec. 4.1: mini-batches of 100
  config_lib.set_schedule(c, 20000, log_every=200, checkpoint_every=2000)
  config_lib.apply_options(c, opts, digits_steps=5000)
  return c
