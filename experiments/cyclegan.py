"""CycleGAN (Zhu et al. 2017) with the official PyTorch code's defaults.

  python launch.py --config=experiments/cyclegan.py --workdir=runs/horse2zebra
  python launch.py --config=experiments/cyclegan.py:monet2photo --workdir=runs/monet2photo
  python launch.py --config=experiments/cyclegan.py --config.data.source=folder:/data/mydata ...
  python launch.py --config=experiments/cyclegan.py --workdir=runs/horse2zebra \\
      --mode=translate --input=horses/ --output=zebras/ --direction=a2b
  python launch.py --config=experiments/cyclegan.py:digits --workdir=runs/cyclegan_digits
Options: a tfds cycle_gan config (horse2zebra by default; see TFDS_CONFIGS),
digits (embedded digits <-> digits_m, no network, about 30 minutes on 2 CPU cores), smoke.
"""

from gan_jax import config as config_lib

TFDS_CONFIGS = ('apple2orange', 'summer2winter_yosemite', 'horse2zebra', 'monet2photo',
                'cezanne2photo', 'ukiyoe2photo', 'vangogh2photo', 'maps', 'facades',
                'iphone2dslr_flower')


def cyclegan_settings(c):
  """The official train.py defaults for --model cycle_gan."""
  c.method = 'cyclegan'
  c.model.generator = 'resnet_9blocks'  # --netG resnet_9blocks
  c.model.discriminator = 'patchgan'    # --netD basic: the 70x70 PatchGAN, n_layers 3
  c.model.norm = 'instance'             # --norm instance (no affine, no running statistics)
  c.model.g_width = c.model.d_width = 64  # --ngf 64 --ndf 64
  c.model.init_std = 0.02               # --init_type normal --init_gain 0.02
  c.model.dropout = 0.0                 # --no_dropout is the CycleGAN default
  c.loss.adversarial = 'mse'            # --gan_mode lsgan (losses.PATCH_CRITERIA)
  c.loss.cycle_weight = 10.0            # --lambda_A 10 --lambda_B 10
  c.loss.identity_weight = 0.5          # --lambda_identity 0.5
  c.train.pool_size = 50                # --pool_size 50
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 2e-4, 0.5, 0.999  # --lr 0.0002 --beta1 0.5
    o.schedule = 'epochs'               # --lr_policy linear
    o.constant_epochs, o.decay_epochs = 100, 100  # --n_epochs 100 --n_epochs_decay 100
  c.train.num_epochs = 200
  c.train.batch_size = 1                # --batch_size 1
  c.data.image_size = 256               # --crop_size 256
  c.data.load_size = 286                # --load_size 286
  c.data.random_flip = True             # flips unless --no_flip
  c.data.channels = 3
  c.data.split = 'train'
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 100, 5000, 5000
  c.train.sample_grid = 16              # 4 held-out examples: A, a2b(A), B, b2a(B)
  c.eval.metrics = ()
  c.eval.batch_size = 8


def digits_settings(c):
  """digits <-> digits_m on 2 CPU cores: 16 px, no crop or flip (a mirrored digit is
  another symbol), a 6-block ResNet with one downsampling and ngf 32, a 2-layer
  PatchGAN with ndf 32, batch 4, 60 epochs of 1,500 (22,500 steps: 30 constant,
  30 decaying)."""
  c.data.source = 'embedded:digits2digits_m'
  c.data.image_size, c.data.load_size, c.data.random_flip = 16, 0, False
  c.model.generator = 'resnet_6blocks'
  c.model.downsamplings = 1
  c.model.g_width, c.model.d_width = 32, 32
  c.model.d_layers = 2
  c.train.batch_size = 4
  c.train.num_epochs = 60
  for o in (c.optim.g, c.optim.d):
    o.constant_epochs, o.decay_epochs = 30, 30
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 250, 1500, 1500
  c.train.sample_grid = 64
  c.eval.metrics = ('digits_translation',)
  c.eval.main_metric, c.eval.main_mode = 'label_kept_b2a', 'max'
  c.eval.every = 1500
  c.eval.batch_size = 100


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, TFDS_CONFIGS + ('digits', 'smoke'))
  c = config_lib.base_config()
  cyclegan_settings(c)
  names = [o for o in opts if o in TFDS_CONFIGS]
  if len(names) > 1:
    raise config_lib.UserError(f'choose one dataset, got {names}')
  c.data.source = f'tfds:cycle_gan/{names[0] if names else "horse2zebra"}'
  if 'digits' in opts:
    digits_settings(c)
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.train.num_epochs = 0
    c.data.load_size = 0 if not c.data.load_size else c.data.image_size + 2
    c.train.pool_size = 3
    c.model.generator = 'resnet_6blocks'
    c.eval.batch_size = 8
    c.eval.every = 2 if c.eval.metrics else 0
  return c
