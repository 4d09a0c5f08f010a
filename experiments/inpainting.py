"""Inpainting with partial convolutions (Liu et al. 2018) and an SN-PatchGAN
(DeepFill v2, Yu et al. 2019): holes drawn per step, only the hole replaced.

  python launch.py --config=experiments/inpainting.py:demo --workdir=runs/inpaint_demo
  python launch.py --config=experiments/inpainting.py:demo --workdir=runs/inpaint_demo \\
      --mode=inpaint --input=photos/ --masks=masks/ --output=out/filled   # any size
Without --masks, holes are drawn for each image from --seed (data.mask's kind and
ratios). Mask files have the image's name (any image extension) and are white
where the hole is.

Default: the paper's setting, 512 px crops of `folder:datasets/inpaint_train`
(Places2, CelebA-HQ, ... as you have them; tfds sources work too), a U-Net of
depth 8, batch 6, Adam 2e-4, Liu et al.'s loss weights (valid 1, hole 6,
perceptual 0.05, style 120 each, TV 0.1), plus DeepFill v2's hinge loss at
weight 0.1. Not reproduced: Liu et al.'s second stage (lr 5e-5 with the
encoder's batch norm frozen). Options: demo (48 px crops of scikit-image's
photos, train from each photo's left three quarters, evaluate on its right
quarter; CPU minutes; the U-Net corrects the hole's biharmonic fill,
model.prefill='biharmonic', as 2,000 steps cannot train it from scratch, and
without the style loss), smoke (seconds).
"""

from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('demo', 'smoke'))
  c = config_lib.base_config()
  c.method = 'inpainting'
  c.data.source = 'folder:datasets/inpaint_train'
  c.data.image_size, c.data.channels = 512, 3
  c.data.random_flip = True
  c.data.mask.kind, c.data.mask.min_ratio, c.data.mask.max_ratio = 'mixed', 0.1, 0.5
  c.model.downsamplings = 8                     # 512 -> 2
  c.model.g_width = c.model.d_width = 64
  c.model.d_layers = 6                          # SN-PatchGAN: six 5x5 stride-2 convs
  c.loss.gan_weight = 0.1
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 2e-4, 0.5, 0.999
  c.train.batch_size = 6
  c.train.num_steps = 500_000
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 1000, 20_000, 20_000
  c.train.sample_grid = 16                      # 4 examples: input, output, original, |error|
  c.eval.metrics = ('inpainting',)
  c.eval.main_metric, c.eval.main_mode = 'inpaint_lpips', 'min'
  c.eval.num_samples = 100
  if 'demo' in opts or 'smoke' in opts:
    config_lib.apply_photos(c, 48, 2000)
    c.model.downsamplings = 4                   # 48 -> 3
    c.model.g_width, c.model.d_width = 32, 32
    c.model.d_layers = 4                        # 48 -> 3 x 3 decisions
    c.data.mask.max_ratio = 0.4
    c.train.batch_size = 8
    c.model.prefill = 'biharmonic'              # 2,000 steps, not 10^6: start from the fill
    c.loss.style_weight = 0.0                   # on these smooth crops it pays for texture
                                                # that LPIPS does not reward (RESULTS)
  if 'smoke' in opts:
    config_lib.apply_photos_smoke(c)
    c.model.prefill = 'none'                    # the U-Net alone (the guided one: its tests)
    c.loss.style_weight = 120.0                 # Liu et al.'s, as recorded in fingerprints.json
    c.model.downsamplings = 3
    c.model.d_layers = 3
  return c
