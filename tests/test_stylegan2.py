"""StyleGAN2: the networks' parameter counts equal the reference's (counted by hand
from training/networks.py's layer list, and the totals the issue lists), the
resampling and modulated convolutions against PyTorch computations written the
reference's other way (transposed convolution then FIR, one grouped convolution
of per-sample kernels), the minibatch-stddev grouping, the mapping network's
w_avg and truncation; the method's EMA half-life and path lengths by hand, and
the smoke runs (every phase) through launch.py with sampling and the errors."""

import functools
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

import test_fingerprints
from conftest import experiment

from gan_jax.inference import count_params
from gan_jax.methods.stylegan2 import ema_beta, path_lengths
from gan_jax.models import stylegan2 as sg2


# -- counting the reference's layers by hand ------------------------------------------

def _fc(i, o, bias=True):
  return i * o + (o if bias else 0)


def _conv(i, o, k, bias=True):
  return o * i * k * k + (o if bias else 0)


def _mapping(z_dim, c_dim, w_dim, layers):
  e = w_dim if c_dim else 0
  feats = [z_dim + e] + [w_dim] * layers
  return (_fc(c_dim, e) if c_dim else 0) + sum(_fc(feats[i], feats[i + 1]) for i in range(layers))


def _synthesis(res, base, w_dim=512, img=3):
  ch = lambda r: min(base // r, 512)
  n, r = 0, 4
  while r <= res:
    layer = lambda i, o: _fc(w_dim, i) + o * i * 9 + 1 + o   # affine, weight, noise, bias
    n += ch(4) * 16 if r == 4 else layer(ch(r // 2), ch(r))
    n += layer(ch(r), ch(r)) + _fc(w_dim, ch(r)) + img * ch(r) + img
    r *= 2
  return n


def _discriminator(res, base, c_dim, arch):
  ch = lambda r: min(base // r, 512)
  n, r = _conv(3, ch(res), 1), res
  while r > 4:
    n += _conv(ch(r), ch(r), 3) + _conv(ch(r), ch(r // 2), 3)
    n += _conv(ch(r), ch(r // 2), 1, bias=False) if arch == 'resnet' else 0
    r //= 2
  n += _conv(ch(4) + 1, ch(4), 3) + _fc(ch(4) * 16, ch(4))
  n += _fc(ch(4), ch(4) if c_dim else 1)
  return n + (_mapping(0, c_dim, ch(4), 8) if c_dim else 0)


CONFIGS = {  # res, classes, channel_base, mapping layers, D architecture, G, G mapping, D
    'cifar': (32, 10, 32768, 2, 'orig', 20_215_315, 793_088, 23_089_664),
    'paper256': (256, 0, 16384, 8, 'resnet', 24_767_458, 2_101_248, 24_001_089),
    'stylegan2': (1024, 0, 32768, 8, 'resnet', 30_370_060, 2_101_248, 29_012_513),
}


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_parameter_counts_equal_the_reference(name):
  res, classes, base, maps, arch, g_total, g_map, d_total = CONFIGS[name]
  assert _mapping(512, classes, 512, maps) == g_map
  assert _mapping(512, classes, 512, maps) + _synthesis(res, base) == g_total
  assert _discriminator(res, base, classes, arch) == d_total
  g = sg2.Generator(res, 3, mapping_layers=maps, channel_base=base)
  d = sg2.Discriminator(res, channel_base=base, architecture=arch)
  c = jnp.zeros((2, classes)) if classes else None
  vg = jax.eval_shape(lambda: g.init({'params': jax.random.PRNGKey(0),
                                      'noise': jax.random.PRNGKey(1)}, jnp.zeros((2, 512)), c))
  vd = jax.eval_shape(lambda: d.init(jax.random.PRNGKey(0), jnp.zeros((2, res, res, 3)), c))
  assert count_params(vg['params']) == g_total
  assert count_params(vg['params']['mapping']) == g_map
  assert count_params(vd['params']) == d_total
  assert sg2.num_ws(res) == {32: 8, 256: 14, 1024: 18}[res]


# -- the operations against PyTorch -------------------------------------------------------

def _nchw(x):
  return np.ascontiguousarray(np.asarray(x).transpose(0, 3, 1, 2))


def test_resampling_convolutions_equal_the_reference_fast_paths():
  torch = pytest.importorskip('torch')
  F = torch.nn.functional
  rng = np.random.default_rng(0)
  x = rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
  kernel = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)      # HWIO
  fir = torch.tensor(sg2.fir_filter(), dtype=torch.float32)
  xt = torch.from_numpy(_nchw(x))

  def filt(y, pad, gain):
    c = y.shape[1]
    y = F.pad(y, [pad] * 4)
    return F.conv2d(y, (fir * gain)[None, None].repeat(c, 1, 1, 1), groups=c)

  # upsampling conv: transposed conv (stride 2), then the FIR with pad 1 and gain 4
  wt = torch.from_numpy(np.ascontiguousarray(kernel.transpose(2, 3, 0, 1)))   # (I, O, kh, kw)
  want = filt(F.conv_transpose2d(xt, wt, stride=2), 1, 4.0).numpy()
  got = _nchw(sg2.conv2d(jnp.asarray(x), jnp.asarray(kernel), up=2))
  np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
  assert got.shape == (2, 4, 10, 12)
  # downsampling conv: FIR with pad 2, then a stride-2 cross-correlation
  wo = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))   # (O, I, kh, kw)
  x8 = rng.normal(size=(2, 8, 8, 3)).astype(np.float32)
  want = F.conv2d(filt(torch.from_numpy(_nchw(x8)), 2, 1.0), wo, stride=2).numpy()
  got = _nchw(sg2.conv2d(jnp.asarray(x8), jnp.asarray(kernel), down=2))
  np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
  # the image skip's upsample2d: a depthwise transposed conv with the FIR x 4, padding 1
  want = F.conv_transpose2d(xt, (fir * 4)[None, None].repeat(3, 1, 1, 1), stride=2, padding=1,
                            groups=3).numpy()
  np.testing.assert_allclose(_nchw(sg2.upsample2d(jnp.asarray(x))), want, rtol=1e-5, atol=1e-5)


def test_modulated_conv_equals_the_fused_grouped_convolution():
  torch = pytest.importorskip('torch')
  rng = np.random.default_rng(1)
  x = rng.normal(size=(3, 6, 6, 4)).astype(np.float32)
  weight = rng.normal(size=(3, 3, 4, 5)).astype(np.float32)
  styles = rng.normal(size=(3, 4)).astype(np.float32)
  # the reference's fused path: one kernel per sample, demodulated, a grouped conv
  w = torch.from_numpy(np.ascontiguousarray(weight.transpose(3, 2, 0, 1)))[None]  # 1,O,I,k,k
  w = w * torch.from_numpy(styles)[:, None, :, None, None]
  w = w * (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()[:, :, None, None, None]
  out = torch.nn.functional.conv2d(torch.from_numpy(_nchw(x)).reshape(1, 12, 6, 6),
                                   w.reshape(15, 4, 3, 3), padding=1, groups=3)
  got = sg2.modulated_conv(jnp.asarray(x), jnp.asarray(weight), jnp.asarray(styles))
  np.testing.assert_allclose(_nchw(got), out.reshape(3, 5, 6, 6).numpy(), rtol=1e-4, atol=1e-4)


def test_minibatch_stddev_groups_as_the_reference():
  torch = pytest.importorskip('torch')
  rng = np.random.default_rng(2)
  x = rng.normal(size=(8, 4, 4, 6)).astype(np.float32)
  t = torch.from_numpy(_nchw(x))
  g, f = 4, 2                       # the reference's MinibatchStdLayer.forward
  y = t.reshape(g, -1, f, 6 // f, 4, 4)
  y = (y - y.mean(dim=0)).square().mean(dim=0)
  y = (y + 1e-8).sqrt().mean(dim=[2, 3, 4]).reshape(-1, f, 1, 1).repeat(g, 1, 4, 4)
  want = torch.cat([t, y], dim=1).numpy()
  got = _nchw(sg2.minibatch_stddev(jnp.asarray(x), g, f))
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_mapping_tracks_w_avg_and_truncates_towards_it():
  m = sg2.MappingNetwork(8, num_ws=4, layers=2)
  z = jax.random.normal(jax.random.PRNGKey(0), (16, 8))
  v = m.init(jax.random.PRNGKey(1), z)
  ws, upd = m.apply(v, z, track_w_avg=True, mutable=['buffers'])
  mean = np.asarray(ws[:, 0]).mean(axis=0)
  np.testing.assert_allclose(upd['buffers']['w_avg'], 0.005 * mean, rtol=1e-5, atol=1e-7)
  v = {'params': v['params'], 'buffers': {'w_avg': jnp.asarray(mean)}}
  full = m.apply(v, z)
  half = m.apply(v, z, psi=0.5, cutoff=2)
  np.testing.assert_allclose(half[:, :2], mean + 0.5 * (full[:, :2] - mean), rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_array_equal(half[:, 2:], full[:, 2:])
  # z is normalised by its second moment: scaling it changes nothing
  np.testing.assert_allclose(m.apply(v, 3.0 * z), full, rtol=1e-5, atol=1e-6)


def test_generator_output_and_noise_modes():
  g = sg2.Generator(16, 3, z_dim=8, w_dim=8, mapping_layers=2, channel_base=128, channel_max=16)
  z = jax.random.normal(jax.random.PRNGKey(0), (2, 8))
  rngs = {'params': jax.random.PRNGKey(1), 'noise': jax.random.PRNGKey(2)}
  v = g.init(rngs, z)
  params = jax.tree.map(lambda p: p, v['params'])
  params = jax.tree_util.tree_map_with_path(
      lambda path, p: p + 0.5 if 'noise_strength' in jax.tree_util.keystr(path) else p, params)
  v = {'params': params, 'buffers': v['buffers']}
  apply = functools.partial(g.apply, v, z)
  a = apply(rngs={'noise': jax.random.PRNGKey(3)})
  b = apply(rngs={'noise': jax.random.PRNGKey(4)})
  assert a.shape == (2, 16, 16, 3) and not np.allclose(a, b)     # random noise differs
  const = sg2.Generator(16, 3, z_dim=8, w_dim=8, mapping_layers=2, channel_base=128,
                        channel_max=16, noise_mode='const')
  np.testing.assert_array_equal(const.apply(v, z), const.apply(v, z))
  assert math.isfinite(float(jnp.sum(a)))


def test_bfloat16_blocks_stay_close_to_float32():
  """Mixed precision (low_precision_res = 2 of 16 px's 3 levels) on the same
  weights: G's images on average within 1 % of their mean magnitude of
  float32's (measured 0.5 %; bfloat16 keeps 8 bits of mantissa), at most 10 %
  of their spread (4.7 %), and not equal (the bfloat16 path ran); D's logits
  within 5 % of their spread (2.9 %); what leaves the networks is float32."""
  kw = dict(z_dim=16, w_dim=16, mapping_layers=2, channel_base=256, channel_max=16)
  g32, g16 = sg2.Generator(16, 3, **kw), sg2.Generator(16, 3, low_precision_res=2, **kw)
  z = jax.random.normal(jax.random.PRNGKey(0), (8, 16))
  v = g32.init({'params': jax.random.PRNGKey(1), 'noise': jax.random.PRNGKey(2)}, z)
  assert jax.tree.structure(v) == jax.tree.structure(
      g16.init({'params': jax.random.PRNGKey(1), 'noise': jax.random.PRNGKey(2)}, z))
  a = g32.apply(v, z, rngs={'noise': jax.random.PRNGKey(3)})
  b = g16.apply(v, z, rngs={'noise': jax.random.PRNGKey(3)})
  assert b.dtype == jnp.float32 and float(jnp.std(a)) > 0.05
  assert 0 < float(jnp.mean(jnp.abs(a - b))) < 0.01 * float(jnp.mean(jnp.abs(a)))
  assert float(jnp.max(jnp.abs(a - b))) < 0.1 * float(jnp.std(a))
  d32 = sg2.Discriminator(16, 256, 16, mbstd_group=4)
  d16 = sg2.Discriminator(16, 256, 16, mbstd_group=4, low_precision_res=2)
  x = jax.random.uniform(jax.random.PRNGKey(5), (8, 16, 16, 3), minval=-1, maxval=1)
  dv = d32.init(jax.random.PRNGKey(6), x)
  la, lb = d32.apply(dv, x), d16.apply(dv, x)
  assert lb.dtype == jnp.float32
  assert 0 < float(jnp.max(jnp.abs(la - lb))) < 0.05 * float(jnp.std(la))


# -- the training method --------------------------------------------------------------------

def test_ema_beta_is_the_reference_half_life_with_ramp_up():
  assert float(ema_beta(100, 32, 10.0, 0.0)) == pytest.approx(0.5 ** (32 / 10_000))
  # ramp-up: the half-life is at most the images shown x 0.05; at step 0 the EMA is G
  assert float(ema_beta(0, 64, 500.0, 0.05)) == 0.0
  assert float(ema_beta(1000, 64, 500.0, 0.05)) == pytest.approx(0.5 ** (64 / (64_000 * 0.05)))


def test_path_lengths_of_a_linear_synthesis_by_hand():
  rng = np.random.default_rng(3)
  a = jnp.asarray(rng.normal(size=(3, 4, 2 * 2 * 1)).astype(np.float32))   # (num_ws, w, pixels)
  synth = lambda ws: jnp.einsum('nkw,kwp->np', ws, a).reshape(-1, 2, 2, 1)
  ws = jnp.asarray(rng.normal(size=(5, 3, 4)).astype(np.float32))
  lengths, images = path_lengths(synth, ws, jax.random.PRNGKey(0))
  y = jax.random.normal(jax.random.PRNGKey(0), images.shape) / 2.0     # / sqrt(H W)
  grads = np.einsum('kwp,np->nkw', np.asarray(a), np.asarray(y).reshape(5, 4))   # J^T y
  want = np.sqrt(np.mean(np.sum(grads ** 2, axis=2), axis=1))
  np.testing.assert_allclose(lengths, want, rtol=1e-5)


def test_path_lengths_of_a_tiny_generator_against_finite_differences():
  """|J_w^T y| of a real (tiny) synthesis network against central differences of
  w -> sum(y * synthesis(w)), coordinate by coordinate."""
  g = sg2.Generator(8, 1, z_dim=4, w_dim=4, mapping_layers=1, channel_base=32, channel_max=4,
                    noise_mode='const')
  z = jax.random.normal(jax.random.PRNGKey(0), (2, 4))
  v = g.init({'params': jax.random.PRNGKey(1), 'noise': jax.random.PRNGKey(2)}, z)
  synth = lambda w: g.apply(v, w, method='synthesize')
  ws = g.apply(v, z, method='map')                                     # (2, num_ws, 4)
  lengths, images = path_lengths(synth, ws, jax.random.PRNGKey(3))
  y = jax.random.normal(jax.random.PRNGKey(3), images.shape) / 8.0    # / sqrt(8 x 8)
  f = jax.jit(lambda w: jnp.sum(y * synth(w), axis=(1, 2, 3)))        # per sample
  eps, grads = 1e-2, np.zeros(ws.shape)
  for k in range(ws.shape[1]):
    for j in range(ws.shape[2]):
      d = jnp.zeros(ws.shape).at[:, k, j].set(eps)
      grads[:, k, j] = (f(ws + d) - f(ws - d)) / (2 * eps)
  want = np.sqrt(np.mean(np.sum(grads ** 2, axis=2), axis=1))
  np.testing.assert_allclose(lengths, want, rtol=1e-2)


def test_truncation_psi_0_gives_the_average_w_image():
  g = sg2.Generator(8, 1, z_dim=4, w_dim=4, mapping_layers=1, channel_base=32, channel_max=4,
                    noise_mode='const')
  z = jax.random.normal(jax.random.PRNGKey(0), (3, 4))
  v = g.init({'params': jax.random.PRNGKey(1), 'noise': jax.random.PRNGKey(2)}, z)
  w_avg = jax.random.normal(jax.random.PRNGKey(4), (4,))
  v = {'params': v['params'], 'buffers': {**v['buffers'], 'mapping': {'w_avg': w_avg}}}
  images = g.apply(v, z, psi=0.0)
  avg_image = g.apply(v, jnp.broadcast_to(w_avg, (1, sg2.num_ws(8), 4)), method='synthesize')
  np.testing.assert_allclose(images, jnp.broadcast_to(avg_image, images.shape), atol=1e-6)
  assert float(jnp.abs(g.apply(v, z) - images).max()) > 1e-3          # psi = 1 differs


def test_equalised_learning_rate_scales_at_run_time():
  x = jax.random.normal(jax.random.PRNGKey(0), (5, 16))
  dense = sg2.Dense(3, lr_multiplier=0.01, bias_init=1.0)
  v = dense.init(jax.random.PRNGKey(1), x)
  w, b = v['params']['weight'], v['params']['bias']
  assert float(jnp.std(w)) == pytest.approx(100.0, rel=0.3)          # stored N(0, 1) / lr
  np.testing.assert_allclose(dense.apply(v, x), x @ (w * 0.01 / 4.0) + b * 0.01, rtol=1e-5)
  conv = sg2.Conv(4, 3, activation='linear')
  img = jax.random.normal(jax.random.PRNGKey(2), (1, 6, 6, 2))
  cv = conv.init(jax.random.PRNGKey(3), img)
  k = cv['params']['weight'] / math.sqrt(2 * 3 * 3)
  want = jax.lax.conv_general_dilated(img, k, (1, 1), 'SAME',
                                      dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
  np.testing.assert_allclose(conv.apply(cv, img), want + cv['params']['bias'], rtol=1e-5,
                             atol=1e-6)


def test_style_mixing_off_at_probability_0_and_a_cutoff_at_1():
  import launch as launch_mod
  from gan_jax.data.base import DataInfo
  from gan_jax.methods.stylegan2 import StyleGAN2
  for prob in (0.0, 1.0):
    c = launch_mod.load_config(['launch.py', f'--config={experiment("stylegan2.py")}:smoke',
                                f'--config.stylegan.style_mixing={prob}'])
    m = StyleGAN2(c, DataInfo((16, 16, 1), 10))
    state = m.init(jax.random.PRNGKey(0))
    z = jax.random.normal(jax.random.PRNGKey(1), (8, c.model.z_dim))
    ws, buffers = m._map(state.g, z, None)
    mixed = np.asarray(m._mix(state.g, buffers, ws, None, jax.random.PRNGKey(2)))
    if prob == 0:
      np.testing.assert_array_equal(mixed, ws)
      continue
    same = np.all(mixed == np.asarray(ws), axis=(0, 2))              # per w index
    cutoff = int(np.argmin(same))
    assert 1 <= cutoff < m.num_ws and same[:cutoff].all() and not same[cutoff:].any()


def test_stylegan2_smoke_runs_every_phase_and_samples(launch, tmp_path):
  run = str(tmp_path / 'run')
  code, out, err = launch(f'--config={experiment("stylegan2.py")}:smoke', f'--workdir={run}')
  assert code == 0, err
  for key in ('g_loss', 'pl_penalty', 'd_loss', 'r1', 'ema_beta', 'digits_confident'):
    assert key in out, key
  test_fingerprints.assert_state_recorded(os.path.join(run, 'checkpoints'), 'stylegan2_digits')
  code, out, err = launch(f'--config={experiment("stylegan2.py")}:smoke', f'--workdir={run}',
                          '--mode=sample', '--num_samples=4', f'--output={tmp_path}/s',
                          '--config.stylegan.psi=0.5')
  assert code == 0 and os.path.exists(tmp_path / 's' / 'grid.png'), err
  for name in ('style_mixing_coarse', 'style_mixing_fine', 'interpolation'):
    assert os.path.exists(tmp_path / 's' / f'{name}.png'), name
  # Every ws from the columns: each mixed cell is its column's image.
  code, out, err = launch(f'--config={experiment("stylegan2.py")}:smoke', f'--workdir={run}',
                          '--mode=sample', '--num_samples=1', f'--output={tmp_path}/m',
                          '--mix_rows=1,2', '--mix_cols=3,4,5', '--styles=0-5')
  assert code == 0, err
  grid = np.asarray(Image.open(tmp_path / 'm' / 'style_mixing.png')).astype(int)
  cell = lambda r, c: grid[1 + r * 17: 17 + r * 17, 1 + c * 17: 17 + c * 17]  # 16 px, pad 1
  assert grid.shape[:2] == (3 * 17 + 1, 4 * 17 + 1)
  for r in (1, 2):
    for c in (1, 2, 3):
      assert np.abs(cell(r, c) - cell(0, c)).max() <= 1, (r, c)
  assert np.abs(cell(1, 0) - cell(1, 1)).max() > 1       # the row seed's own image differs
  code, _, err = launch(f'--config={experiment("stylegan2.py")}:smoke', f'--workdir={run}',
                        '--mode=sample', f'--output={tmp_path}/e', '--styles=2-9')
  assert code != 0 and "--styles='2-9'" in err and '0..5' in err and 'Traceback' not in err
  assert not os.path.exists(tmp_path / 'e')
  # stylegan2_cifar10.py:smoke runs in tests/test_ada.py (ADA's p and the resume).


@pytest.mark.parametrize('override, message', [
    ('--config.stylegan.d_architecture=skip', "d_architecture='skip'; allowed: resnet, orig"),
    ('--config.stylegan.noise_mode=zero', "noise_mode='zero'; allowed: random, const, none"),
    ('--config.data.image_size=24', 'a power of two >= 8'),
    ('--config.train.batch_size=6', 'not divisible by model.mbstd_group=4'),
])
def test_stylegan2_errors_name_the_value(override, message, launch, tmp_path):
  code, _, err = launch(f'--config={experiment("stylegan2.py")}:smoke', f'--workdir={tmp_path}/r',
                        override)
  assert code != 0 and message in err, err
  assert 'Traceback' not in err
