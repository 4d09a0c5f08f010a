"""WGAN (Arjovsky, Chintala & Bottou 2017) on MNIST with the DCGAN networks.

  python launch.py --config=experiments/wgan_mnist.py --workdir=runs/wgan_mnist
Options: digits (embedded digits), smoke (seconds).

The reference code's schedule (martinarjovsky/WassersteinGAN main.py), beyond
alg. 1: 100 critic iterations for the first 25 generator iterations and every
500th, and the critic clamped before each of its iterations (so G's step sees
the critic as RMSProp left it). One difference stays: the reference's inner
loop also stops at the end of an epoch of the data; ours reads batches as a
stream across epochs.
"""

from experiments.dcgan_mnist import dcgan_paper_settings
from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  dcgan_paper_settings(c)          # sec. 4.1: the DCGAN architecture for G and the critic
  c.data.source = 'tfds:mnist'
  c.data.image_size = 32
  c.loss.adversarial = 'wasserstein'
  c.train.n_critic = 5             # alg. 1: n_critic = 5
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr = 'rmsprop', 5e-5  # alg. 1: RMSProp, alpha = 0.00005
  c.optim.d.weight_clip = 0.01     # alg. 1: c = 0.01
  c.optim.d.clip_before_step = True  # main.py: clamp_ at the top of each critic iteration
  c.train.critic_boost = 100       # main.py: Diters = 100 if gen_iterations < 25 or
  c.train.boost_steps, c.train.boost_every = 25, 500  # gen_iterations % 500 == 0
  c.train.batch_size = 64          # alg. 1: m = 64
  config_lib.set_schedule(c, 20000, log_every=200, checkpoint_every=2000)  # G iterations
  if 'digits' in opts:
    c.data.image_size = 16
  config_lib.apply_options(c, opts, digits_steps=5000)
  return c
