"""SRResNet (Ledig et al. 2017, sec. 3): x4 super-resolution trained with the
pixel MSE alone, the network SRGAN starts from.

  python launch.py --config=experiments/srresnet.py:demo --workdir=runs/srresnet_demo
  python launch.py --config=experiments/srresnet.py:demo --workdir=runs/srresnet_demo \\
      --mode=translate --input=small_photos/ --output=out/x4     # any size, whole
Data: HR crops of 96 px, LR inputs made by MATLAB's bicubic imresize (x1/4) in
each step. The paper trains on 350k ImageNet images; `folder:<path>` reads
yours (DIV2K, ...): each step takes a random 96 px window of each image at its
own resolution (data.native_crops), as the paper's random crops. Options: demo
(crops of scikit-image's photos: train from each photo's left three quarters,
evaluate on its right quarter, as crops and as whole images; CPU minutes),
smoke (seconds).
"""

from gan_jax import config as config_lib


def sr_settings(c):
  """What SRResNet and SRGAN share (the paper's sec. 3.2)."""
  c.method = 'super_resolution'
  c.data.sr_scale = 4
  c.data.image_size, c.data.channels = 96, 3   # 96 x 96 HR crops
  c.data.native_crops = True                    # windows at the HR image's own resolution
  c.data.random_flip = True
  c.model.g_width = c.model.d_width = 64       # B = 16 residual blocks of 64 channels
  c.model.g_blocks = 16
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 1e-4, 0.9, 0.999
  c.train.batch_size = 16
  c.train.sample_grid = 16                      # 4 examples: bicubic, SR, HR, |error|
  c.eval.metrics = ('super_resolution',)
  c.eval.main_metric, c.eval.main_mode = 'sr_psnr_y', 'max'
  c.eval.num_samples = 100


def demo_settings(c, steps: int):
  """CPU-sized: 48 px HR crops (12 px LR), a learning rate ten times the paper's
  (thousands of steps where it takes 10^6); `steps` long."""
  c.data.source = 'embedded:photos'
  c.data.image_size, c.data.native_crops = 48, False   # already crops
  for o in (c.optim.g, c.optim.d):
    o.lr = 1e-3
  c.train.num_steps = steps
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 100, 500, 500
  c.eval.every = 500


def demo_benchmark(c):
  """The demo's held-out photo quarters also scored whole, as SR papers score Set5."""
  c.eval.metrics = ('super_resolution', 'sr_benchmark')
  c.eval.sr_folders = 'embedded:photos'


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('demo', 'smoke'))
  c = config_lib.base_config()
  sr_settings(c)
  c.data.source = 'folder:datasets/sr_train_hr'
  c.loss.pixel_weight, c.loss.vgg_weight, c.loss.gan_weight = 1.0, 0.0, 0.0
  c.train.num_steps = 1_000_000                 # 10^6 updates
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 1000, 20_000, 20_000
  if 'demo' in opts or 'smoke' in opts:
    demo_settings(c, 2000)
  if 'demo' in opts:
    # 4,000 steps at ten times the paper's rate, decayed to 0 over the second half:
    # at a constant rate the last iterate's colours sat 2 to 3 grey levels off on
    # flat crops, where bicubic is nearly exact (bench/RESULTS.md, super-resolution).
    c.train.num_steps = 4000
    c.optim.g.schedule = 'half_linear'
    demo_benchmark(c)
  if 'smoke' in opts:
    smoke_settings(c)
  return c


def smoke_settings(c):
  config_lib.apply_smoke(c)
  c.data.source = 'embedded:photos'
  c.data.image_size = 48                        # 12 px LR; SSIM's 11 px window fits
  c.model.g_width = c.model.d_width = 8
  c.train.batch_size = 8
  c.eval.every, c.eval.num_samples = 4, 8
