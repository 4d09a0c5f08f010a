"""Progressive GAN (Karras et al. 2018) as tkarras/progressive_growing_of_gans
trains CelebA-HQ at 1024 px (config.py, preset-v2-1gpu), and a digits demo.

  python launch.py --config=experiments/pggan.py --config.data.source=folder:datasets/celebahq \\
      --workdir=runs/pggan_celebahq
  python launch.py --config=experiments/pggan.py:digits --workdir=runs/pggan_digits
  python launch.py --config=experiments/pggan.py:digits --workdir=runs/pggan_digits \\
      --mode=sample --num_samples=64 --output=out/pggan_digits
Data: any folder: of square images (CelebA-HQ, LSUN as you have them; other
sizes are resized) or a tfds source, at data.image_size (a power of two; 1024
here: lower it for smaller data, the schedule and networks follow). The sample
grids (samples/) are written at the end of every stage as well, so the growth
can be watched. Options: digits (the embedded digits grown from 4 to 32 px; about
N minutes on 2 CPU cores), smoke (seconds).
"""

from gan_jax import config as config_lib


def pggan_settings(c):
  """What every PGGAN config shares (the official defaults)."""
  c.method = 'pggan'
  c.model.channel_base, c.model.channel_max = 16384, 512  # fmap_base 8192, fmap_max 512
  c.model.mbstd_group = 4           # D: mbstd_group_size 4
  c.model.z_dim = 512               # latent_size = nf(0)
  c.loss.gradient_penalty = 10.0    # wgan_lambda
  c.loss.drift = 0.001              # wgan_epsilon
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2, o.eps = 'adam', 1e-3, 0.0, 0.99, 1e-8  # G_opt / D_opt, lrate_base
  c.ema.decay = 0.999               # Gs beta
  c.data.random_flip = True         # train.mirror_augment
  c.progressive.start_res = 4
  c.progressive.stable_kimg = c.progressive.fade_kimg = 600.0  # lod_training/transition_kimg
  c.progressive.step_repeats = 4    # minibatch_repeats
  c.progressive.reset_optimizer = True
  c.eval.metrics = ()


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  pggan_settings(c)
  c.data.source = 'folder:datasets/celebahq'
  c.data.image_size, c.data.channels = 1024, 3
  # preset-v2-1gpu: minibatch_base 4, minibatch_dict, G_lrate_dict = D_lrate_dict
  c.train.batch_size = 4
  c.progressive.batch_sizes = '4:128,8:128,16:128,32:64,64:32,128:16,256:8,512:4'
  c.progressive.lr = '1024:0.0015'
  c.progressive.total_kimg = 12000.0   # train.total_kimg
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 1000, 20_000, 20_000
  if 'digits' in opts:
    config_lib.apply_digits(c)
    c.eval.metrics = ('digits_score', 'digits_fd')
    c.data.image_size = 32
    c.data.random_flip = False         # digits are not mirror-symmetric
    c.model.channel_base, c.model.channel_max = 256, 64   # 64, 32, 16, 8 channels: CPU-sized
    c.model.z_dim = 64
    c.train.batch_size = 64
    c.progressive.batch_sizes = '4:128,8:128,16:128'  # the official ones at these sizes
    c.progressive.lr = ''
    c.progressive.stable_kimg = c.progressive.fade_kimg = 20.0
    c.progressive.total_kimg = 160.0   # 4x4 ... 32x32 reached at 140 kimg, then stable
    c.ema.decay = 0.99                 # the official half-life in stages: 0.15 of one
    c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 100, 500, 500
    c.eval.every = 500
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    if 'digits' not in opts:          # runs here, without the dataset
      c.data.source, c.data.channels = 'embedded:digits', 1
    c.data.image_size = 8
    c.model.channel_base, c.model.channel_max, c.model.z_dim = 64, 8, 8
    c.train.batch_size = 8
    c.progressive.batch_sizes = ''
    c.progressive.lr = '8:0.002'      # a per-resolution rate, exercised
    c.progressive.stable_kimg, c.progressive.fade_kimg = 0.016, 0.024  # in images of 8
    c.progressive.step_repeats = 1
    c.progressive.total_kimg = 0.0
    c.train.num_steps = 7              # 4x4 for 3 steps, 8x8 fading in for 2, stable for 2
  return c
