"""The FID Inception port and the Inception metrics, against the reference
implementations (pytorch-fid, torch-fidelity) where torch is installed, and
against exact identities everywhere.

The real weights cannot be downloaded here, so the port is proved with seeded
random weights loaded into both networks: same weights, same images, same
features.
"""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import ROOT, experiment, subprocess_env
from gan_jax.errors import UserError
from gan_jax.metrics import inception as inc
from gan_jax.metrics import stats


def random_state_dict_numpy(seed: int):
  """A state dict shaped like pytorch-fid's weights, seeded: He-scaled convs, BN
  statistics away from the identity so that every term of BN is exercised."""
  rng = np.random.default_rng(seed)
  shapes = jax.eval_shape(inc.FIDInception().init, jax.random.PRNGKey(0), jnp.zeros((1, 75, 75, 3)))
  sd = {}
  for path, leaf in jax.tree_util.tree_flatten_with_path(shapes)[0]:
    names = [str(p.key) for p in path]
    collection, mod, leaf_name = names[0], names[1:-1], names[-1]
    prefix = '.'.join(mod)
    if leaf_name == 'kernel' and mod[-1] == 'conv':
      h, w, i, o = leaf.shape
      sd[prefix + '.weight'] = rng.normal(0, (2.0 / (h * w * i)) ** 0.5, (o, i, h, w))
    elif leaf_name == 'kernel':  # fc
      sd[prefix + '.weight'] = rng.normal(0, 0.02, leaf.shape[::-1])
    elif collection == 'batch_stats':
      sd[prefix + ('.running_mean' if leaf_name == 'mean' else '.running_var')] = (
          rng.normal(0, 0.1, leaf.shape) if leaf_name == 'mean'
          else rng.uniform(0.5, 1.5, leaf.shape))
    elif leaf_name == 'scale':
      sd[prefix + '.weight'] = rng.uniform(0.5, 1.5, leaf.shape)
    else:
      sd[prefix + '.bias'] = rng.normal(0, 0.1, leaf.shape)
  return {k: v.astype(np.float32) for k, v in sd.items()}


@pytest.fixture(scope='module')
def weights_npz(tmp_path_factory):
  path = str(tmp_path_factory.mktemp('inception') / 'random_inception.npz')
  inc.save_npz(inc.torch_state_dict_to_variables(random_state_dict_numpy(0)), path)
  return path


def our_features(variables, images_m11):
  pool3, logits = jax.jit(lambda v, x: inc.FIDInception().apply(
      v, inc.network_input(inc.quantize(x), 'bilinear')))(variables, jnp.asarray(images_m11))
  return np.asarray(pool3), np.asarray(logits)


def rel_err(a, b):
  return float(np.abs(np.asarray(a) - np.asarray(b)).max() / np.abs(np.asarray(b)).max())


# -- without torch -------------------------------------------------------------------

def test_npz_round_trip_and_fingerprint(weights_npz, tmp_path):
  variables = inc.load_variables(weights_npz)
  again = str(tmp_path / 'again.npz')
  inc.save_npz(variables, again)
  assert (inc.variables_fingerprint(inc.load_variables(again))
          == inc.variables_fingerprint(variables))
  other = inc.torch_state_dict_to_variables(random_state_dict_numpy(1))
  assert inc.variables_fingerprint(other) != inc.variables_fingerprint(variables)
  # torchvision's inception_v3 has 27,161,264 parameters; less its aux head
  # (128*768 + 256 + 768*128*25 + 1536 + 769,000 = 3,326,696) and with 1008 classes
  # (+8 * 2049): 23,850,960.
  n_params = sum(np.size(x) for x in jax.tree.leaves(variables['params']))
  assert n_params == 27_161_264 - 3_326_696 + 8 * 2049 == 23_850_960


def test_weight_errors_are_clear(tmp_path):
  with pytest.raises(UserError, match='inception_weights is empty'):
    inc.load_variables('')
  with pytest.raises(UserError, match='no such file'):
    inc.load_variables(str(tmp_path / 'missing.npz'))
  bad = tmp_path / 'bad.npz'
  bad.write_bytes(b'not a zip file')
  with pytest.raises(UserError, match='not a readable .npz'):
    inc.load_variables(str(bad))
  partial = str(tmp_path / 'partial.npz')
  np.savez(partial, **{'params/fc/kernel': np.zeros((2048, 1008), np.float32)})
  with pytest.raises(UserError, match='do not fit the FID Inception'):
    inc.load_variables(partial)


def test_quantization_inverts_the_data_pipeline():
  from gan_jax.data.pipeline import to_float
  u8 = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
  np.testing.assert_array_equal(inc.quantize_host(to_float(u8)), u8.astype(np.float32))
  np.testing.assert_array_equal(np.asarray(inc.quantize(jnp.asarray(to_float(u8)))),
                                u8.astype(np.float32))
  # StyleGAN2-ADA: floor(x * 127.5 + 128) clipped, so -1 -> 0 and 1 -> 255.
  assert inc.quantize_host(np.array([-1.5, -1.0, 0.0, 1.0, 1.5])).tolist() == [0, 0, 128, 255, 255]


def test_bilinear_matrix_by_hand():
  # 2 -> 4, align_corners=False: sources -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
  m = inc._bilinear_matrix(2, 4)  # pylint: disable=protected-access
  np.testing.assert_allclose(m, [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])


# -- against PyTorch ------------------------------------------------------------------

def test_resize_equals_torch_interpolate():
  torch = pytest.importorskip('torch')
  rng = np.random.default_rng(0)
  for size in (16, 32, 320):  # upsampling and (no-antialias) downsampling
    x = rng.uniform(0, 255, (2, size, size, 3)).astype(np.float32)
    ref = torch.nn.functional.interpolate(torch.from_numpy(x).permute(0, 3, 1, 2), size=(299, 299),
                                          mode='bilinear', align_corners=False)
    ours = np.asarray(inc.resize_bilinear(jnp.asarray(x)))
    # Within 2e-5 of the 0..255 range (float32 coordinate rounding at a few columns).
    np.testing.assert_allclose(ours, ref.permute(0, 2, 3, 1).numpy(), atol=5e-3)


@pytest.fixture(scope='module')
def pytorch_fid_model():
  """pytorch-fid's own InceptionV3 (FIDInceptionA/C/E blocks) with seeded random
  weights in place of the download."""
  torch = pytest.importorskip('torch')
  pytest.importorskip('torchvision')
  pfi = pytest.importorskip('pytorch_fid.inception')
  sd = {k: torch.from_numpy(v) for k, v in random_state_dict_numpy(0).items()}
  for k in _torch_keys(pfi):  # load_state_dict is strict: give it every entry it expects
    if k.endswith('num_batches_tracked'):
      sd[k] = torch.tensor(0)
  original = pfi.load_state_dict_from_url
  pfi.load_state_dict_from_url = lambda url, progress=True: dict(sd)  # instead of the download
  try:
    features = pfi.InceptionV3([3], resize_input=True, normalize_input=True).eval()
    full = pfi.fid_inception_v3().eval()
  finally:
    pfi.load_state_dict_from_url = original
  return torch, features, full, sd


def _torch_keys(pfi):
  """The state-dict keys of pytorch-fid's network, built without weights."""
  net = pfi._inception_v3(num_classes=1008, aux_logits=False, weights=None)  # pylint: disable=protected-access
  net.Mixed_5b = pfi.FIDInceptionA(192, pool_features=32)
  net.Mixed_5c = pfi.FIDInceptionA(256, pool_features=64)
  net.Mixed_5d = pfi.FIDInceptionA(288, pool_features=64)
  net.Mixed_6b = pfi.FIDInceptionC(768, channels_7x7=128)
  net.Mixed_6c = pfi.FIDInceptionC(768, channels_7x7=160)
  net.Mixed_6d = pfi.FIDInceptionC(768, channels_7x7=160)
  net.Mixed_6e = pfi.FIDInceptionC(768, channels_7x7=192)
  net.Mixed_7b = pfi.FIDInceptionE_1(1280)
  net.Mixed_7c = pfi.FIDInceptionE_2(2048)
  return net.state_dict().keys()


def test_port_equals_pytorch_fid_on_the_same_weights(pytorch_fid_model, tmp_path):
  torch, features_net, full_net, sd = pytorch_fid_model
  rng = np.random.default_rng(3)
  images = rng.uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32)
  q = inc.quantize_host(images)
  with torch.no_grad():
    x = torch.from_numpy(q / 255.0).permute(0, 3, 1, 2).float()  # pytorch-fid's [0, 1] input
    ref_pool = features_net(x)[0][:, :, 0, 0].numpy()
    ref_logits = full_net.fc(torch.from_numpy(ref_pool)).numpy()
  # Load through the .pth path (torch.load) as a user would.
  pth = str(tmp_path / 'random.pth')
  torch.save(sd, pth)
  variables = inc.load_variables(pth)
  pool3, logits = our_features(variables, images)
  assert rel_err(pool3, ref_pool) <= 1e-4
  assert rel_err(logits, ref_logits) <= 1e-4
  assert np.abs(ref_pool).mean() > 0.1  # the comparison is not between near-zero vectors
  assert sum(p.numel() for p in full_net.parameters()) == sum(
      np.size(x) for x in jax.tree.leaves(variables['params']))
  # The converter script gives the same weights (and fingerprint) without torch at use time.
  npz = str(tmp_path / 'random.npz')
  out = subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'convert_inception.py'),
                        pth, npz], capture_output=True, text=True, env=subprocess_env(),
                       check=False)
  assert out.returncode == 0, out.stderr
  converted = inc.load_variables(npz)
  assert inc.variables_fingerprint(converted) in out.stdout
  assert inc.variables_fingerprint(converted) == inc.variables_fingerprint(variables)
  np.testing.assert_array_equal(our_features(converted, images)[0], pool3)


def test_tf1_resize_equals_torch_fidelitys():
  torch = pytest.importorskip('torch')
  compat = pytest.importorskip('torch_fidelity.interpolate_compat_tensorflow')
  x = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 3)).astype(np.float32)
  ref = compat.interpolate_bilinear_2d_like_tensorflow1x(
      torch.from_numpy(x).permute(0, 3, 1, 2), size=(299, 299), align_corners=False)
  ours = np.asarray(inc.resize_bilinear(jnp.asarray(x), half_pixel=False))
  np.testing.assert_allclose(ours, ref.permute(0, 2, 3, 1).numpy(), atol=1e-3)
  # Not pytorch-fid's resize: the two differ by many grey levels.
  assert np.abs(ours - np.asarray(inc.resize_bilinear(jnp.asarray(x)))).max() > 20


def test_is_and_kid_equal_torch_fidelity_end_to_end(tmp_path):
  """Images -> IS and KID through our extractor and through torch-fidelity's
  FeatureExtractorInceptionV3 (its input path) on the same random weights."""
  torch = pytest.importorskip('torch')
  pytest.importorskip('torch_fidelity')
  from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
  from torch_fidelity.metric_isc import isc_features_to_metric
  from torch_fidelity.metric_kid import kid_features_to_metric
  from gan_jax.metrics import feature_metrics
  sd = random_state_dict_numpy(0)
  pth = str(tmp_path / 'random.pth')
  full = {k: torch.from_numpy(v) for k, v in sd.items()}
  full.update({k.replace('.weight', '.num_batches_tracked'): torch.tensor(0)
               for k in sd if k.endswith('.bn.weight')})
  torch.save(full, pth)
  ref_net = FeatureExtractorInceptionV3('inception-v3-compat', ['2048', 'logits_unbiased'],
                                        feature_extractor_weights_path=pth)
  rng = np.random.default_rng(7)
  fake = rng.uniform(-1, 1, (12, 32, 32, 3)).astype(np.float32)
  real = np.clip(fake * 0.5 + rng.normal(0, 0.3, fake.shape), -1, 1).astype(np.float32)

  def torch_features(images):
    u8 = torch.from_numpy(inc.quantize_host(images).astype(np.uint8)).permute(0, 3, 1, 2)
    with torch.no_grad():
      pool, logits = ref_net(u8.contiguous())
    return pool.double(), logits.double()

  (tf_pool, tf_logits), (tr_pool, _) = torch_features(fake), torch_features(real)
  mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ('data',))
  extractor = feature_metrics.InceptionExtractor(pth, feature_metrics.IS_KID_INPUT, mesh)
  pool, logits = extractor(inc.quantize_host(fake), 6)
  real_pool, _ = extractor(inc.quantize_host(real), 6)
  assert rel_err(pool, tf_pool.numpy()) < 1e-5 and rel_err(logits, tf_logits.numpy()) < 1e-5
  ref = isc_features_to_metric(tf_logits, splits=3)
  mean, std = stats.inception_score_from_logits(logits, splits=3)
  assert mean == pytest.approx(ref['inception_score_mean'], rel=1e-5)
  assert std == pytest.approx(ref['inception_score_std'], rel=1e-3, abs=1e-6)
  ref = kid_features_to_metric(tf_pool, tr_pool, kid_subsets=4, kid_subset_size=10,
                               kid_kernel='poly', kid_kernel_poly_degree=3,
                               kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1,
                               rng_seed=2020, verbose=False)
  mean, _ = stats.kernel_inception_distance(pool, real_pool, subsets=4, subset_size=10)
  assert mean == pytest.approx(ref['kernel_inception_distance_mean'], rel=1e-4)
  with pytest.raises(UserError, match='kid_subset_size=20 is larger than the number of samples'):
    stats.kernel_inception_distance(pool, real_pool, subsets=4, subset_size=20)


def test_frechet_distance_equals_pytorch_fid():
  fid_score = pytest.importorskip('pytorch_fid.fid_score')
  rng = np.random.default_rng(4)
  a = rng.normal(size=(300, 32))
  b = rng.normal(size=(200, 32)) @ rng.normal(size=(32, 32)) * 0.3 + 0.2
  mu1, s1 = stats.mean_cov(a)
  mu2, s2 = stats.mean_cov(b)
  ref = fid_score.calculate_frechet_distance(mu1, s1, mu2, s2)
  assert stats.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(ref, rel=1e-6)


def test_is_kid_pr_equal_torch_fidelity():
  torch = pytest.importorskip('torch')
  pytest.importorskip('torch_fidelity')
  from torch_fidelity.metric_isc import isc_features_to_metric
  from torch_fidelity.metric_kid import kid_features_to_metric
  from torch_fidelity.metric_prc import prc_features_to_metric
  rng = np.random.default_rng(5)
  logits = rng.normal(0, 3, (503, 50))  # not a multiple of 10: split edges matter
  ref = isc_features_to_metric(torch.from_numpy(logits))
  mean, std = stats.inception_score_from_logits(logits)
  assert mean == pytest.approx(ref['inception_score_mean'], rel=1e-9)
  assert std == pytest.approx(ref['inception_score_std'], rel=1e-6)

  fake, real = rng.normal(size=(260, 16)), rng.normal(0.3, 1.1, (300, 16))
  kw = dict(kid_subsets=7, kid_subset_size=100, kid_kernel='poly', kid_kernel_poly_degree=3,
            kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1, rng_seed=2020, verbose=False)
  ref = kid_features_to_metric(torch.from_numpy(fake), torch.from_numpy(real), **kw)
  mean, std = stats.kernel_inception_distance(fake, real, subsets=7, subset_size=100)
  assert mean == pytest.approx(ref['kernel_inception_distance_mean'], rel=1e-9)
  assert std == pytest.approx(ref['kernel_inception_distance_std'], rel=1e-9)

  ref = prc_features_to_metric(torch.from_numpy(fake), torch.from_numpy(real), prc_neighborhood=3,
                               prc_batch_size=10000, save_cpu_ram=False, verbose=False)
  p, r = stats.precision_recall(real, fake, k=3)
  assert p == pytest.approx(ref['precision']) and r == pytest.approx(ref['recall'])
  assert 0 < p < 1 and 0 < r < 1


# -- in the framework -------------------------------------------------------------------

def test_fid_of_the_reference_set_against_itself_is_zero(weights_npz, tmp_path):
  """Real digits through the whole sample path ([-1, 1] -> quantize -> resize) give
  the reference statistics back: FID ~ 0, and the cache file is reused."""
  import launch as launch_mod
  from gan_jax import parallel
  from gan_jax.data.pipeline import to_float
  from gan_jax.metrics.context import EvalContext
  from gan_jax.metrics.registry import METRICS
  from gan_jax.metrics import feature_metrics as fm
  config = launch_mod.load_config([
      'launch.py', f'--config={experiment("dcgan_mnist.py")}:digits,smoke',
      f'--config.eval.inception_weights={weights_npz}', '--config.eval.reference_samples=40',
      f'--config.eval.cache_dir={tmp_path}', '--config.eval.batch_size=8'])
  mesh = parallel.make_mesh()
  real = fm._real_images(config)  # pylint: disable=protected-access
  assert real.shape == (40, 16, 16, 1)
  ctx = EvalContext(config, mesh)
  out = METRICS.get('fid').compute(to_float(real), ctx)
  assert out['fid40_train'] == pytest.approx(0.0, abs=1e-3)
  cached = os.listdir(tmp_path)
  assert len(cached) == 1 and ctx.features.extractor.fingerprint in cached[0]
  shifted = METRICS.get('fid').compute(np.clip(to_float(real) * 0.5 + 0.3, -1, 1),
                                       EvalContext(config, mesh))
  assert shifted['fid40_train'] > 1.0
  assert os.listdir(tmp_path) == cached
  # A corrupt cache file is recomputed with a warning, not a crash.
  with open(os.path.join(tmp_path, cached[0]), 'wb') as f:
    f.write(b'garbage')
  again = METRICS.get('fid').compute(to_float(real), EvalContext(config, mesh))
  assert again['fid40_train'] == pytest.approx(0.0, abs=1e-3)
  # clean-fid's PIL bicubic resize: its own cache entry, the same identity.
  with config.unlocked():
    config.eval.resize = 'pil_bicubic'
  bicubic = METRICS.get('fid').compute(to_float(real), EvalContext(config, mesh))
  assert bicubic['fid40_train'] == pytest.approx(0.0, abs=1e-3)
  assert len(os.listdir(tmp_path)) == 2 and any('pil_bicubic' in f for f in os.listdir(tmp_path))


def test_inception_metrics_in_the_loop_and_best_checkpoint(launch, weights_npz, tmp_path):
  workdir = str(tmp_path / 'run')
  common = [f'--config={experiment("dcgan_mnist.py")}:digits,smoke',
            f'--config.eval.inception_weights={weights_npz}',
            "--config.eval.metrics=('fid','is','kid','pr')", '--config.eval.every=2',
            '--config.eval.main_metric=fid', '--config.eval.main_mode=min',
            '--config.eval.reference_samples=32', f'--config.eval.cache_dir={tmp_path}/cache',
            '--config.eval.kid_subset_size=8', '--config.eval.kid_subsets=3']
  code, _, err = launch(*common, f'--workdir={workdir}')
  assert code == 0, err
  rows = [json.loads(line) for line in open(os.path.join(workdir, 'metrics.jsonl'))]
  evals = [r for r in rows if 'fid16_train' in r]
  assert [r['step'] for r in evals] == [2, 4]
  for key in ('fid16_train', 'is16', 'kid16_train', 'precision16_train', 'recall16_train'):
    assert np.isfinite(evals[-1][key])
  best = json.load(open(os.path.join(workdir, 'best_checkpoint.json')))
  best_row = min(evals, key=lambda r: r['fid16_train'])
  assert best['metric'] == 'fid16_train' and best['step'] == best_row['step']
  assert best['value'] == pytest.approx(best_row['fid16_train'])
  code, out, err = launch(*common, f'--workdir={workdir}', '--mode=eval', '--checkpoint=best')
  assert code == 0, err
  line = json.loads(out.strip().splitlines()[-1])
  assert line['step'] == best['step'] and line['checkpoint'] == 'best'
  assert line['fid16_train'] == pytest.approx(best['value'], rel=1e-5)
  assert line['protocol']['reference'].endswith('32 images')
