"""MLP GANs on 2-D Gaussian mixtures, the standard mode-collapse test.

  python launch.py --config=experiments/toy2d.py:ring8 --workdir=runs/ring8
  python launch.py --config=experiments/toy2d.py:grid25 --workdir=runs/grid25 \
      --config.loss.adversarial=hinge --config.model.spectral_norm=True
Options: ring8 (8 modes on a circle, default) or grid25 (5 x 5 grid); smoke.
bench/mode_collapse.py trains every loss/regulariser combination on both.

Networks in the spirit of Metz et al. 2017 (Unrolled GAN, appendix A): MLPs
with hidden layers of 128 units; G's output is linear.
"""

from gan_jax import config as config_lib
from gan_jax import sweep


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('ring8', 'grid25', 'smoke'))
  name = 'grid25' if 'grid25' in opts else 'ring8'
  c = config_lib.base_config()
  c.data.source = f'embedded:{name}'
  c.data.image_size, c.data.channels = 1, 2  # 2-D points as (1, 1, 2) "images"
  c.model.generator = c.model.discriminator = 'mlp'
  c.model.depth = 3
  c.model.g_width = c.model.d_width = 128
  c.model.z_dim = 64
  c.model.init_std = 0.0
  c.model.tanh_output = False
  c.loss.adversarial = 'non_saturating'
  for o in (c.optim.g, c.optim.d):
    o.lr, o.b1, o.b2 = 1e-4, 0.5, 0.999
  c.train.batch_size = 256
  config_lib.set_schedule(c, 5000, log_every=500, checkpoint_every=5000)
  c.train.sample_every = 0         # points, not images
  c.eval.every = 5000              # modes at the end (and every 5,000 steps)
  c.eval.metrics = (f'modes_{name}',)
  c.eval.main_metric = f'{name}_modes'
  c.eval.num_samples = 2500        # VEEGAN / PacGAN evaluate 2,500 samples
  c.eval.batch_size = 500
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.data.image_size = 1
    c.data.max_examples = 0
  return c


def get_sweep(arg=None):
  """Every adversarial loss, with and without R1:
  python launch.py --config=experiments/toy2d.py:ring8 --sweep --workdir=runs/toy_sweep"""
  del arg
  return sweep.product({'loss.adversarial': ['non_saturating', 'lsgan', 'hinge'],
                        'loss.r1_gamma': [0.0, 1.0]})
