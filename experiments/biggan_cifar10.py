"""BigGAN (Brock et al. 2019) on CIFAR-10 as BigGAN-PyTorch's
scripts/launch_cifar_ema.sh trains it, and a class-conditional digits demo.

  python launch.py --config=experiments/biggan_cifar10.py --workdir=runs/biggan_cifar10
  python launch.py --config=experiments/biggan_cifar10.py --workdir=runs/biggan_cifar10 \\
      --mode=sample --label=3 --num_samples=16 --output=out/cats --config.model.truncation=0.5
  python launch.py --config=experiments/biggan_cifar10.py:digits --workdir=runs/biggan_digits
Options: digits (the embedded digits, 10 classes, 16 px grey, a narrow network:
about 7 minutes on 2 CPU cores), smoke (seconds). Reference figures and protocol:
REPRODUCING.md.
"""

from gan_jax import config as config_lib


def biggan_settings(c):
  """What every BigGAN config shares (BigGAN-PyTorch's defaults)."""
  c.model.generator = c.model.discriminator = 'biggan'
  c.model.conditional = True        # ccbn in G, projection D
  c.loss.adversarial = 'hinge'      # losses.py: loss_hinge_dis / loss_hinge_gen
  for o in (c.optim.g, c.optim.d):
    o.name, o.b1, o.b2, o.eps = 'adam', 0.0, 0.999, 1e-8  # --G_B1/--D_B1 0, B2 0.999
  c.ema.decay = 0.9999              # --ema_decay 0.9999; samples use the EMA (--use_ema)
  c.ema.batch_stats = True          # G_ema's BatchNorm buffers are averaged too (utils.ema)


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('digits', 'smoke'))
  c = config_lib.base_config()
  biggan_settings(c)
  c.data.source = 'tfds:cifar10'
  c.data.image_size, c.data.channels, c.data.num_classes = 32, 3, 10
  c.model.g_width = c.model.d_width = 64  # --G_ch / --D_ch 64 (the default): 256 channels
  c.model.z_dim = 128               # --dim_z 128, not hierarchical, no shared embedding
  c.model.attention = ()            # --G_attn 0 --D_attn 0
  c.model.init = 'N02'              # --G_init N02 --D_init N02
  c.loss.g_ortho = 0.0              # --G_ortho 0.0
  c.train.n_critic = 4              # --num_D_steps 4
  c.optim.g.lr = c.optim.d.lr = 2e-4  # --G_lr 2e-4 --D_lr 2e-4
  c.train.batch_size = 50           # --batch_size 50
  c.ema.start = 1000                # --ema_start 1000
  # The script samples G_ema in training mode (no --G_eval_mode): BatchNorm on the
  # batch's statistics. Ours samples with the averaged running statistics, so a
  # sample does not depend on the others in its batch (one class per batch, say);
  # --config.model.sample_batch_stats=True follows the script.
  # --num_epochs 500: each G step reads 4 x 50 images, 250 steps per epoch.
  config_lib.set_schedule(c, 125_000, log_every=500, checkpoint_every=5000)
  config_lib.apply_inception_eval(c, 50000, 'train', every=5000)  # --test_every 5000
  if 'digits' in opts:
    config_lib.apply_digits(c)
    c.data.num_classes = 10
    c.data.image_size = 16           # G_ARCH[16]: ours, the 32 px pattern with one block fewer
    c.eval.metrics = ('digits_score', 'digits_fd')
    c.eval.every = 500
    c.model.g_width = c.model.d_width = 8    # 32 channels per block: CPU-sized
    c.train.batch_size = 64
    c.ema.decay, c.ema.start = 0.999, 500    # a half-life of 700 steps for a short run
    # One D step per G step at D's rate 4 x G's (SAGAN's TTUR; BigGAN's ImageNet runs
    # keep the 1:4 rates with 2 D steps): 3,000 steps in the conditional DCGAN's wall
    # time, and a lower digits_fd than the CIFAR script's 2 or 4 D steps at equal rates
    # (bench/RESULTS.md, BigGAN).
    c.train.n_critic = 1
    c.optim.g.lr, c.optim.d.lr = 1e-4, 4e-4
    config_lib.set_schedule(c, 3000, log_every=100, checkpoint_every=500)
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.data.image_size = 32           # the smallest BigGAN architecture
    c.ema.start = 2
    if 'digits' in opts:             # the rates and D steps its recorded fingerprint ran
      c.train.n_critic, c.optim.g.lr, c.optim.d.lr = 2, 2e-4, 2e-4
  return c
