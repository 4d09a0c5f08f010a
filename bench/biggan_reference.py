"""Our BigGAN networks against BigGAN-PyTorch's on the same weights.

  python3 bench/biggan_reference.py --reference=/path/to/BigGAN-PyTorch

Builds both implementations at a small width (the CIFAR-10 script's 32 px
architecture, and the ImageNet script's 128 px one with a hierarchical z, a
shared embedding and self-attention at 64 px in G and D), copies our initial
weights into theirs (PyTorch layouts), converges every spectral norm's power
iteration in theirs and gives ours the same singular vectors, then runs G and
D forward in training mode (BatchNorm on batch statistics) on the same z,
labels and images. Prints the largest differences relative to the outputs'
scale; float32 rounding is about 1e-6. Needs torch and a checkout of
ajbrock/BigGAN-PyTorch (BigGAN.py, layers.py, sync_batchnorm/).
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax  # noqa: E402
import ml_collections  # noqa: E402
import numpy as np  # noqa: E402

from gan_jax.data.base import DataInfo  # noqa: E402
from gan_jax.models import biggan  # noqa: E402

CASES = {  # name: (resolution, ch, z, classes, shared_dim, hierarchical, attention)
    'cifar32': (32, 8, 16, 10, 0, False, ()),
    'imagenet128': (128, 8, 24, 7, 16, True, (64,)),
}


def _conv_to_torch(k):
  return np.asarray(k).transpose(3, 2, 0, 1)   # (kh, kw, in, out) -> (out, in, kh, kw)


def _set(param, value):
  import torch  # pylint: disable=g-import-not-at-top
  value = np.array(value, np.float32)
  assert tuple(param.shape) == value.shape, (tuple(param.shape), value.shape)
  with torch.no_grad():
    param.copy_(torch.from_numpy(value))


def _load_sn(mod, ours, scope, layer, sn_list, kind):
  """Copies a kernel/embedding (and bias) into a spectrally normalised layer of
  theirs; remembers where ours keeps its u/v: (module scope, layer name)."""
  if kind == 'conv':
    _set(mod.weight, _conv_to_torch(ours['kernel']))
  elif kind == 'dense':
    _set(mod.weight, np.asarray(ours['kernel']).T)
  else:
    _set(mod.weight, ours['embedding'])
  if 'bias' in ours:
    _set(mod.bias, ours['bias'])
  sn_list.append((mod, scope, layer, kind, None))


def _conv(mod, ours, scope, sn_list):
  """One SNConv of ours (scope/conv) into one SNConv2d of theirs."""
  _load_sn(mod, ours['conv'], scope, 'conv', sn_list, 'conv')


def _g_load(theirs, p, case, sn_list):
  shared = case[4]
  if shared:
    _set(theirs.shared.weight, p['shared']['embedding'])
  # Dense to 4x4xC: ours reshapes (4, 4, C), theirs views (C, 4, 4).
  k = np.asarray(p['linear']['kernel'])
  c0 = k.shape[1] // 16
  _set(theirs.linear.weight, k.reshape(-1, 4, 4, c0).transpose(3, 1, 2, 0).reshape(-1, k.shape[0]))
  _set(theirs.linear.bias, np.asarray(p['linear']['bias']).reshape(4, 4, c0).transpose(2, 0, 1)
       .reshape(-1))
  # Its u runs over their outputs (C, 4, 4); ours over (4, 4, C).
  sn_list.append((theirs.linear, (), 'linear', 'dense',
                  lambda u: u.reshape(c0, 4, 4).transpose(1, 2, 0).reshape(-1)))
  for i, blocklist in enumerate(theirs.blocks):
    blk, ob = blocklist[0], p[f'block{i}']
    for name in ('conv1', 'conv2', 'conv_sc'):
      _conv(getattr(blk, name), ob[name], (f'block{i}', name), sn_list)
    for bn in ('bn1', 'bn2'):
      for part in ('gain', 'bias'):
        src = ob[bn][part]
        if 'embedding' in src:
          _set(getattr(getattr(blk, bn), part).weight, src['embedding'])
        else:
          _load_sn(getattr(getattr(blk, bn), part), src, (f'block{i}', bn), part, sn_list,
                   'dense')
    if len(blocklist) > 1:
      _attention_load(blocklist[1], p[f'attention{i}'], f'attention{i}', sn_list)
  _set(theirs.output_layer[0].gain, p['out_bn']['scale'])
  _set(theirs.output_layer[0].bias, p['out_bn']['bias'])
  _conv(theirs.output_layer[2], p['out_conv'], ('out_conv',), sn_list)


def _attention_load(att, p, scope, sn_list):
  for name in ('theta', 'phi', 'g', 'o'):
    _conv(getattr(att, name), p[name], (scope, name), sn_list)
  _set(att.gamma, p['gamma'])


def _d_load(theirs, p, sn_list):
  for i, blocklist in enumerate(theirs.blocks):
    blk, ob = blocklist[0], p[f'block{i}']
    for name in ('conv1', 'conv2', 'conv_sc'):
      if name in ob:
        _conv(getattr(blk, name), ob[name], (f'block{i}', name), sn_list)
    if len(blocklist) > 1:
      _attention_load(blocklist[1], p[f'attention{i}'], f'attention{i}', sn_list)
  _load_sn(theirs.linear, p['linear'], (), 'linear', sn_list, 'dense')
  _load_sn(theirs.embed, p['embed'], (), 'embed', sn_list, 'embed')


def _our_sn(bs, scope, layer):
  """The dict holding our u/v for `layer` in module `scope`, and their key prefix."""
  node = bs
  for k in scope:
    node = node[k]
  for key, leaf in node.items():
    if key.startswith('SpectralNorm'):
      for name in leaf:
        if name.startswith(layer + '/') and name.endswith('/u'):
          return leaf, name[:-2]
  raise KeyError((scope, layer))


def _converge(sn_list, bs, iterations):
  """Runs their power iteration to convergence, then gives ours the same vectors:
  u over the outputs for kernels (the same role in both), for the embedding
  (u over classes in theirs, over features in ours) the singular pair swapped."""
  import torch  # pylint: disable=g-import-not-at-top
  for mod, scope, layer, kind, to_ours in sn_list:
    mod.train()
    for _ in range(iterations):
      mod.W_()
    w = mod.weight.detach().view(mod.weight.shape[0], -1)
    u = mod.u[0].detach()
    v = torch.nn.functional.normalize(u @ w, dim=1)
    if kind == 'conv':  # their fan-in is (in, kh, kw), ours (kh, kw, in)
      kh, kw = mod.weight.shape[2:]
      v = v.view(1, -1, kh, kw).permute(0, 2, 3, 1).reshape(1, -1)
    leaf, name = _our_sn(bs, scope, layer)
    if to_ours is not None:
      u = torch.from_numpy(to_ours(u.numpy()[0])[None])
    leaf[name + '/u'] = np.asarray((v if kind == 'embed' else u).numpy()[0])
    leaf[name + '/v'] = np.asarray((u if kind == 'embed' else v).numpy()[0])


def compare(reference_dir, name, iterations, batch=4):
  import torch  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, reference_dir)
  import BigGAN as ref  # pylint: disable=g-import-not-at-top,import-error
  case = CASES[name]
  size, ch, z_dim, n, shared, hier, attention = case
  cfg = ml_collections.ConfigDict(dict(
      conditional=True, init='N02', g_width=ch, d_width=ch, z_dim=z_dim, shared_dim=shared,
      hierarchical=hier, attention=attention))
  info = DataInfo((size, size, 3), n)
  g, d = biggan.biggan_generator(cfg, info), biggan.biggan_discriminator(cfg, info)
  rng = np.random.default_rng(0)
  z = rng.normal(size=(batch, z_dim)).astype(np.float32)
  y = np.arange(batch) % n
  x = rng.uniform(-1, 1, size=(batch, size, size, 3)).astype(np.float32)
  gv = jax.tree.map(np.asarray, g.init(jax.random.PRNGKey(0), z, y, train=False))
  dv = jax.tree.map(np.asarray, d.init(jax.random.PRNGKey(1), x, y, train=False))
  # Non-zero attention gains and ccbn biases, so that every path is exercised.
  for v in (gv, dv):
    for k in v['params']:
      if k.startswith('attention'):
        v['params'][k]['gamma'] = np.float32(0.7)
  attn = '_'.join(str(a) for a in attention) or '0'
  tg = ref.Generator(G_ch=ch, dim_z=z_dim, resolution=size, G_attn=attn, n_classes=n,
                     G_shared=bool(shared), shared_dim=shared, hier=hier, G_init='N02',
                     no_optim=True)
  td = ref.Discriminator(D_ch=ch, resolution=size, D_attn=attn, n_classes=n, D_init='N02')
  g_sn, d_sn = [], []
  _g_load(tg, gv['params'], case, g_sn)
  _d_load(td, dv['params'], d_sn)
  _converge(g_sn, gv['batch_stats'], iterations)
  _converge(d_sn, dv['batch_stats'], iterations)
  tg.train()
  td.train()
  with torch.no_grad():
    ty = torch.from_numpy(y).long()
    t_img = tg(torch.from_numpy(z), tg.shared(ty)).numpy().transpose(0, 2, 3, 1)
    t_out = td(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), ty).numpy()[:, 0]
  o_img, _ = g.apply(gv, z, y, train=True, mutable=['batch_stats'])
  o_out, _ = d.apply(dv, x, y, train=True, mutable=['batch_stats'])
  gi = np.max(np.abs(np.asarray(o_img) - t_img)) / np.max(np.abs(t_img))
  do = np.max(np.abs(np.asarray(o_out) - t_out)) / np.max(np.abs(t_out))
  print(f'{name}: G images max |ours - theirs| / max |theirs| = {gi:.2e}; '
        f'D outputs {do:.2e} (D(x) = {t_out[:2]} theirs, {np.asarray(o_out)[:2]} ours)')
  return gi, do


def main():
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--reference', required=True, help='a BigGAN-PyTorch checkout')
  p.add_argument('--iterations', type=int, default=2000, help='power iterations to converge')
  a = p.parse_args()
  worst = max(max(compare(a.reference, name, a.iterations)) for name in CASES)
  print(f'largest relative difference: {worst:.2e}')


if __name__ == '__main__':
  main()
