"""StarGAN (Choi et al. 2018) with the official code's CelebA settings
(yunjey/stargan main.py defaults), and an embedded multi-domain demo.

  python launch.py --config=experiments/stargan.py --workdir=runs/stargan_celeba
  python launch.py --config=experiments/stargan.py --workdir=runs/stargan_celeba \\
      --mode=translate --input=faces/ --output=out/ --target=Blond_Hair,Young
  python launch.py --config=experiments/stargan.py:digits --workdir=runs/stargan_digits
Data: tfds celeb_a (its 40 attributes; the five below are the labels), the
centre square (178 px, the official --celeba_crop_size) resized to 128, random
flips. Options: digits (the digits in 4 domains, thick and tinted strokes, of
embedded:digit_domains' 8, with CycleGAN's identity term; minutes on 2 CPU
cores; --config.data.attributes=thick,inverted,tinted for all 8), smoke.
"""

from gan_jax import config as config_lib


def stargan_settings(c):
  c.method = 'stargan'
  c.model.generator = c.model.discriminator = 'stargan'
  c.model.g_width = c.model.d_width = 64   # --g_conv_dim / --d_conv_dim 64
  c.model.g_blocks = 6                     # --g_repeat_num 6
  c.model.d_layers = 6                     # --d_repeat_num 6
  c.model.downsamplings = 2
  c.model.label_mode = 'multi'             # CelebA: binary attributes, BCE
  c.loss.cls_weight = 1.0                  # --lambda_cls 1
  c.loss.cycle_weight = 10.0               # --lambda_rec 10
  c.loss.gradient_penalty = 10.0           # --lambda_gp 10
  c.loss.identity_weight = 0.0             # not in StarGAN; CycleGAN's identity term, x lambda_rec
  c.train.n_critic = 5                     # --n_critic 5
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 1e-4, 0.5, 0.999  # --g_lr/--d_lr 1e-4, beta1 0.5
    o.schedule = 'half_linear'             # the paper: constant, then linear to 0 over the
                                           # last half ('constant' is the official code, whose
                                           # decrement lowers the rate by 0.1 % in all)
  c.train.batch_size = 16                  # --batch_size 16
  c.train.num_steps = 40_000               # G updates: --num_iters 200,000 / n_critic 5
  c.data.source = 'tfds:celeb_a'
  c.data.attributes = 'Black_Hair,Blond_Hair,Brown_Hair,Male,Young'  # --selected_attrs
  c.data.image_size, c.data.channels = 128, 3
  c.data.random_flip = True
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 100, 10_000, 1_000
  c.train.sample_grid = 25                 # rows of 5: an input, then 4 targets
  c.eval.every = 0
  c.eval.metrics = ()                      # CelebA: samples to look at; no measure yet


def digits_settings(c):
  """16 px, a quarter of the widths, 4 D layers (16 -> 1 px); 4 domains (thick, tinted)
  and the identity term: StarGAN's own losses lose the digit here, and with polarity as a
  domain the identity term does not save it (bench/RESULTS.md, StarGAN)."""
  c.data.source = 'embedded:digit_domains'
  c.data.attributes = 'thick,tinted'
  c.loss.identity_weight = 0.5
  c.data.image_size, c.data.random_flip = 16, False
  c.model.g_width = c.model.d_width = 32
  c.model.d_layers = 4
  c.train.num_steps = 3_000
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 250, 1_000, 1_000
  c.eval.metrics = ('domain_translation',)
  c.eval.main_metric, c.eval.main_mode = 'digit_kept', 'max'  # domain_accuracy saturates first
  c.eval.every = 1_000
  c.eval.num_samples = 2_000
  c.eval.batch_size = 200


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  stargan_settings(c)
  if 'digits' in opts:
    digits_settings(c)
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    # all 8 domains (every attribute's code path) and StarGAN's own losses, as recorded
    # in tests/fingerprints.json; the identity term has its own test
    c.data.attributes, c.loss.identity_weight = 'thick,inverted,tinted', 0.0
    c.model.g_width = c.model.d_width = 4
    c.model.g_blocks = 1
    c.model.d_layers = 4  # 16 px -> 1
    c.train.n_critic = 2
    c.eval.num_samples = 16
  return c
