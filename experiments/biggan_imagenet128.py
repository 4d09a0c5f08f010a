"""BigGAN (Brock et al. 2019) on ImageNet at 128x128, as BigGAN-PyTorch's
scripts/launch_BigGAN_bs256x8.sh: width 96, hierarchical z of 120 in six
chunks, a shared class embedding of 128, self-attention at 64 px in G and D,
orthogonal init; G 70,433,988 and D 87,982,370 parameters.

  python launch.py --config=experiments/biggan_imagenet128.py --workdir=runs/biggan_in128
  python launch.py --config=experiments/biggan_imagenet128.py \\
      --config.data.source=folder:/data/imagenet/train --workdir=runs/biggan_in128

Data: tfds imagenet2012 (prepared by the user from the downloaded archives), or
a folder with one subfolder per class. The reference's batch is 256 per
accumulation x 8 accumulations = 2048; we take 2048 as one global batch over
all devices (cross-replica BatchNorm: statistics over all 2048, the reference's
over each 256). Options: smoke (seconds).
"""

from experiments.biggan_cifar10 import biggan_settings
from gan_jax import config as config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('smoke',))
  c = config_lib.base_config()
  biggan_settings(c)
  c.data.source = 'tfds:imagenet2012'
  c.data.image_size, c.data.channels, c.data.num_classes = 128, 3, 1000
  c.model.g_width = c.model.d_width = 96  # --G_ch 96 --D_ch 96
  c.model.z_dim = 120                # --dim_z 120 --hier: six chunks of 20
  c.model.hierarchical = True
  c.model.shared_dim = 128           # --G_shared --shared_dim 128
  c.model.attention = (64,)          # --G_attn 64 --D_attn 64
  c.model.init = 'ortho'             # --G_init ortho --D_init ortho
  c.loss.g_ortho = 1e-4              # the paper's sec. 3.1 (beta 1e-4); the script's --G_ortho
                                     # is 0.0: set --config.loss.g_ortho=0 to follow it
  c.train.n_critic = 1               # --num_D_steps 1
  c.optim.g.lr, c.optim.d.lr = 1e-4, 4e-4  # --G_lr 1e-4 --D_lr 4e-4
  for o in (c.optim.g, c.optim.d):
    o.eps = 1e-6                     # --adam_eps 1e-6
  c.train.batch_size = 2048          # --batch_size 256 x --num_{G,D}_accumulations 8
  c.ema.start = 20_000               # --ema_start 20000
  # The README: 150k iterations in 15 days on 8 V100s.
  config_lib.set_schedule(c, 150_000, log_every=500, checkpoint_every=1000)
  config_lib.apply_inception_eval(c, 50000, 'train', every=2000)  # --test_every 2000
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.data.source = 'embedded:digits'
    c.data.channels, c.data.num_classes = 1, 10
    c.data.image_size = 32           # the smallest BigGAN architecture
    c.model.shared_dim = 8
    c.model.z_dim = 12               # four chunks at 32 px (three blocks + the input)
    c.model.attention = (16,)
    c.ema.start = 2
  return c
