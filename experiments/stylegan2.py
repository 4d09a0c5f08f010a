"""StyleGAN2 (Karras et al. 2020) as NVlabs/stylegan2-ada-pytorch's train.py
configures it (cfg_specs), on any folder: or tfds source of square images.

  python launch.py --config=experiments/stylegan2.py:paper256 \\
      --config.data.source=folder:datasets/ffhq256 --workdir=runs/sg2_ffhq256
  python launch.py --config=experiments/stylegan2.py:digits --workdir=runs/sg2_digits
  python launch.py --config=experiments/stylegan2.py:digits --workdir=runs/sg2_digits \\
      --mode=sample --num_samples=64 --output=out/sg2 --config.stylegan.psi=0.7
Options: (none) the 'auto' config for 1 GPU at 256 px (batch 16, fmaps 0.5,
gamma 0.0002 res^2 / batch, mapping 2, EMA ramp-up 0.05); paper256 (FFHQ/LSUN
at 256 px: batch 64, mbstd 8, fmaps 0.5, lr 0.0025, gamma 1, EMA 20 kimg);
stylegan2 (config F at 1024 px: batch 32, mbstd 4, fmaps 1, lr 0.002, gamma 10,
EMA 10 kimg); digits (the embedded digits at 16 px, batch 32, 32 channels
throughout: 'auto' sized for 2 CPU cores, without path length and style mixing
as 'cifar', R1 gamma 1, about 75 ms a step, 640 kimg (20,000 steps) in about 29
minutes with its evaluations; ADA's ada_kimg 100); smoke (about a minute on a
CPU). All: Adam (0, 0.99) eps 1e-8, R1 every 16 steps, path length every 4
(weight 2; not digits), style mixing 0.9 (not digits), mirrored images (not the
digits), ADA with the 'bgc' pipe and target 0.6 (train.py's default --aug=ada),
25,000 kimg (not digits). Figures: --mode=sample also writes the style-mixing
(coarse and fine) and interpolation figures.
float32 with the official conv clamp 256; --config.stylegan.low_precision_res=4
computes the 4 highest resolutions' blocks in bfloat16 (the reference's
num_fp16_res=4, for GPUs). data.source=folder: takes a folder of images or the
dataset_tool's folder or .zip (labels from its dataset.json).
"""

from gan_jax import config as config_lib


def stylegan2_settings(c, res: int, batch: int, mbstd: int, fmaps: float, lr: float,
                       gamma: float, ema_kimg: float, ramp: float, mapping: int, kimg: float):
  """One cfg_specs entry (train.py), for one GPU holding the whole batch."""
  c.method = 'stylegan2'
  c.data.image_size = res
  c.train.batch_size = batch
  c.model.mbstd_group = mbstd
  c.model.channel_base, c.model.channel_max = int(fmaps * 32768), 512
  c.model.z_dim = 512
  c.stylegan.mapping_layers = mapping
  c.stylegan.ema_kimg, c.stylegan.ema_rampup = ema_kimg, ramp
  c.loss.r1_gamma, c.loss.r1_every = gamma, 16
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2, o.eps = 'adam', lr, 0.0, 0.99, 1e-8
  c.train.num_steps = int(kimg * 1000 // batch)
  c.eval.metrics = ()
  c.augment.pipe, c.augment.ada_target = 'bgc', 0.6   # --aug=ada --augpipe=bgc (the default)


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('paper256', 'stylegan2', 'digits', 'smoke'))
  c = config_lib.base_config()
  c.data.source = 'folder:datasets/ffhq'
  c.data.channels = 3
  c.data.random_flip = True                       # --mirror=1
  if 'stylegan2' in opts:
    stylegan2_settings(c, 1024, 32, 4, 1.0, 0.002, 10.0, 10.0, 0.0, 8, 25000)
  elif 'paper256' in opts:
    stylegan2_settings(c, 256, 64, 8, 0.5, 0.0025, 1.0, 20.0, 0.0, 8, 25000)
  else:                                           # 'auto' at 256 px, 1 GPU
    res, batch = 256, 16                          # max(min(4096 // res, 32), 1)
    stylegan2_settings(c, res, batch, 4, 0.5, 0.0025, 0.0002 * res ** 2 / batch,
                       batch * 10 / 32, 0.05, 2, 25000)
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 1000, 10_000, 10_000
  if 'digits' in opts or 'smoke' in opts:
    config_lib.apply_digits(c)
    c.eval.metrics = ('digits_score', 'digits_fd')
    c.data.random_flip = False                    # digits are not mirror-symmetric
    # 'auto' at 16 px, batch 32, sized for 2 CPU cores: 32 channels throughout
    # (channel_base 1024, max 32), z and w 128.
    stylegan2_settings(c, 16, 32, 4, 1024 / 32768, 0.0025, 0.0002 * 16 ** 2 / 32, 10.0, 0.05,
                       2, 640)
    # As the official 'cifar' config for small images: no path-length regularisation,
    # no style mixing; 1.4 x the steps per second on a CPU (bench/RESULTS.md, StyleGAN2-ADA).
    c.stylegan.pl_weight, c.stylegan.style_mixing = 0.0, 0.0
    # R1 gamma 1, not 'auto''s 0.0016: at 5,000 steps gamma 0.0016 / 0.01 / 0.1 / 1 / 10
    # gave digits_fd 4.49 / 3.98 / 2.85 / 1.87 / 3.17 (bench/RESULTS.md, StyleGAN2-ADA).
    c.loss.r1_gamma = 1.0
    c.eval.metrics = ('digits_score', 'digits_fd')
    c.model.channel_max = 32
    c.model.z_dim = c.stylegan.w_dim = 128
    c.augment.ada_kimg = 100.0                    # a 100-kimg run: p may move by 1 in it
    c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 100, 500, 500
    c.eval.every = 500
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.model.channel_base, c.model.channel_max = 128, 16
    c.model.z_dim = c.stylegan.w_dim = 16
    c.augment.p, c.augment.ada_kimg = 0.2, 0.1    # p starts at 0.2 and moves by 0.32
    defaults = config_lib.base_config().stylegan   # every phase, as its fingerprint recorded
    c.stylegan.pl_weight, c.stylegan.style_mixing = defaults.pl_weight, defaults.style_mixing
    c.loss.r1_gamma = 0.0002 * 16 ** 2 / 32                   # 'auto' at 16 px, batch 32
  return c
