"""PacGAN (Lin et al. 2018) on its 2-D mixtures: the set-up of its Table 1.

  python launch.py --config=experiments/pacgan_toy.py:ring --workdir=runs/pacgan_ring
  python launch.py --config=experiments/pacgan_toy.py:grid,pack2 --workdir=runs/pacgan_grid2
Options: ring (8 modes, radius 1, std 0.01; default) or grid (25 modes, std
0.05); pack2, pack3, pack4 (PacGAN2-4; none: the GAN row); smoke.

As fjxmlzn/PacGAN synthetic_data_experiments (config.py, pacgan_task.py):
G 2 -> 4 x [dense 400, BatchNorm, ReLU] -> dense 2; D 3 maxout layers of 200
units x 5 pieces -> dense 1; weights N(0, 0.02), biases 0; Adam 1e-4 (0.8,
0.999); sigmoid cross-entropy, non-saturating for G; D and G step at once from
the same parameters and noise; 100 packed rows per batch (100 m samples, G
called once per packing slot); 400 epochs of 100,000 points; 2,500 samples
scored with G's running BatchNorm statistics. Metrics (pacgan_ring /
pacgan_grid): PacGAN's modes captured, high-quality fraction and reverse KL.

Departures: BatchNorm with PyTorch's eps 1e-5 and momentum 0.1 (blocks: eps
1e-4, 0.05); real packing slots are consecutive samples of one shuffled
stream (the reference resamples each slot with replacement).
"""

from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('ring', 'grid', 'pack2', 'pack3', 'pack4', 'smoke'))
  name = 'pacgan_grid' if 'grid' in opts else 'pacgan_ring'
  m = next((int(o[-1]) for o in opts if o.startswith('pack')), 1)
  c = config_lib.base_config()
  c.data.source = f'embedded:{name}'
  c.data.image_size, c.data.channels = 1, 2  # 2-D points as (1, 1, 2) "images"
  c.model.generator, c.model.discriminator = 'mlp', 'maxout'
  c.model.z_dim = 2                # 2-D N(0, I) noise
  c.model.depth, c.model.g_width = 4, 400  # G: 4 hidden layers of 400
  c.model.mlp_batchnorm = True     # BatchNorm after each of G's hidden layers
  c.model.leaky_slope = 0.0        # ReLU
  c.model.d_depth, c.model.d_width, c.model.maxout_pieces = 3, 200, 5
  c.model.init_std = 0.02
  c.model.tanh_output = False
  c.model.packing = m
  c.loss.adversarial = 'non_saturating'
  for o in (c.optim.g, c.optim.d):
    o.lr, o.b1, o.b2 = 1e-4, 0.8, 0.999
  c.train.simultaneous = True
  c.train.batch_size = 100 * m     # 100 packed rows
  config_lib.set_schedule(c, 400 * 1000, log_every=5000, checkpoint_every=50000)  # 400 epochs
  c.train.sample_every = 0         # points, not images
  c.eval.every = 50000
  c.eval.metrics = (name,)
  c.eval.main_metric = f'{name}_modes'
  c.eval.num_samples = 2500
  c.eval.batch_size = 500
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.data.image_size = 1
    c.data.max_examples = 0
    c.train.batch_size = 8 * m
    c.model.z_dim = 2
  return c
