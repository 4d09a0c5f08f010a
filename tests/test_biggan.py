"""BigGAN: the reference networks' parameter counts, the orthogonal regulariser
against BigGAN-PyTorch's gradient formula, the hierarchical z and shared
embedding, truncated sampling, the EMA start, the config errors, and the smoke
runs through launch.py (bitwise the recorded states)."""

import os

import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import test_fingerprints

from gan_jax import losses
from gan_jax.data.base import DataInfo
from gan_jax.errors import UserError
from gan_jax.inference import count_params
from gan_jax.methods.gan import GAN
from gan_jax.models.registry import GENERATORS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config(name, arg=None):
  import biggan_cifar10  # pylint: disable=g-import-not-at-top  (experiments/ is on sys.path)
  import biggan_imagenet128  # pylint: disable=g-import-not-at-top
  return {'cifar': biggan_cifar10, 'imagenet': biggan_imagenet128}[name].get_config(arg)


@pytest.mark.parametrize('name, shape, classes, g, d', [
    # Counted from BigGAN-PyTorch's BigGAN.py on CPU (launch_cifar_ema.sh and
    # launch_BigGAN_bs256x8.sh settings).
    ('cifar', (32, 32, 3), 10, 4_304_387, 4_207_361),
    ('imagenet', (128, 128, 3), 1000, 70_433_988, 87_982_370),
])
def test_parameter_counts_equal_the_reference(name, shape, classes, g, d):
  state = jax.eval_shape(GAN(_config(name), DataInfo(shape, classes)).init,
                         jax.random.PRNGKey(0))
  assert (count_params(state.g.params), count_params(state.d.params)) == (g, d)


def test_orthogonal_penalty_gradient_is_the_reference_formula():
  rng = np.random.default_rng(0)
  params = {'conv': {'kernel': rng.normal(size=(3, 3, 4, 5))},   # (kh, kw, in, out)
            'dense': {'kernel': rng.normal(size=(6, 3)), 'bias': rng.normal(size=(3,))},
            'emb': {'embedding': rng.normal(size=(7, 4))},
            'shared': {'embedding': rng.normal(size=(7, 4))}}
  params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), params)
  grads = jax.grad(losses.orthogonal_penalty)(params, ('shared',))

  def reference(w):  # utils.ortho: 2 (W W^T * (1 - I)) W, W = param.view(out, -1)
    return 2 * ((w @ w.T) * (1 - np.eye(w.shape[0]))) @ w

  conv = np.asarray(params['conv']['kernel'])
  w = conv.transpose(3, 2, 0, 1).reshape(5, -1)   # PyTorch's (out, in, kh, kw)
  want = reference(w).reshape(5, 4, 3, 3).transpose(2, 3, 1, 0)
  np.testing.assert_allclose(grads['conv']['kernel'], want, rtol=1e-4, atol=1e-3)
  dense = np.asarray(params['dense']['kernel'])
  np.testing.assert_allclose(grads['dense']['kernel'], reference(dense.T).T, rtol=1e-4,
                             atol=1e-4)
  np.testing.assert_allclose(grads['emb']['embedding'],
                             reference(np.asarray(params['emb']['embedding'])), rtol=1e-4,
                             atol=1e-4)
  assert not np.any(grads['dense']['bias']) and not np.any(grads['shared']['embedding'])
  # The value by hand on a 2 x 2 matrix: rows (1, 2) and (3, 4) meet in 11.
  one = {'d': {'kernel': jnp.array([[1.0, 3.0], [2.0, 4.0]])}}
  assert float(losses.orthogonal_penalty(one)) == pytest.approx(0.5 * 2 * 11 ** 2)


def _imagenet_smoke_generator():
  c = _config('imagenet', 'smoke')
  return GENERATORS.get('biggan')(c.model, DataInfo((32, 32, 1), 10)), c


def test_hierarchical_z_and_the_shared_embedding():
  g, c = _imagenet_smoke_generator()   # z 12 in 4 chunks of 3; shared embedding of 8
  z = jax.random.normal(jax.random.PRNGKey(0), (2, 12))
  y = jnp.array([1, 2])
  v = g.init(jax.random.PRNGKey(1), z, y, train=False)
  p = v['params']
  assert p['shared']['embedding'].shape == (10, 8)
  assert p['linear']['kernel'].shape == (3, 16 * 4 * c.model.g_width)  # chunk 0 only
  assert p['block0']['bn1']['gain']['kernel'].shape == (8 + 3, 4 * c.model.g_width)
  assert 'attention1' in p and 'attention0' not in p   # attention at 16 px: after block 1

  def blocks(zz, yy):
    _, st = g.apply(v, zz, yy, train=False, capture_intermediates=True)
    return [st['intermediates'][f'block{i}']['__call__'][0] for i in range(3)]

  base = blocks(z, y)
  moved = blocks(z.at[:, 9:].add(1.0), y)   # the last chunk feeds the last block only
  np.testing.assert_array_equal(base[0], moved[0])
  np.testing.assert_array_equal(base[1], moved[1])
  assert float(jnp.max(jnp.abs(base[2] - moved[2]))) > 0
  other = blocks(z, jnp.array([3, 2]))       # the class reaches every block
  assert float(jnp.max(jnp.abs(base[0][0] - other[0][0]))) > 0
  np.testing.assert_array_equal(base[0][1], other[0][1])


def test_standing_statistics_under_truncation():
  # G_ema's BatchNorm statistics recomputed under truncated z; the spectral norms'
  # vectors stay as trained.
  c = _config('cifar', 'digits,smoke')
  c.model.truncation, c.model.standing_stats = 0.5, 2
  method = GAN(c, DataInfo((32, 32, 1), 10))
  state = method.init(jax.random.PRNGKey(0))
  assert state.g.ema_stats                     # BigGAN samples with G_ema's statistics
  before = flax.traverse_util.flatten_dict(state.g.ema_stats)
  after = flax.traverse_util.flatten_dict(method.sampling_state(state).g.ema_stats)
  bn = [k for k in before if k[-1] in ('mean', 'var')]
  assert len(bn) >= 4 and set(after) == set(before)
  for k in before:
    if k in bn:
      assert not np.allclose(after[k], before[k])
    else:
      np.testing.assert_array_equal(after[k], before[k])
  assert min(float(jnp.min(after[k])) for k in bn if k[-1] == 'var') >= 0
  images = method.generate(method.sampling_state(state),
                           method.sample_inputs(jax.random.PRNGKey(1), 4))
  assert images.shape == (4, 32, 32, 1) and bool(jnp.all(jnp.isfinite(images)))


def test_truncated_sampling_and_the_ema_start():
  c = _config('cifar', 'digits,smoke')
  c.model.truncation = 0.5
  method = GAN(c, DataInfo((32, 32, 1), 10))
  z = method.sample_inputs(jax.random.PRNGKey(0), 500)['z']
  assert float(jnp.max(jnp.abs(z))) <= 0.5 and float(jnp.std(z)) < 0.3  # N(0,1) on [-.5, .5]
  c.model.truncation = 0.0
  z = GAN(c, DataInfo((32, 32, 1), 10)).sample_inputs(jax.random.PRNGKey(0), 500)['z']
  assert float(jnp.max(jnp.abs(z))) > 2.5
  c.ema.start, c.ema.decay = 2, 0.5
  method = GAN(c, DataInfo((32, 32, 1), 10))
  state = method.init(jax.random.PRNGKey(0))
  n = c.train.batch_size * c.train.n_critic
  batch = {'image': jax.random.uniform(jax.random.PRNGKey(1), (n, 32, 32, 1), minval=-1),
           'label': jnp.arange(n, dtype=jnp.int32) % 10}
  step = jax.jit(method.train_step)
  state, m = step(state, batch)             # step 1 < start: the EMA is G itself
  for ema, live in ((state.g.ema, state.g.params), (state.g.ema_stats, state.g.batch_stats)):
    for e, p in zip(jax.tree.leaves(ema), jax.tree.leaves(live)):
      np.testing.assert_array_equal(e, p)
  before, stats_before = state.g.params, state.g.batch_stats
  state, _ = step(state, batch)             # step 2: averaging starts
  want = jax.tree.map(lambda a, b: 0.5 * a + 0.5 * b, before, state.g.params)
  for e, w in zip(jax.tree.leaves(state.g.ema), jax.tree.leaves(want)):
    np.testing.assert_allclose(e, w, rtol=1e-6, atol=1e-7)
  # BatchNorm's running statistics are averaged too; spectral norm's vectors stay G's own.
  flat = lambda t: {jax.tree_util.keystr(k): v for k, v in jax.tree_util.tree_leaves_with_path(t)}
  ema, live, old = flat(state.g.ema_stats), flat(state.g.batch_stats), flat(stats_before)
  assert any(k.endswith("'mean']") for k in ema) and any(k.endswith("/u']") for k in ema)
  for k in ema:
    want = live[k] if k.endswith(("/u']", "/v']")) else 0.5 * old[k] + 0.5 * live[k]
    np.testing.assert_allclose(ema[k], want, rtol=1e-6, atol=1e-7, err_msg=k)
  assert np.isfinite(float(m['d_loss'])) and np.isfinite(float(m['g_loss']))


def test_config_errors_name_the_value_and_what_is_allowed():
  c = _config('cifar', 'digits,smoke')
  make = lambda cc, shape=(32, 32, 1), k=10: GAN(cc, DataInfo(shape, k))
  with pytest.raises(UserError, match='image_size=48; allowed: 16, 32, 64, 128, 256'):
    make(c, (48, 48, 1))
  c.model.conditional = False
  with pytest.raises(UserError, match='class-conditional'):
    make(c)
  c = _config('imagenet', 'smoke')
  c.model.z_dim = 13
  with pytest.raises(UserError, match='z_dim=13.*4 equal chunks.*multiple of 4'):
    make(c)
  c = _config('imagenet', 'smoke')
  c.model.attention = (64,)
  with pytest.raises(UserError, match=r'attention=\(64,\).*8, 16, 32 px'):
    make(c)
  c = _config('cifar', 'digits,smoke')
  c.model.init = 'kaiming'
  with pytest.raises(UserError, match="'kaiming'; allowed: N02, ortho, xavier"):
    make(c)


@pytest.mark.parametrize('name, arg', [('biggan_digits', 'biggan_cifar10.py:digits,smoke'),
                                       ('biggan_imagenet128', 'biggan_imagenet128.py:smoke')])
def test_smoke_runs_through_launch(name, arg, launch, tmp_path):
  wd = str(tmp_path / 'run')
  code, out, err = launch(f'--config={os.path.join(ROOT, "experiments", arg)}', f'--workdir={wd}')
  assert code == 0, err
  assert 'step 4/4' in out and 'g_loss' in out
  test_fingerprints.assert_state_recorded(os.path.join(wd, 'checkpoints'), name)
  assert os.path.exists(os.path.join(wd, 'samples', 'step_000004.png'))
