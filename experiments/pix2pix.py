"""pix2pix (Isola et al. 2017) with the official PyTorch code's defaults.

  python launch.py --config=experiments/pix2pix.py --config.data.source=folder:datasets/facades \\
      --workdir=runs/facades
  python launch.py --config=experiments/pix2pix.py --workdir=runs/facades \\
      --mode=translate --input=labels/ --output=photos/
  python launch.py --config=experiments/pix2pix.py:demo --workdir=runs/pix2pix_demo
Data: folder:<path> in the official aligned layout (<path>/train/*.jpg, A|B side
by side; the official facades download trains B -> A, hence data.direction='b2a'),
or <path>/trainA + <path>/trainB matched by file name. Options: demo (denoising
crops of scikit-image's photos, no network, 10 minutes on 2 CPU cores), colorize
(the same with greyscale -> colour), smoke.
"""

from gan_jax import config as config_lib


def pix2pix_settings(c):
  """The official train.py defaults for --model pix2pix."""
  c.method = 'pix2pix'
  c.model.generator = 'unet_256'        # --netG unet_256
  c.model.discriminator = 'patchgan'    # --netD basic, on (A, B) concatenated
  c.model.norm = 'batch'                # --norm batch
  c.model.g_width = c.model.d_width = 64
  c.model.init_std = 0.02
  c.model.dropout = 0.5                 # dropout in the decoder (paper, sec. 3.1)
  c.loss.adversarial = 'bce'            # --gan_mode vanilla (losses.PATCH_CRITERIA)
  c.loss.l1_weight = 100.0              # --lambda_L1 100
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 2e-4, 0.5, 0.999
    o.schedule = 'epochs'
    o.constant_epochs, o.decay_epochs = 100, 100
  c.train.num_epochs = 200
  c.train.batch_size = 1
  c.data.image_size, c.data.load_size, c.data.random_flip = 256, 286, True
  c.data.channels = 3
  c.data.split = 'train'
  c.data.direction = 'b2a'              # facades: --direction BtoA
  c.data.source = 'folder:datasets/facades'
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 100, 5000, 5000
  c.train.sample_grid = 16              # 4 held-out examples: A, G(A), B, |G(A) - B|
  c.eval.metrics = ('paired_l1_psnr',)
  c.eval.main_metric, c.eval.main_mode = 'test_psnr', 'max'
  c.eval.every = 5000
  c.eval.batch_size = 8


def demo_settings(c, source='embedded:photos_denoise'):
  """32 px crops of the shipped photos, noisy -> clean (or grey -> colour with the
  colorize option): unet_32 with ngf 32, a 2-layer PatchGAN, batch 4, no crop;
  6 epochs of 4,000 crops (6,000 steps)."""
  c.data.source = source
  c.data.direction = 'a2b'
  c.data.image_size, c.data.load_size = 32, 0
  c.model.generator = 'unet_32'
  c.model.g_width = c.model.d_width = 32
  c.model.d_layers = 2
  c.train.batch_size = 4
  c.train.num_epochs = 6
  for o in (c.optim.g, c.optim.d):
    o.constant_epochs, o.decay_epochs = 3, 3
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 250, 1000, 1000
  c.train.sample_grid = 64
  c.eval.every = 1000
  c.eval.batch_size = 100


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('demo', 'colorize', 'smoke'))
  c = config_lib.base_config()
  pix2pix_settings(c)
  if 'demo' in opts:
    demo_settings(c)
  if 'colorize' in opts:
    demo_settings(c, 'embedded:photos_colorize')
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.train.num_epochs = 0
    c.data.load_size = 0 if not c.data.load_size else c.data.image_size + 2
    c.model.generator = 'unet_32'     # the smallest U-Net: 32 px
    c.data.image_size = 32
    c.eval.batch_size = 8
    c.eval.every = 2
  return c
