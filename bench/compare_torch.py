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
  cyclegan256  the same at 256 px (the official training size).
  pix2pix    unet_256 with batch norm and dropout, 70x70 PatchGAN on (A, B), batch
             1: one D update (real and fake pairs, BCE), then G (BCE + 100 L1).
  sngan32    SNGAN-32 ResNets (G width 256, D width 128, spectral norm with one
             power iteration per call in D), hinge loss, Adam (0, 0.9), batch 64:
             one step = 5 D updates on their own real batches, then one G update.
  vgg16      VGG16 features to relu5_3, batch 8 at 224 (bench/vgg_speed.py),
             against torchvision's in its faster memory layout.

Prints ms per step (median of --steps after warm-up; Inception and VGG16: best
of --repeats, as images/s) for both, the ratio torch time / ours (> 1: we
are faster), and our rate in real images per second and seconds per thousand
(kimg, as StyleGAN reports training speed). PyTorch runs with as many threads
as the machine has cores.
--device=cuda runs PyTorch on the GPU (jax uses its default backend, so install
jax[cuda]); --batch_scale multiplies the batches of dcgan32, sngan32, inception
and vgg16 (GPU-sized batches; the translation models keep the official batch 1).
Every PyTorch network's parameter count is checked equal to ours first.
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
import vgg_speed  # noqa: E402  (bench/)
from timing import median_ms  # noqa: E402  (bench/)

DEVICE = 'cpu'  # PyTorch's device (--device)


def torch_ms(step, steps, warmup=3):
  """median_ms of a PyTorch step, waiting for the GPU when there is one."""
  import torch  # pylint: disable=g-import-not-at-top

  def synced():
    step()
    if DEVICE != 'cpu':
      torch.cuda.synchronize()
  return median_ms(synced, steps, warmup)


def check_counts(what, nets, expected):
  counts = [sum(p.numel() for p in n.parameters()) for n in nets]
  if counts != list(expected):
    raise AssertionError(f'the PyTorch {what} networks have {counts} parameters, ours {expected}')


def counts_of(state):
  """[G, D] parameter counts of a method's state."""
  from gan_jax.inference import count_params  # pylint: disable=g-import-not-at-top
  return [count_params(state.g.params), count_params(state.d.params)]


class OursStep:
  """A method's jitted train step on random batches of its shapes, run in place
  (the state donated as in training); `hlo()` is the compiled program's text."""

  def __init__(self, c, size: int, channels: int = 3):
    from gan_jax.data.base import DataInfo  # pylint: disable=g-import-not-at-top
    from gan_jax.methods.registry import METHODS  # pylint: disable=g-import-not-at-top
    method = METHODS.get(c.method)(c, DataInfo((size, size, channels), 0, 1000))
    self.state = method.init(jax.random.PRNGKey(0))
    self.counts = counts_of(self.state)
    rng = np.random.default_rng(0)
    self.batch = {k: jax.numpy.asarray(rng.uniform(-1, 1, v.shape).astype(v.dtype)
                                       if k.startswith('image') else np.zeros(v.shape, v.dtype))
                  for k, v in method.train_batch_shapes().items()}
    self.step = jax.jit(method.train_step, donate_argnums=(0,))

  def __call__(self):
    self.state, m = self.step(self.state, self.batch)
    jax.block_until_ready(m)

  def hlo(self) -> str:
    return self.step.lower(self.state, self.batch).compile().as_text()


def experiment_config(name: str, arg=None):
  from gan_jax.sweep import load_experiment  # pylint: disable=g-import-not-at-top
  module, _ = load_experiment(os.path.join(ROOT, 'experiments', name + '.py'))
  return module.get_config(arg)


def ours_dcgan_step(size: int, batch: int, width: int) -> OursStep:
  from gan_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  c = config_lib.base_config()
  c.data.image_size, c.data.channels = size, 3
  c.model.g_width = c.model.d_width = width
  c.train.batch_size = batch
  return OursStep(c, size)


def torch_dcgan_step(size: int, batch: int, width: int, counts):
  """One DCGAN train step in PyTorch as a closure; its networks' parameter
  counts must equal `counts` (ours)."""
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
  check_counts('DCGAN', (g, d), counts)
  g, d = g.to(DEVICE), d.to(DEVICE)
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  bce = nn.BCEWithLogitsLoss()
  real = torch.rand(batch, 3, size, size, device=DEVICE) * 2 - 1
  ones, zeros = torch.ones(batch, 1, device=DEVICE), torch.zeros(batch, 1, device=DEVICE)

  def step():
    with torch.no_grad():
      fake = g(torch.randn(batch, 100, device=DEVICE))
    opt_d.zero_grad(set_to_none=True)
    loss_d = bce(d(real), ones) + bce(d(fake), zeros)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    loss_g = bce(d(g(torch.randn(batch, 100, device=DEVICE))), ones)
    loss_g.backward()
    opt_g.step()
  return step


def dcgan32(args):
  b = 64 * args.batch_scale
  ours = ours_dcgan_step(32, b, 64)
  theirs = torch_ms(torch_dcgan_step(32, b, 64, ours.counts), args.steps)
  ours = median_ms(ours, args.steps)
  return f'DCGAN-32 train step, batch {b}', f'{ours:.1f} ms', f'{theirs:.1f} ms', theirs / ours, \
      1000 * b / ours


def inception(args):
  b = 32 * args.batch_scale
  ours, theirs = inception_speed.measure(b, 32, args.repeats, DEVICE)
  what = f'FID Inception 32 -> 299, batch {b}'
  if theirs is None:
    return what, f'{ours:.1f} img/s', 'not installed', float('nan'), ours
  return what, f'{ours:.1f} img/s', f'{theirs:.1f} img/s', ours / theirs, ours


def vgg16(args):
  b = 8 * args.batch_scale
  ours, theirs = vgg_speed.features_rates(b, 224, args.repeats, DEVICE)
  label, best = max(theirs.items(), key=lambda kv: kv[1])
  return (f'VGG16 features to relu5_3, batch {b} at 224', f'{ours:.2f} img/s',
          f'{best:.2f} img/s ({label})', ours / best, ours)


def torch_patchgan(nn, cin, norm, bias):
  """NLayerDiscriminator(cin, 64, n_layers=3): the 70x70 PatchGAN."""
  layers = [nn.Conv2d(cin, 64, 4, 2, 1), nn.LeakyReLU(0.2, True)]
  for i, (a, b) in enumerate(((64, 128), (128, 256), (256, 512))):
    layers += [nn.Conv2d(a, b, 4, 2 if i < 2 else 1, 1, bias=bias), norm(b),
               nn.LeakyReLU(0.2, True)]
  return nn.Sequential(*layers, nn.Conv2d(512, 1, 4, 1, 1))


def torch_cyclegan_step(size: int):
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

  g_ab, g_ba = generator(), generator()
  d_a, d_b = torch_patchgan(nn, 3, norm, True), torch_patchgan(nn, 3, norm, True)
  check_counts('CycleGAN', (g_ab, d_a), (11_378_179, 2_764_737))
  g_ab, g_ba, d_a, d_b = (n.to(DEVICE) for n in (g_ab, g_ba, d_a, d_b))
  opt_g = torch.optim.Adam([*g_ab.parameters(), *g_ba.parameters()], 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], 2e-4, betas=(0.5, 0.999))
  mse, l1 = nn.MSELoss(), nn.L1Loss()
  real_a, real_b = (torch.rand(1, 3, size, size, device=DEVICE) * 2 - 1 for _ in range(2))

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
  return step


def cyclegan(size: int):
  def family(args):
    steps = max(3, args.steps // (4 if size <= 128 else 8))
    c = experiment_config('cyclegan')
    c.data.image_size = size
    ours = median_ms(OursStep(c, size), steps, warmup=2)
    theirs = torch_ms(torch_cyclegan_step(size), steps, warmup=2)
    return f'CycleGAN-{size} train step, batch 1', f'{ours:.0f} ms', f'{theirs:.0f} ms', \
        theirs / ours, 1000 / ours
  return family


def torch_pix2pix_step(counts):
  """The official pix2pix: UnetGenerator(3, 3, 8, 64, BatchNorm2d, use_dropout=True)
  and NLayerDiscriminator(6, 64, 3, BatchNorm2d); BCE, lambda_L1 100."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top

  class Skip(nn.Module):  # UnetSkipConnectionBlock, batch norm (so convs without bias)
    def __init__(self, outer, inner, sub=None, cin=None, outermost=False, dropout=False):
      super().__init__()
      cin = cin or outer
      down = nn.Conv2d(cin, inner, 4, 2, 1, bias=False)
      self.outermost = outermost
      if outermost:
        layers = [down, sub, nn.ReLU(True), nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1),
                  nn.Tanh()]
      elif sub is None:  # innermost
        layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True),
                  nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
      else:
        layers = [nn.LeakyReLU(0.2, True), down, nn.BatchNorm2d(inner), sub, nn.ReLU(True),
                  nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1, bias=False),
                  nn.BatchNorm2d(outer)] + ([nn.Dropout(0.5)] if dropout else [])
      self.model = nn.Sequential(*layers)

    def forward(self, x):
      return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)

  block = Skip(512, 512)
  for _ in range(3):
    block = Skip(512, 512, block, dropout=True)
  for outer in (256, 128, 64):
    block = Skip(outer, 2 * outer, block)
  g = Skip(3, 64, block, cin=3, outermost=True)
  d = torch_patchgan(nn, 6, nn.BatchNorm2d, False)
  check_counts('pix2pix', (g, d), counts)
  g, d = g.to(DEVICE), d.to(DEVICE)
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
  a, b = (torch.rand(1, 3, 256, 256, device=DEVICE) * 2 - 1 for _ in range(2))

  def step():  # the official optimize_parameters: D on G(A) detached, then G
    fake = g(a)
    opt_d.zero_grad(set_to_none=True)
    pf, pr = d(torch.cat([a, fake.detach()], 1)), d(torch.cat([a, b], 1))
    (0.5 * (bce(pf, torch.zeros_like(pf)) + bce(pr, torch.ones_like(pr)))).backward()
    opt_d.step()
    for p in d.parameters():
      p.requires_grad_(False)
    opt_g.zero_grad(set_to_none=True)
    pf = d(torch.cat([a, fake], 1))
    (bce(pf, torch.ones_like(pf)) + 100 * l1(fake, b)).backward()
    opt_g.step()
    for p in d.parameters():
      p.requires_grad_(True)
  return step


def pix2pix(args):
  steps = max(3, args.steps // 4)
  ours = OursStep(experiment_config('pix2pix'), 256)
  theirs = torch_ms(torch_pix2pix_step(ours.counts), steps, warmup=2)
  ours = median_ms(ours, steps, warmup=2)
  return 'pix2pix unet_256 train step, batch 1', f'{ours:.0f} ms', f'{theirs:.0f} ms', \
      theirs / ours, 1000 / ours


def torch_sngan_step(batch: int, n_dis: int, counts):
  """Mimicry's SNGAN-32 (sngan_32.py, resblocks.py): bilinear upsampling in G,
  spectral norm (one power iteration per call) on every layer of D, sum pooling."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  from torch.nn.functional import avg_pool2d, interpolate, relu  # pylint: disable=g-import-not-at-top
  sn = nn.utils.spectral_norm
  up = lambda x: interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)

  class GBlock(nn.Module):
    def __init__(self, c):
      super().__init__()
      self.b1, self.c1, self.b2, self.c2 = (nn.BatchNorm2d(c), nn.Conv2d(c, c, 3, 1, 1),
                                            nn.BatchNorm2d(c), nn.Conv2d(c, c, 3, 1, 1))
      self.sc = nn.Conv2d(c, c, 1)

    def forward(self, x):
      h = self.c2(relu(self.b2(self.c1(up(relu(self.b1(x)))))))
      return h + self.sc(up(x))

  class DBlock(nn.Module):
    def __init__(self, cin, c, down, optimized=False):
      super().__init__()
      self.c1, self.c2 = sn(nn.Conv2d(cin, c, 3, 1, 1)), sn(nn.Conv2d(c, c, 3, 1, 1))
      self.sc = sn(nn.Conv2d(cin, c, 1)) if optimized or down or cin != c else None
      self.down, self.optimized = down, optimized

    def forward(self, x):
      h = self.c2(relu(self.c1(x if self.optimized else relu(x))))
      h = avg_pool2d(h, 2) if self.down else h
      if self.optimized:
        return h + self.sc(avg_pool2d(x, 2))
      sc = x if self.sc is None else self.sc(x)
      return h + (avg_pool2d(sc, 2) if self.down else sc)

  class G(nn.Module):
    def __init__(self):
      super().__init__()
      self.l1 = nn.Linear(128, 4 * 4 * 256)
      self.blocks = nn.Sequential(*[GBlock(256) for _ in range(3)])
      self.b, self.c = nn.BatchNorm2d(256), nn.Conv2d(256, 3, 3, 1, 1)

    def forward(self, z):
      h = self.blocks(self.l1(z).view(-1, 256, 4, 4))
      return torch.tanh(self.c(relu(self.b(h))))

  class D(nn.Module):
    def __init__(self):
      super().__init__()
      self.blocks = nn.Sequential(DBlock(3, 128, True, True), DBlock(128, 128, True),
                                  DBlock(128, 128, False), DBlock(128, 128, False))
      self.l = sn(nn.Linear(128, 1))

    def forward(self, x):
      return self.l(relu(self.blocks(x)).sum(dim=(2, 3)))

  g, d = G(), D()
  check_counts('SNGAN', (g, d), counts)
  g, d = g.to(DEVICE), d.to(DEVICE)
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.0, 0.9))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.0, 0.9))
  reals = [torch.rand(batch, 3, 32, 32, device=DEVICE) * 2 - 1 for _ in range(n_dis)]

  def step():
    for real in reals:
      with torch.no_grad():
        fake = g(torch.randn(batch, 128, device=DEVICE))
      opt_d.zero_grad(set_to_none=True)
      (relu(1 - d(real)).mean() + relu(1 + d(fake)).mean()).backward()
      opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    (-d(g(torch.randn(batch, 128, device=DEVICE))).mean()).backward()
    opt_g.step()
  return step


def sngan32(args):
  b = 64 * args.batch_scale
  c = experiment_config('sngan_cifar10')
  c.train.batch_size = b
  ours = OursStep(c, 32)
  theirs = torch_ms(torch_sngan_step(b, c.train.n_critic, ours.counts), args.steps)
  ours = median_ms(ours, args.steps)
  return f'SNGAN-32 train step (5 D + 1 G updates), batch {b}', f'{ours:.0f} ms', \
      f'{theirs:.0f} ms', theirs / ours, 1000 * 5 * b / ours


FAMILIES = {'dcgan32': dcgan32, 'inception': inception, 'cyclegan128': cyclegan(128),
            'cyclegan256': cyclegan(256), 'pix2pix': pix2pix, 'sngan32': sngan32, 'vgg16': vgg16}


def main():
  p = argparse.ArgumentParser()
  p.add_argument('families', nargs='*', default=list(FAMILIES), help=', '.join(FAMILIES))
  p.add_argument('--steps', type=int, default=20)
  p.add_argument('--repeats', type=int, default=3)
  p.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
  p.add_argument('--batch_scale', type=int, default=1)
  args = p.parse_args()
  unknown = sorted(set(args.families) - set(FAMILIES))
  if unknown:
    p.error(f'unknown families {unknown}; known: {", ".join(FAMILIES)}')
  import torch  # pylint: disable=g-import-not-at-top
  global DEVICE
  DEVICE = args.device
  if DEVICE == 'cuda' and not torch.cuda.is_available():
    p.error('--device=cuda: PyTorch sees no GPU')
  if DEVICE == 'cuda' and jax.default_backend() != 'gpu':
    p.error(f'--device=cuda: jax runs on {jax.default_backend()}; install jax[cuda]')
  torch.set_num_threads(os.cpu_count())
  dev = jax.devices()[0]
  print(f'machine: {os.cpu_count()} cores; jax {jax.__version__} on {dev.platform} '
        f'{getattr(dev, "device_kind", "")}; torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads' +
        (f', on {torch.cuda.get_device_name()}' if DEVICE == 'cuda' else ''))
  print('| family | gan_jax | PyTorch | ratio (> 1: gan_jax faster) | gan_jax images/s '
        '| gan_jax s/kimg |')
  print('|---|---|---|---|---|---|')
  for name in args.families:
    what, ours, theirs, ratio, rate = FAMILIES[name](args)
    print(f'| {what} | {ours} | {theirs} | {ratio:.2f} | {rate:.1f} | {1000 / rate:.2f} |',
          flush=True)


if __name__ == '__main__':
  main()
