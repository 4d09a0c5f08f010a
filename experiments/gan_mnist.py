"""The original GAN (Goodfellow et al. 2014) on MNIST, as the seed chapter builds it.

  python launch.py --config=experiments/gan_mnist.py --workdir=runs/gan_mnist
  python launch.py --config=experiments/gan_mnist.py:digits --workdir=runs/gan_digits
Options: digits (embedded scikit-learn digits, no network), smoke (seconds).
"""

from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  c.data.source = 'tfds:mnist'
  c.data.image_size = 28           # MNIST's native 28x28, flattened by the MLPs
  c.model.generator = 'mlp'
  c.model.discriminator = 'mlp'
  c.model.g_width = 128            # seed chapter: one hidden layer of 128 units in G ...
  c.model.d_width = 128            # ... and in D
  c.model.leaky_slope = 0.01       # seed chapter: LeakyReLU alpha 0.01
  c.model.init_std = 0.0           # Flax default init (the chapter does not change Keras')
  c.model.z_dim = 100              # seed chapter: z of 100 dimensions
  c.loss.adversarial = 'non_saturating'  # Goodfellow et al. sec. 3: maximise log D(G(z))
  c.loss.label_smoothing = 0.1     # seed chapter: one-sided label smoothing, real target 0.9
  # Adam; the chapter names no rate, so Adam's own defaults (Kingma & Ba 2015, alg. 1).
  for o in (c.optim.g, c.optim.d):
    o.lr, o.b1, o.b2 = 1e-3, 0.9, 0.999
  c.train.batch_size = 128
  config_lib.set_schedule(c, 20000, log_every=200, checkpoint_every=2000)
  config_lib.apply_options(c, opts, digits_steps=5000)
  return c
