"""gan_jax against PyTorch on the same machine, family by family: our jitted
train step (or feature pass) against a PyTorch one written here from the same
specification (same shapes, same optimizer, same batch, same threads).

  python3 bench/compare_torch.py                 # every family below
  python3 bench/compare_torch.py dcgan32 --steps=30

Families:
  dcgan32    DCGAN-32 RGB, width 64, batch 64: one D update (real and fake
             batches through D separately, BCE) and one G update on fresh
             noise, Adam; BatchNorm in train mode (as gan_jax's GAN step).
  inception  FID Inception on 32 x 32 images resized to 299, batch 32, against
             pytorch-fid's InceptionV3 (bench/inception_speed.py).
  cyclegan128  CycleGAN at 128 px, batch 1: resnet_9blocks generators and 70x70
             PatchGANs with instance norm, one update of both G (adversarial
             LSGAN, cycle, identity) then of both D, Adam; the official code's
             networks (parameter counts checked equal) and order. PyTorch
             reuses the step's fakes for D (the image pool's draw is ours only).

Prints ms per step (median of --steps after warm-up; Inception: best of
--repeats, as images/s) for both and the ratio torch time / ours (> 1: we are
faster). PyTorch runs with as many threads as the machine has cores.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'bench'))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import jax  # noqa: E402
import numpy as np  # noqa: E402

import inception_speed  # noqa: E402  (bench/)
from timing import median_ms  # noqa: E402  (bench/)
from train_step_speed import time_step  # noqa: E402  (bench/)


def ours_dcgan_counts(size: int, width: int):
  from gan_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  from gan_jax.data.base import DataInfo  # pylint: disable=g-import-not-at-top
  from gan_jax.inference import count_params  # pylint: disable=g-import-not-at-top
  from gan_jax.methods.gan import GAN  # pylint: disable=g-import-not-at-top
  c = config_lib.base_config()
  c.data.image_size, c.data.channels = size, 3
  c.model.g_width = c.model.d_width = width
  state = GAN(c, DataInfo((size, size, 3), 0)).init(jax.random.PRNGKey(0))
  return [count_params(state.g.params), count_params(state.d.params)]


def torch_dcgan_step_ms(size: int, batch: int, width: int, steps: int) -> float:
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  k = {16: 2, 32: 3, 64: 4}[size]
  feats = width * 2 ** (k - 1)
  g_layers = [nn.Unflatten(1, (feats, 4, 4))]
  for i in range(k):
    out = 3 if i == k - 1 else feats // 2
    g_layers += [nn.BatchNorm2d(feats), nn.ReLU(),
                 nn.ConvTranspose2d(feats, out, 4, 2, 1, bias=False)]
    feats = out
  g = nn.Sequential(nn.Linear(100, width * 2 ** (k - 1) * 16, bias=False), *g_layers, nn.Tanh())
  d_layers, c = [], 3
  for i in range(k):
    d_layers.append(nn.Conv2d(c, width * 2 ** i, 4, 2, 1, bias=False))
    if i > 0:
      d_layers.append(nn.BatchNorm2d(width * 2 ** i))
    d_layers.append(nn.LeakyReLU(0.2))
    c = width * 2 ** i
  d = nn.Sequential(*d_layers, nn.Conv2d(c, 1, 4, 1, 0, bias=False), nn.Flatten())
  counts = [sum(p.numel() for p in n.parameters()) for n in (g, d)]
  if counts != ours_dcgan_counts(size, width):
    raise AssertionError(f'the PyTorch DCGAN {counts} is not ours {ours_dcgan_counts(size, width)}')
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  bce = nn.BCEWithLogitsLoss()
  real = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (batch, 3, size, size))
                          .astype(np.float32))
  ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

  def step():
    with torch.no_grad():
      fake = g(torch.randn(batch, 100))
    opt_d.zero_grad(set_to_none=True)
    loss_d = bce(d(real), ones) + bce(d(fake), zeros)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    loss_g = bce(d(g(torch.randn(batch, 100))), ones)
    loss_g.backward()
    opt_g.step()
  return median_ms(step, steps)


def dcgan32(args):
  ours = time_step(32, 3, 64, args.steps, 64)
  theirs = torch_dcgan_step_ms(32, 64, 64, args.steps)
  return 'DCGAN-32 train step, batch 64', f'{ours:.1f} ms', f'{theirs:.1f} ms', theirs / ours


def inception(args):
  ours, theirs = inception_speed.measure(32, 32, args.repeats)
  if theirs is None:
    return 'FID Inception 32 -> 299, batch 32', f'{ours:.1f} img/s', 'not installed', float('nan')
  return 'FID Inception 32 -> 299, batch 32', f'{ours:.1f} img/s', f'{theirs:.1f} img/s', \
      ours / theirs


def torch_cyclegan_step_ms(size: int, steps: int) -> float:
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  norm = lambda c: nn.InstanceNorm2d(c, affine=False)

  class Block(nn.Module):
    def __init__(self, c):
      super().__init__()
      self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3, bias=True), norm(c),
                                nn.ReLU(True), nn.ReflectionPad2d(1),
                                nn.Conv2d(c, c, 3, bias=True), norm(c))

    def forward(self, x):
      return x + self.body(x)

  def generator():  # ResnetGenerator(3, 3, 64, instance norm, 9 blocks)
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, 64, 7, bias=True), norm(64), nn.ReLU(True)]
    for c in (64, 128):
      layers += [nn.Conv2d(c, 2 * c, 3, 2, 1, bias=True), norm(2 * c), nn.ReLU(True)]
    layers += [Block(256) for _ in range(9)]
    for c in (256, 128):
      layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1, bias=True),
                 norm(c // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(64, 3, 7), nn.Tanh()]
    return nn.Sequential(*layers)

  def discriminator():  # NLayerDiscriminator(3, 64, n_layers=3, instance norm)
    layers = [nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    for i, (cin, cout) in enumerate(((64, 128), (128, 256), (256, 512))):
      layers += [nn.Conv2d(cin, cout, 4, 2 if i < 2 else 1, 1, bias=True), norm(cout),
                 nn.LeakyReLU(0.2, True)]
    return nn.Sequential(*layers, nn.Conv2d(512, 1, 4, 1, 1))

  g_ab, g_ba, d_a, d_b = generator(), generator(), discriminator(), discriminator()
  counts = [sum(p.numel() for p in n.parameters()) for n in (g_ab, d_a)]
  if counts != [11_378_179, 2_764_737]:
    raise AssertionError(f'the PyTorch CycleGAN networks have {counts} parameters')
  opt_g = torch.optim.Adam([*g_ab.parameters(), *g_ba.parameters()], 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], 2e-4, betas=(0.5, 0.999))
  mse, l1 = nn.MSELoss(), nn.L1Loss()
  real_a, real_b = torch.rand(1, 3, size, size) * 2 - 1, torch.rand(1, 3, size, size) * 2 - 1

  def step():
    for p in [*d_a.parameters(), *d_b.parameters()]:
      p.requires_grad_(False)
    opt_g.zero_grad(set_to_none=True)
    fake_b, fake_a = g_ab(real_a), g_ba(real_b)
    pred_b, pred_a = d_b(fake_b), d_a(fake_a)
    loss_g = (mse(pred_b, torch.ones_like(pred_b)) + mse(pred_a, torch.ones_like(pred_a))
              + 10 * (l1(g_ba(fake_b), real_a) + l1(g_ab(fake_a), real_b))
              + 5 * (l1(g_ab(real_b), real_b) + l1(g_ba(real_a), real_a)))
    loss_g.backward()
    opt_g.step()
    for p in [*d_a.parameters(), *d_b.parameters()]:
      p.requires_grad_(True)
    opt_d.zero_grad(set_to_none=True)
    loss_d = 0.0
    for d, real, fake in ((d_b, real_b, fake_b), (d_a, real_a, fake_a)):
      pr, pf = d(real), d(fake.detach())
      loss_d = loss_d + 0.5 * (mse(pr, torch.ones_like(pr)) + mse(pf, torch.zeros_like(pf)))
    loss_d.backward()
    opt_d.step()
  return median_ms(step, steps, warmup=2)


def ours_cyclegan_step_ms(size: int, steps: int) -> float:
  from gan_jax.data.base import DataInfo  # pylint: disable=g-import-not-at-top
  from gan_jax.methods.registry import METHODS  # pylint: disable=g-import-not-at-top
  from gan_jax.sweep import load_experiment  # pylint: disable=g-import-not-at-top
  module, _ = load_experiment(os.path.join(ROOT, 'experiments', 'cyclegan.py'))
  c = module.get_config(None)
  c.data.image_size = size
  method = METHODS.get(c.method)(c, DataInfo((size, size, 3), 0, 1000))
  state = method.init(jax.random.PRNGKey(0))
  rng = np.random.default_rng(0)
  batch = {k: jax.numpy.asarray(rng.uniform(-1, 1, v.shape).astype(v.dtype)
                                if k.startswith('image') else np.zeros(v.shape, v.dtype))
           for k, v in method.train_batch_shapes().items()}
  step = jax.jit(method.train_step, donate_argnums=(0,))
  box = [state]

  def run():
    box[0], m = step(box[0], batch)
    jax.block_until_ready(m)
  return median_ms(run, steps, warmup=2)


def cyclegan128(args):
  steps = max(3, args.steps // 4)
  ours, theirs = ours_cyclegan_step_ms(128, steps), torch_cyclegan_step_ms(128, steps)
  return 'CycleGAN-128 train step, batch 1', f'{ours:.0f} ms', f'{theirs:.0f} ms', theirs / ours


FAMILIES = {'dcgan32': dcgan32, 'inception': inception, 'cyclegan128': cyclegan128}


def main():
  p = argparse.ArgumentParser()
  p.add_argument('families', nargs='*', default=list(FAMILIES), help=', '.join(FAMILIES))
  p.add_argument('--steps', type=int, default=20)
  p.add_argument('--repeats', type=int, default=3)
  args = p.parse_args()
  import torch  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(os.cpu_count())
  dev = jax.devices()[0]
  print(f'machine: {os.cpu_count()} cores; jax {jax.__version__} on {dev.platform} '
        f'{getattr(dev, "device_kind", "")}; torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads')
  print('| family | gan_jax | PyTorch | ratio (> 1: gan_jax faster) |')
  print('|---|---|---|---|')
  for name in args.families:
    what, ours, theirs, ratio = FAMILIES[name](args)
    print(f'| {what} | {ours} | {theirs} | {ratio:.2f} |', flush=True)


if __name__ == '__main__':
  main()
