"""PacGAN (Lin et al. 2018) on stacked digits: the image-side mode-collapse test
of its Table 2, on embedded data.

  python launch.py --config=experiments/pacgan_stacked_digits.py --workdir=runs/stacked_dcgan
  python launch.py --config=experiments/pacgan_stacked_digits.py:pack2 --workdir=runs/stacked_pac2
Options: pack2, pack3, pack4 (PacDCGAN2-4; none: the DCGAN row); smoke.

Data: embedded:stacked_digits, three random embedded digits as the three
channels of a 16 x 16 image (1,000 modes; 128,000 training images as PacGAN's).
Metric (stacked_digits): each channel read by the calibrated digits classifier,
modes = distinct triples among 26,000 samples, reverse KL of their histogram
to uniform, beside the same figures on 26,000 held-out real stacked digits.

As fjxmlzn/PacGAN stacked_MNIST_experiments/VEEGAN_experiment (config.py,
model.py, itself DCGAN-tensorflow): DCGAN G and D of width 64 with BatchNorm,
non-saturating loss, Adam 2e-4 (0.5, 0.999), batch 64 packed rows (64 m
samples, G called once per packing slot), two G updates per D update, samples
scored with G's running BatchNorm statistics.

Departures: 16 x 16 images of the 8 x 8 digits (theirs 28 x 28 MNIST), so
three conv layers in G and D instead of four; 15,000 steps (theirs 50 epochs,
100,000 steps); z ~ N(0, I) (theirs U(-1, 1)); each G update draws fresh
noise (theirs reuses the D step's). The numbers are not MNIST's: the
comparison DCGAN against PacDCGAN is.
"""

from gan_jax import config as config_lib
from experiments.dcgan_mnist import dcgan_paper_settings


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('pack2', 'pack3', 'pack4', 'smoke'))
  m = next((int(o[-1]) for o in opts if o.startswith('pack')), 1)
  c = config_lib.base_config()
  dcgan_paper_settings(c)
  c.data.source = 'embedded:stacked_digits'
  c.data.image_size, c.data.channels = 16, 3
  c.model.packing = m
  c.model.sample_batch_stats = False  # their sampler: BatchNorm with running statistics
  c.train.batch_size = 64 * m         # 64 packed rows
  c.train.g_steps = 2                 # DCGAN-tensorflow: "run g_optim twice"
  config_lib.set_schedule(c, 15000, log_every=500, checkpoint_every=2500)
  c.eval.every = 5000
  c.eval.metrics = ('stacked_digits',)
  c.eval.main_metric, c.eval.main_mode = 'stacked_digits_confident_modes', 'max'
  c.eval.num_samples = 26000          # PacGAN's num_test_sample
  c.eval.batch_size = 1000
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.train.batch_size = 8 * m
    c.eval.num_samples = 64
  return c
