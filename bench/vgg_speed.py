"""VGG speed: our Flax VGG16 feature extraction (jitted) against torchvision's,
and one Gatys style-transfer Adam step (VGG19, 256 px) against the same step
written in PyTorch, on the same machine with the same seeded random weights
(speed does not depend on the values; the real ones are not downloadable here).

  python3 bench/vgg_speed.py [--batch=8] [--size=224] [--gatys_size=256] [--repeats=5] [--steps=8]

Features: relu5_3 (conv1_1 ... relu5_3, no pool5) of a batch, best of
`repeats`. Gatys step: the default layers of gan_jax.stylize (content relu4_2,
style relu1_1 ... relu5_1, average pooling, TV), forward + backward + Adam
update + clip, best of `steps` steps after the first; ours is timed through
stylize()'s progress callback, so it includes the loop's host work. PyTorch
runs with torch.set_num_threads(--threads, default 2), its VGG weights frozen
(no weight gradients, as ours), in both memory layouts (NCHW and
channels_last, usually faster on CPU); the ratio is against its faster one.
Best-of timings because the machines are shared: a busy neighbour slows
PyTorch's OpenMP threads far more than it slows XLA's thread pool.
"""

import argparse
import inspect
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from gan_jax import stylize  # noqa: E402
from gan_jax.models import vgg  # noqa: E402
from timing import best_rate  # noqa: E402  (bench/timing.py)


LAYOUTS = []  # (label, torch memory format), filled once torch is imported


def ours_gatys_step(params, content, style, steps):
  """(best seconds per step, first loss)."""
  stamps = []
  _, losses = stylize.stylize(content, style, params, steps=steps + 1, optimizer='adam',
                              callback=lambda i, loss, x: stamps.append(time.perf_counter()))
  return float(np.min(np.diff(stamps))), float(losses[0])


def torch_gatys_step(torch, features, content, style, steps, fmt):
  """The same objective as gan_jax.stylize with its defaults, in PyTorch;
  (best seconds per step, first loss)."""
  defaults = {k: v.default for k, v in inspect.signature(stylize.stylize).parameters.items()}
  content_layers, style_layers = stylize.CONTENT_LAYERS, stylize.STYLE_LAYERS
  names = vgg.layer_names('vgg19')
  depth = max(names.index(n) for n in content_layers + style_layers) + 1
  mods = [torch.nn.AvgPool2d(2, 2) if isinstance(m, torch.nn.MaxPool2d) else m
          for m in list(features)[:depth]]
  for m in mods:
    m.to(memory_format=fmt)
    if isinstance(m, torch.nn.ReLU):
      m.inplace = False
    for w in m.parameters():
      w.requires_grad_(False)
  mean = torch.tensor(vgg.IMAGENET_MEAN).view(1, 3, 1, 1)
  std = torch.tensor(vgg.IMAGENET_STD).view(1, 3, 1, 1)

  def feats(x):
    h, out = (x - mean) / std, {}
    for name, m in zip(names, mods):
      h = m(h)
      out[name] = h
    return out

  def gram(f):
    b, c, h, w = f.shape
    f = f.reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)

  def to_t(a):
    return torch.from_numpy(a[None]).permute(0, 3, 1, 2).contiguous(memory_format=fmt)

  with torch.no_grad():
    c_t = {n: feats(to_t(content))[n] for n in content_layers}
    s_t = {n: gram(feats(to_t(style))[n]) for n in style_layers}
  x = to_t(content).clone().requires_grad_(True)
  opt = torch.optim.Adam([x], lr=0.02)
  stamps = []
  first = None
  for _ in range(steps + 1):
    opt.zero_grad()
    f = feats(x)
    loss = defaults['content_weight'] * sum(torch.mean((f[n] - c_t[n]) ** 2)
                                            for n in content_layers)
    loss = loss + defaults['style_weight'] * sum(
        torch.sum((gram(f[n]) - s_t[n]) ** 2) / len(style_layers) for n in style_layers)
    tv = (torch.sum((x[:, :, 1:] - x[:, :, :-1]) ** 2) + torch.sum((x[..., 1:] - x[..., :-1]) ** 2))
    loss = loss + defaults['tv_weight'] * tv
    loss.backward()
    opt.step()
    with torch.no_grad():
      x.clamp_(0, 1)
    first = float(loss.detach()) if first is None else first
    stamps.append(time.perf_counter())
  return float(np.min(np.diff(stamps))), first


def features_rates(batch, size, repeats, device='cpu'):
  """VGG16 features to relu5_3 on the same seeded weights and images: (ours in
  images/s, {PyTorch layout: images/s}), PyTorch on `device` (cpu or cuda)."""
  import torch  # pylint: disable=g-import-not-at-top
  import torchvision  # pylint: disable=g-import-not-at-top
  torch.manual_seed(0)
  net16 = torchvision.models.vgg16(weights=None).eval()
  params16 = jax.device_put(vgg.from_torch_state_dict(net16.state_dict()))
  images = np.random.default_rng(0).uniform(0, 1, (batch, size, size, 3)).astype(np.float32)
  fn = jax.jit(lambda p, x: vgg.features(p, x, ('relu5_3',))['relu5_3'])
  x = jnp.asarray(images)
  ours = best_rate(lambda: fn(params16, x).block_until_ready(), batch, repeats)
  trunk = net16.features[:30].to(device)  # conv1_1 ... relu5_3
  normed = (images - np.float32(vgg.IMAGENET_MEAN)) / np.float32(vgg.IMAGENET_STD)
  theirs = {}
  for label, fmt in (('NCHW', torch.contiguous_format), ('channels_last', torch.channels_last)):
    trunk.to(memory_format=fmt)
    xt = torch.from_numpy(normed).permute(0, 3, 1, 2).to(device).contiguous(memory_format=fmt)

    def run():
      trunk(xt)  # noqa: B023
      if device != 'cpu':
        torch.cuda.synchronize()
    with torch.no_grad():
      theirs[label] = best_rate(run, batch, repeats)
  return ours, theirs


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--batch', type=int, default=8)
  p.add_argument('--size', type=int, default=224)
  p.add_argument('--gatys_size', type=int, default=256)
  p.add_argument('--repeats', type=int, default=5)
  p.add_argument('--steps', type=int, default=8)
  p.add_argument('--threads', type=int, default=2)
  a = p.parse_args()
  import torch  # pylint: disable=g-import-not-at-top
  import torchvision  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(a.threads)
  LAYOUTS[:] = [('NCHW', torch.contiguous_format), ('channels_last', torch.channels_last)]
  print(f'device: {jax.devices()[0].device_kind}; jax {jax.__version__}, torch {torch.__version__} '
        f'({torch.get_num_threads()} threads), {os.cpu_count()} CPUs')

  ours, theirs = features_rates(a.batch, a.size, a.repeats)
  best = max(theirs.values())
  print(f'VGG16 features to relu5_3, batch {a.batch} at {a.size}x{a.size}: gan_jax (jit) '
        f'{ours:.2f} images/s; torchvision ' +
        ', '.join(f'{k} {v:.2f}' for k, v in theirs.items()) +
        f' images/s; ratio ours/best torch {ours / best:.2f}')

  torch.manual_seed(1)
  net19 = torchvision.models.vgg19(weights=None).eval()
  params19 = jax.device_put(vgg.from_torch_state_dict(net19.state_dict()))
  rng = np.random.default_rng(1)
  content = rng.uniform(0, 1, (a.gatys_size, a.gatys_size, 3)).astype(np.float32)
  style = rng.uniform(0, 1, (a.gatys_size, a.gatys_size, 3)).astype(np.float32)
  t_ours, loss_ours = ours_gatys_step(params19, content, style, a.steps)
  t_torch, loss_torch = {}, {}
  for label, fmt in LAYOUTS:
    t_torch[label], loss_torch[label] = torch_gatys_step(torch, net19.features, content, style,
                                                         a.steps, fmt)
  print('  same objective: first loss gan_jax %.6g, PyTorch %s' % (
      loss_ours, ', '.join(f'{k} {v:.6g}' for k, v in loss_torch.items())))
  print(f'Gatys Adam step, VGG19 at {a.gatys_size}x{a.gatys_size}: gan_jax {t_ours * 1e3:.0f} ms; '
        'PyTorch ' + ', '.join(f'{k} {v * 1e3:.0f}' for k, v in t_torch.items()) +
        f' ms; ratio best torch/ours {min(t_torch.values()) / t_ours:.2f}')


if __name__ == '__main__':
  main()
