"""The stability toolbox against independent computations: gradient penalty vs
finite differences, R1 by hand, spectral norm vs numpy's SVD, WGAN clipping,
EMA arithmetic, DiffAugment, n_critic batches, conditional sampling, mode
coverage on hand-made sets, SNGAN parameter counts by hand."""

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from gan_jax import augment, config as config_lib, losses
from gan_jax.data import pipeline, sources
from gan_jax.data.embedded import toy_mixture
from gan_jax.errors import UserError
from gan_jax.inference import count_params
from gan_jax.data.base import DataInfo
from gan_jax.methods import phases as phases_lib
from gan_jax.methods.network import NetworkState, ema_update
from gan_jax.methods.phases import Phase, run_phases
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.gan import GAN
from gan_jax.metrics.modes import mode_coverage
from gan_jax.models.layers import SpectralNorm
from gan_jax.models.registry import DISCRIMINATORS, GENERATORS


def test_gradient_penalty_matches_finite_differences():
  w = jax.random.normal(jax.random.PRNGKey(0), (12, 5))
  d_fn = lambda x: jnp.sum(jnp.tanh(x.reshape(x.shape[0], -1) @ w), axis=1)
  real = jax.random.normal(jax.random.PRNGKey(1), (3, 2, 2, 3))
  fake = jax.random.normal(jax.random.PRNGKey(2), (3, 2, 2, 3))
  key = jax.random.PRNGKey(3)
  gp = float(losses.gradient_penalty(d_fn, real, fake, key))
  # Independent: the same interpolates, gradients by central differences in float64.
  eps = np.asarray(jax.random.uniform(key, (3, 1, 1, 1)))
  x_hat = eps * np.asarray(real, np.float64) + (1 - eps) * np.asarray(fake, np.float64)
  w64 = np.asarray(w, np.float64)
  f = lambda x: np.sum(np.tanh(x.reshape(-1) @ w64))
  norms = []
  for i in range(3):
    g = np.zeros(12)
    for j in range(12):
      e = np.zeros(12)
      e[j] = 1e-6
      g[j] = (f(x_hat[i].reshape(-1) + e) - f(x_hat[i].reshape(-1) - e)) / 2e-6
    norms.append(np.linalg.norm(g))
  assert gp == pytest.approx(np.mean((np.array(norms) - 1) ** 2), rel=1e-4)


def test_r1_by_hand():
  w = jnp.array([1.0, -2.0, 0.5, 3.0])
  d_fn = lambda x: x.reshape(x.shape[0], -1) @ w  # grad = w for every sample
  real = jnp.ones((5, 2, 2, 1))
  assert float(losses.r1_penalty(d_fn, real)) == pytest.approx(1 + 4 + 0.25 + 9)


def test_spectral_norm_equals_pytorchs():
  """Ours against torch.nn.utils.spectral_norm on the same weights and the same
  initial u, v: outputs and vectors through training calls, then an eval call;
  the raw weights keep their init (PyTorch's weight_orig); sigma -> top singular value."""
  torch = pytest.importorskip('torch')
  layer = SpectralNorm(nn.Dense(7))
  x = jax.random.normal(jax.random.PRNGKey(1), (3, 5))
  variables = layer.init(jax.random.PRNGKey(0), x, update_stats=False)
  kernel = np.asarray(variables['params']['layer_instance']['kernel'])  # (in 5, out 7)
  raw = nn.Dense(7).init(jax.random.PRNGKey(0), x)['params']['kernel']
  assert kernel.std() == pytest.approx(float(np.std(raw)), rel=0.5)  # not divided by sigma
  stats = (variables['batch_stats']['layer_instance/kernel/u'],
           variables['batch_stats']['layer_instance/kernel/v'])
  ref = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 7))
  with torch.no_grad():
    ref.weight_orig.copy_(torch.tensor(kernel.T))
    ref.bias.copy_(torch.tensor(np.asarray(variables['params']['layer_instance']['bias'])))
    ref.weight_u.copy_(torch.tensor(np.asarray(stats[0])))  # u: out-space (7), v: in-space (5)
    ref.weight_v.copy_(torch.tensor(np.asarray(stats[1])))
  tx = torch.tensor(np.asarray(x))
  for _ in range(3):
    y, upd = layer.apply(variables, x, update_stats=True, mutable=['batch_stats'])
    variables = {'params': variables['params'], 'batch_stats': upd['batch_stats']}
    np.testing.assert_allclose(np.asarray(y), ref(tx).detach().numpy(), rtol=1e-5, atol=1e-6)
  ref.eval()
  np.testing.assert_allclose(np.asarray(layer.apply(variables, x, update_stats=False)),
                             ref(tx).detach().numpy(), rtol=1e-5, atol=1e-6)
  for _ in range(100):
    _, upd = layer.apply(variables, x, update_stats=True, mutable=['batch_stats'])
    variables = {'params': variables['params'], 'batch_stats': upd['batch_stats']}
  # The layer computes x @ (W / sigma): its top singular value is 1.
  y = layer.apply(variables, jnp.eye(5), update_stats=False)
  bias = np.asarray(variables['params']['layer_instance']['bias'])
  assert np.linalg.svd(np.asarray(y) - bias, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-4)


def method_for(experiment_module, opts='digits,smoke', **overrides):
  import importlib  # pylint: disable=g-import-not-at-top
  c = importlib.import_module(experiment_module).get_config(opts)
  for k, v in overrides.items():
    node = c
    *path, last = k.split('.')
    for p in path:
      node = node[p]
    node[last] = v
  info = DataInfo((c.data.image_size, c.data.image_size, c.data.channels), 10)
  return c, GAN(c, info)


def fake_batch(c, n_critic=1, seed=0):
  rng = np.random.default_rng(seed)
  b = c.train.batch_size * n_critic
  shape = (b, c.data.image_size, c.data.image_size, c.data.channels)
  return {'image': jnp.asarray(rng.uniform(-1, 1, shape), jnp.float32),
          'label': jnp.asarray(rng.integers(0, 10, b), jnp.int32)}


def test_wgan_clips_critic_weights_and_not_generator():
  c, m = method_for('wgan_mnist', **{'train.n_critic': 2, 'optim.d.clip_before_step': False})
  state = m.init(jax.random.PRNGKey(0))
  step = jax.jit(m.train_step)
  for i in range(3):
    state, metrics = step(state, fake_batch(c, 2, i))
  d_max = max(float(jnp.abs(p).max()) for p in jax.tree.leaves(state.d.params))
  assert d_max <= 0.01 + 1e-7
  assert d_max == pytest.approx(0.01)  # RMSProp's first steps push weights to the bound
  assert max(float(jnp.abs(p).max()) for p in jax.tree.leaves(state.g.params)) > 0.01


@flax.struct.dataclass
class _TwoNets:
  step: jax.Array
  d: NetworkState
  g: NetworkState


@pytest.mark.parametrize('before, d_seen_by_g', [(False, 0.01), (True, 0.009)])
def test_clamp_before_the_critic_step_as_the_wgan_reference(before, d_seen_by_g):
  # D: loss |w|^2 / 2 (gradient w), SGD lr 0.1, clip 0.01, w = 0.5. After the
  # update (ours before): clip(0.9 w) = 0.01. Before the step (main.py's clamp_
  # at the top of each critic iteration): 0.9 clip(w) = 0.009, and G's step sees that.
  tx = optax.sgd(0.1)
  d = NetworkState.create({'params': jnp.array([0.5])}, tx, weight_clip=0.01,
                          clip_before_step=before)
  g = NetworkState.create({'params': jnp.array([1.0])}, tx)
  d_loss = lambda s, inp: (0.5 * jnp.sum(s.d.params ** 2), (s, {}, inp.carry))
  g_loss = lambda s, inp: (jnp.sum(s.g.params * s.d.params),
                           (s, {'d_seen': s.d.params[0]}, inp.carry))
  state = _TwoNets(jnp.zeros((), jnp.int32), d, g)
  state, metrics = run_phases([Phase('d', 'd', d_loss), Phase('g', 'g', g_loss)], state, {},
                              jax.random.PRNGKey(0))
  assert float(metrics['d_seen']) == pytest.approx(d_seen_by_g)
  assert float(state.d.params[0]) == pytest.approx(d_seen_by_g)


def test_batch_schedule_wgan_boost():
  s = pipeline.BatchSchedule(5, 100, 25, 500)
  counts = np.array([s.count(t) for t in range(1600)])
  assert set(np.nonzero(counts == 100)[0]) == set(range(25)) | {500, 1000, 1500}
  offsets = np.concatenate([[0], np.cumsum(counts)])
  assert [s.first(t) for t in range(1601)] == offsets.tolist()
  for args in ((2, 7, 0, 3), (2, 7, 4, 0), (3, 0, 25, 500), (1, 4, 10, 4)):
    s = pipeline.BatchSchedule(*args)
    counts = np.array([s.count(t) for t in range(40)])
    assert [s.first(t) for t in range(41)] == np.concatenate([[0], np.cumsum(counts)]).tolist()
  # The loop reads a boosted step's batches where the stream left off.
  src = sources.build_source(ml_collections.ConfigDict(dict(
      source='embedded:digits', split='train', image_size=8, channels=1, data_dir='',
      download=False, max_examples=0)))
  schedule = pipeline.BatchSchedule(2, 3, 1, 2)  # steps 0, 2, 4 read 3 batches, others 2
  b = pipeline.Batches(src, 4, seed=3, per_step=schedule)(2)
  assert len(b['label']) == 12
  for k in range(3):
    idx = pipeline.batch_indices(3, 3 + 2 + k, 4, len(src))
    np.testing.assert_array_equal(b['label'][k::3], src.get(idx)['label'])


def test_boosted_critic_steps_scanned_equal_unrolled(monkeypatch):
  c, m = method_for('wgan_mnist')  # smoke: critic_boost 10 > MAX_UNROLLED, as a lax.scan
  assert c.train.critic_boost == 10 > phases_lib.MAX_UNROLLED
  batch = fake_batch(c, 10)
  scanned, ms = jax.jit(m.train_step)(m.init(jax.random.PRNGKey(0)), batch)
  # Ten critic updates in one loop.
  assert 'length=10' in str(jax.make_jaxpr(m.train_step)(m.init(jax.random.PRNGKey(0)), batch))
  monkeypatch.setattr(phases_lib, 'MAX_UNROLLED', 100)
  c, m = method_for('wgan_mnist')
  unrolled, mu = jax.jit(m.train_step)(m.init(jax.random.PRNGKey(0)), batch)
  for a, b in zip(jax.tree.leaves((scanned.d.params, scanned.g.params, ms)),
                  jax.tree.leaves((unrolled.d.params, unrolled.g.params, mu))):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)  # RMSProp amplifies rounding


def test_sampling_with_batch_statistics():
  # pytorch/examples' DCGAN never calls eval(): its G samples with the batch's statistics.
  c, m = method_for('dcgan_mnist')
  assert c.model.sample_batch_stats
  state = m.init(jax.random.PRNGKey(0))
  inputs = m.sample_inputs(jax.random.PRNGKey(1), 8)
  images = np.asarray(m.generate(state, inputs))
  by_hand = m.generator.apply(state.g.variables(), inputs['z'], None, train=True,
                              mutable=['batch_stats'])[0]
  np.testing.assert_array_equal(images, by_hand)
  assert not np.allclose(images[:4], m.generate(state, {'z': inputs['z'][:4]}))  # batch-dependent
  _, running = method_for('dcgan_mnist', **{'model.sample_batch_stats': False})
  np.testing.assert_array_equal(running.generate(state, inputs), m.generator.apply(
      state.g.variables(), inputs['z'], None, train=False))
  assert not np.allclose(images, running.generate(state, inputs))


def test_standing_statistics_are_their_batches_statistics():
  # BigGAN's standing statistics. From one batch: sampling that batch with them is
  # sampling it with its own statistics (every BatchNorm sees the same input).
  c, m = method_for('dcgan_mnist', **{'model.sample_batch_stats': False,
                                       'model.standing_stats': 1})
  state = m.init(jax.random.PRNGKey(0))
  key = jax.random.PRNGKey(0x57A5)              # the method's fixed key
  inputs = m.sample_inputs(jax.random.fold_in(key, 0), c.train.batch_size)
  own = m.generator.apply(state.g.variables(), inputs['z'], None, train=True,
                          mutable=['batch_stats'])[0]
  np.testing.assert_allclose(m.generate(m.sampling_state(state), inputs), own, atol=2e-5)
  assert not np.allclose(m.generate(state, inputs), own, atol=1e-2)   # the running averages
  # From three: the mean of each batch's mean and variance, read here from one
  # momentum update of the initial running averages r0: (r1 - 0.9 r0) / 0.1.
  _, m3 = method_for('dcgan_mnist', **{'model.sample_batch_stats': False,
                                        'model.standing_stats': 3})
  r0 = flax.traverse_util.flatten_dict(state.g.batch_stats)
  per_batch = []
  for i in range(3):
    z = m3.sample_inputs(jax.random.fold_in(key, i), c.train.batch_size)['z']
    r1 = flax.traverse_util.flatten_dict(m3.generator.apply(
        state.g.variables(), z, None, train=True, mutable=['batch_stats'])[1]['batch_stats'])
    per_batch.append({k: (np.asarray(r1[k]) - 0.9 * np.asarray(r0[k])) / 0.1 for k in r0})
  standing = flax.traverse_util.flatten_dict(m3.sampling_state(state).g.batch_stats)
  assert {k[-1] for k in standing} == {'mean', 'var'}
  for k in r0:
    np.testing.assert_allclose(standing[k], np.mean([b[k] for b in per_batch], axis=0),
                               rtol=1e-4, atol=1e-5)
  with pytest.raises(UserError, match='standing_stats=1 with model.sample_batch_stats'):
    method_for('dcgan_mnist', **{'model.standing_stats': 1})
  _, no_bn = method_for('gan_mnist', **{'model.standing_stats': 2})
  with pytest.raises(UserError, match="standing_stats=2, but generator 'mlp' has no BatchNorm"):
    no_bn.sampling_state(no_bn.init(jax.random.PRNGKey(0)))


def test_packing_pacgan():
  c, m = method_for('dcgan_mnist', **{'model.packing': 2})
  x = jnp.arange(4 * 2 * 2 * 3, dtype=jnp.float32).reshape(4, 2, 2, 3)
  p = m.pack(x)  # rows 0, 1 -> packed row 0; rows 2, 3 -> packed row 1
  assert p.shape == (2, 2, 2, 6)
  for b, k in ((0, 0), (0, 1), (1, 0), (1, 1)):
    np.testing.assert_array_equal(p[b, ..., 3 * k:3 * k + 3], x[2 * b + k])
  np.testing.assert_array_equal(m.unpack(p), x)
  state = m.init(jax.random.PRNGKey(0))
  first = state.d.params['Conv_0']['kernel']
  assert first.shape[2] == 2 * c.data.channels  # D's input width grows, nothing else
  _, plain = method_for('dcgan_mnist')
  assert first.shape[3] == plain.init(jax.random.PRNGKey(0)).d.params['Conv_0']['kernel'].shape[3]
  assert plain.pack(x) is x  # m = 1: today's D, unchanged (the fingerprints hold it bitwise)
  state, metrics = jax.jit(m.train_step)(state, fake_batch(c))
  assert all(np.isfinite(float(v)) for v in metrics.values())
  # The MLP and SNGAN discriminators take packed inputs too.
  c, m = method_for('toy2d', 'ring8,smoke', **{'model.packing': 4})
  state, metrics = jax.jit(m.train_step)(m.init(jax.random.PRNGKey(0)), {
      'image': jnp.zeros((c.train.batch_size, 1, 1, 2)), 'label': jnp.zeros((c.train.batch_size,),
                                                                            jnp.int32)})
  assert np.asarray(state.d.params['Dense_0']['kernel']).shape[0] == 4 * 2
  d = DISCRIMINATORS.get('sngan_resnet')(ml_collections.ConfigDict(dict(
      d_width=8, conditional=False)), DataInfo((8, 8, 2), 0))  # 1 channel x packing 2
  assert d.init(jax.random.PRNGKey(0), jnp.zeros((2, 8, 8, 2)), train=False)[
      'params']['DBlock_0']['Conv_0']['kernel'].shape[2] == 2
  with pytest.raises(UserError, match='not divisible by model.packing=3'):
    method_for('dcgan_mnist', **{'model.packing': 3})
  with pytest.raises(UserError, match='PacGAN packs unlabelled samples'):
    method_for('cgan_mnist', **{'model.packing': 2})


def test_pacgan_mode_metrics_on_hand_made_points():
  from gan_jax.metrics.modes import pacgan_modes
  centers, std = toy_mixture('pacgan_ring')
  np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0)
  assert std == 0.01
  off = np.array([0.0299, 0.0])  # inside 3 std; 0.0301 is outside (strictly < 3 std counts)
  pts = np.stack([centers[0], centers[0] + off, centers[1], centers[2] - off,
                  centers[3] + [0.0301, 0.0], [5.0, 5.0]])
  r = pacgan_modes(pts, centers, std)
  assert r['modes'] == 3 and r['high_quality'] == pytest.approx(4 / 6)
  # histogram (1/2, 1/4, 1/4) over 8 modes: KL to uniform = ln 8 - H(p)
  assert r['reverse_kl'] == pytest.approx(0.5 * np.log(4) + 0.5 * np.log(2))
  even = pacgan_modes(np.repeat(centers, 3, axis=0), centers, std)
  assert even['modes'] == 8 and even['high_quality'] == 1 and even['reverse_kl'] == pytest.approx(0)
  assert np.isnan(pacgan_modes(np.full((4, 2), 9.0), centers, std)['reverse_kl'])


def test_stacked_digits_data_and_modes_against_the_digits():
  from gan_jax.data.embedded import digits_arrays, stacked_digits
  from gan_jax.data.pipeline import to_float
  from gan_jax.metrics import sample_metrics
  from gan_jax.metrics.modes import histogram_modes
  cfg = lambda **kw: ml_collections.ConfigDict(dict(dict(split='test', image_size=8,
                                                         channels=3), **kw))
  src = stacked_digits(cfg())
  assert src.images.shape == (26000, 8, 8, 3) and src.num_classes == 1000
  digits, labels = digits_arrays('test')
  # Each channel is one of the held-out digits, and the label spells the three classes.
  for i in range(0, 26000, 2611):
    for k, scale in enumerate((100, 10, 1)):
      match = np.flatnonzero((digits == src.images[i, ..., k]).all(axis=(1, 2)))
      assert len(match) and labels[match[0]] == src.labels[i] // scale % 10
  with pytest.raises(UserError, match='set data.channels=3'):
    stacked_digits(cfg(channels=1))
  # The histogram figures by hand: 100 of 1,000 modes equally often -> KL = ln 10.
  r = histogram_modes(np.repeat(np.arange(0, 1000, 10), 3), 1000)
  assert r['modes'] == 100 and r['reverse_kl'] == pytest.approx(np.log(10))
  # The instrument: held-out real stacked digits cover nearly every mode; the same
  # images with one digit copied to all three channels cover at most the 10 aaa modes
  # the classifier reads, plus its mistakes.
  real = to_float(src.images[:3000])
  r = sample_metrics.stacked_digits_modes(real)
  assert r['stacked_digits_modes'] > 900 and r['stacked_digits_reverse_kl'] < 0.4
  assert r['stacked_digits_real_modes'] == r['stacked_digits_modes']  # the same 3,000 images
  collapsed = sample_metrics.stacked_digits_modes(np.repeat(real[..., :1], 3, axis=-1))
  assert collapsed['stacked_digits_modes'] <= 40
  assert collapsed['stacked_digits_reverse_kl'] > np.log(1000 / 40)
  noise = np.random.default_rng(0).uniform(-1, 1, real.shape).astype(np.float32)
  r_noise = sample_metrics.stacked_digits_modes(noise)
  assert r_noise['stacked_digits_confident_modes'] == 0 < r_noise['stacked_digits_modes']
  assert r['stacked_digits_confident_modes'] > 600  # 45 % of real triples are read confidently
  with pytest.raises(UserError, match='the samples have 1 channels, not 3'):
    sample_metrics.stacked_digits_modes(real[..., :1])


def test_g_steps_update_g_twice_on_fresh_noise():
  c, m = method_for('dcgan_mnist', **{'train.g_steps': 2, 'optim.g.name': 'sgd'})
  state, metrics = jax.jit(m.train_step)(m.init(jax.random.PRNGKey(0)), fake_batch(c))
  assert [p.name for p in m.phases()] == ['d', 'g'] and m.phases()[1].repeats == 2
  # By hand: the same step with G's phase run once, then a second G run from there.
  _, once = method_for('dcgan_mnist', **{'optim.g.name': 'sgd'})
  batch, rng = fake_batch(c), jax.random.fold_in(m.init(jax.random.PRNGKey(0)).rng, 0)
  s1 = m.init(jax.random.PRNGKey(0))
  s1, _ = run_phases(once.phases()[:1], s1, batch, rng)
  g = Phase('g', 'g', m._g_loss)
  s1, _, _ = phases_lib._run(g, s1, phases_lib.PhaseInputs(batch, rng, 1, 0, {}))
  s1, _, _ = phases_lib._run(g, s1, phases_lib.PhaseInputs(batch, rng, 2, 1, {}))
  for a, b in zip(jax.tree.leaves(state.g.params), jax.tree.leaves(s1.g.params)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  with pytest.raises(UserError, match='train.g_steps=1'):
    method_for('pacgan_toy', 'ring,smoke', **{'train.simultaneous': True, 'train.g_steps': 2})


def test_simultaneous_steps_g_against_the_d_before_its_update():
  # With simultaneous steps G's update cannot depend on D's learning rate; alternating, it does.
  def g_after(simultaneous, d_lr):
    c, m = method_for('pacgan_toy', 'ring,smoke', **{
        'train.simultaneous': simultaneous, 'optim.d.lr': d_lr, 'optim.d.name': 'sgd'})
    batch = {'image': jnp.asarray(np.random.default_rng(0).normal(size=(c.train.batch_size, 1, 1,
                                                                         2)), jnp.float32),
             'label': jnp.zeros((c.train.batch_size,), jnp.int32)}
    state, _ = jax.jit(m.train_step)(m.init(jax.random.PRNGKey(0)), batch)
    return jax.tree.leaves(state.g.params)
  for a, b in zip(g_after(True, 0.0), g_after(True, 10.0)):
    np.testing.assert_array_equal(a, b)
  assert any(not np.array_equal(a, b) for a, b in zip(g_after(False, 0.0), g_after(False, 10.0)))
  with pytest.raises(UserError, match='needs train.n_critic=1'):
    method_for('pacgan_toy', 'ring,smoke', **{'train.simultaneous': True, 'train.n_critic': 2})


def test_maxout_discriminator_by_hand():
  d = DISCRIMINATORS.get('maxout')(ml_collections.ConfigDict(dict(
      d_width=3, d_depth=1, depth=4, maxout_pieces=2, init_std=0.0, spectral_norm=False,
      conditional=False)), DataInfo((1, 1, 2), 0))
  x = jnp.array([[[[1.0, -2.0]]]])
  v = d.init(jax.random.PRNGKey(0), x, train=False)
  w, b = v['params']['Dense_0']['kernel'], v['params']['Dense_0']['bias']
  assert w.shape == (2, 6)  # 3 units x 2 pieces
  h = (np.array([1.0, -2.0]) @ np.asarray(w) + np.asarray(b)).reshape(3, 2).max(axis=1)
  head = v['params']['Dense_1']
  out = h @ np.asarray(head['kernel'])[:, 0] + float(head['bias'][0])
  assert float(d.apply(v, x, train=False)[0]) == pytest.approx(out, rel=1e-5)


def test_ema_update_by_hand_and_in_the_step():
  e = {'w': jnp.array([1.0, 2.0])}
  p = {'w': jnp.array([3.0, -2.0])}
  np.testing.assert_allclose(ema_update(e, p, 0.9)['w'], [1.2, 1.6])
  c, m = method_for('dcgan_mnist', **{'ema.decay': 0.75})
  s0 = m.init(jax.random.PRNGKey(0))
  s1, _ = jax.jit(m.train_step)(s0, fake_batch(c))
  for e0, g1, e1 in zip(jax.tree.leaves(s0.g.ema), jax.tree.leaves(s1.g.params),
                        jax.tree.leaves(s1.g.ema)):
    np.testing.assert_allclose(e1, 0.75 * e0 + 0.25 * g1, rtol=1e-6, atol=1e-7)


def test_gradient_penalty_in_step_and_batchnorm_refused():
  c, m = method_for('wgan_gp_cifar10', 'dcgan,digits,smoke')
  state, metrics = jax.jit(m.train_step)(m.init(jax.random.PRNGKey(0)), fake_batch(c, 2))
  assert np.isfinite(float(metrics['gradient_penalty'])) and float(metrics['gradient_penalty']) > 0
  with pytest.raises(UserError, match='d_batchnorm=False'):
    method_for('wgan_gp_cifar10', 'dcgan,digits,smoke', **{'model.d_batchnorm': True})


def test_lazy_r1_counts_only_on_its_steps():
  c, m = method_for('dcgan_mnist', **{'model.d_batchnorm': False, 'loss.r1_gamma': 10.0,
                                       'loss.r1_every': 2})
  step = jax.jit(m.train_step)
  state = m.init(jax.random.PRNGKey(0))
  r1 = []
  for i in range(3):
    state, metrics = step(state, fake_batch(c, 1, i))
    r1.append(float(metrics['r1']))
  assert r1[0] > 0 and r1[1] == 0 and r1[2] > 0


def test_diff_augment():
  x = jax.random.uniform(jax.random.PRNGKey(0), (8, 16, 16, 3), minval=-1, maxval=1)
  key = jax.random.PRNGKey(1)
  policy = 'color,translation,cutout'
  a = augment.diff_augment(x, key, policy)
  np.testing.assert_array_equal(a, augment.diff_augment(x, key, policy))
  assert not np.allclose(a, augment.diff_augment(x, jax.random.PRNGKey(2), policy))
  g = jax.grad(lambda x: jnp.sum(augment.diff_augment(x, key, policy) ** 2))(x)
  assert np.all(np.isfinite(g)) and float(jnp.abs(g).sum()) > 0
  # Cutout with ratio 1/2 zeroes a quarter of every image (square inside or clipped).
  cut = augment.diff_augment(jnp.ones((64, 16, 16, 1)), key, 'cutout')
  zeroed = np.mean(np.asarray(cut) == 0, axis=(1, 2, 3))
  assert zeroed.max() == pytest.approx(0.25) and zeroed.min() >= 0.0625
  # Translation by at most 1/8 of the size: a single bright pixel moves at most 2 px.
  img = jnp.zeros((32, 16, 16, 1)).at[:, 8, 8, 0].set(1.0)
  moved = np.asarray(augment.diff_augment(img, key, 'translation'))[..., 0]
  ys, xs = np.nonzero(moved.sum(axis=0))  # everywhere the pixel landed
  assert np.all(np.abs(ys - 8) <= 2) and np.all(np.abs(xs - 8) <= 2)
  assert np.all(moved.reshape(32, -1).sum(axis=1) == 1)
  with pytest.raises(UserError, match="unknown part"):
    augment.check_policy('color,flip')


def test_n_critic_batches_are_interleaved():
  src = sources.build_source(ml_collections.ConfigDict(dict(
      source='embedded:digits', split='train', image_size=8, channels=1, data_dir='',
      download=False, max_examples=0)))
  b = pipeline.Batches(src, 4, seed=3, per_step=3)(5)
  for k in range(3):
    idx = pipeline.batch_indices(3, 5 * 3 + k, 4, len(src))
    np.testing.assert_array_equal(b['label'][k::3], src.get(idx)['label'])


def test_conditional_generator_uses_the_label():
  c, m = method_for('cgan_mnist')
  state = m.init(jax.random.PRNGKey(0))
  z = m.sample_inputs(jax.random.PRNGKey(1), 4)['z']
  a = m.generate(state, {'z': z, 'label': jnp.array([0, 0, 0, 0])})
  b = m.generate(state, {'z': z, 'label': jnp.array([3, 3, 3, 3])})
  assert not np.allclose(a, b)
  assert m.sample_inputs(jax.random.PRNGKey(1), 4, labels=[3] * 4)['label'].tolist() == [3] * 4


def test_linear_schedule():
  cfg = config_lib.base_config().optim.g
  cfg.lr, cfg.schedule, cfg.name = 1.0, 'linear', 'sgd'
  opt = make_optimizer(cfg, 'g', total_updates=10)
  params = {'w': jnp.zeros(())}
  state = opt.init(params)
  steps = []
  for _ in range(10):
    upd, state = opt.update({'w': jnp.ones(())}, state)
    steps.append(-float(upd['w']))
  np.testing.assert_allclose(steps, [1.0 - i / 10 for i in range(10)], rtol=1e-6)


def test_mode_coverage_on_hand_made_sets():
  centers, std = toy_mixture('grid25')
  rng = np.random.default_rng(0)
  every = centers[np.arange(2500) % 25] + rng.normal(0, std, (2500, 2))
  r = mode_coverage(every, centers, std)
  assert r['modes'] == 25 and r['high_quality'] > 0.98
  one = centers[[7]] + rng.normal(0, std, (2500, 2))
  r = mode_coverage(one, centers, std)
  assert r['modes'] == 1 and r['high_quality'] > 0.98
  off = rng.uniform(-5, 5, (2500, 2))  # mostly between modes
  r = mode_coverage(off, centers, std)
  # Area within 3 std of the 25 modes: 25 * pi * 0.15^2 = 1.77 of 100 -> about 1.8 %.
  assert r['high_quality'] == pytest.approx(0.0177, abs=0.008)
  ring, rstd = toy_mixture('ring8')
  assert np.allclose(np.linalg.norm(ring, axis=1), 2.0) and rstd == 0.02


def test_sngan_counts_by_hand():
  # G: dense 128*4096+4096 = 528,384; each of 3 blocks: 2 BN (2*512) + 2 conv3x3
  #    (2*590,080) + 1x1 shortcut 65,792 = 1,246,976; final BN 512; conv 9*256*3+3 = 6,915.
  # D: optimized block 3,584 + 147,584 + 512; down block 2*147,584 + 16,512;
  #    2 plain blocks 2*2*147,584; dense 129.
  cfg = ml_collections.ConfigDict(dict(g_width=256, d_width=128, conditional=False,
                                       upsample='bilinear'))
  info = DataInfo((32, 32, 3), 10)
  g, d = GENERATORS.get('sngan_resnet')(cfg, info), DISCRIMINATORS.get('sngan_resnet')(cfg, info)
  y = jnp.zeros((2,), jnp.int32)
  gp = g.init(jax.random.PRNGKey(0), jnp.zeros((2, 128)), y, train=False)['params']
  dp = d.init(jax.random.PRNGKey(0), jnp.zeros((2, 32, 32, 3)), y, train=False)['params']
  assert count_params(gp) == 528_384 + 3 * 1_246_976 + 512 + 6_915 == 4_276_739
  assert count_params(dp) == 151_680 + 311_680 + 2 * 295_168 + 129 == 1_053_825
  # Conditional: each of 6 block BNs trades 2*256 affine params for 2*10*256 embeddings;
  # the projection adds a 10 x 128 embedding.
  cfg.conditional = True
  g, d = GENERATORS.get('sngan_resnet')(cfg, info), DISCRIMINATORS.get('sngan_resnet')(cfg, info)
  gp = g.init(jax.random.PRNGKey(0), jnp.zeros((2, 128)), y, train=False)['params']
  dp = d.init(jax.random.PRNGKey(0), jnp.zeros((2, 32, 32, 3)), y, train=False)['params']
  assert count_params(gp) == 4_276_739 + 6 * (5120 - 512)
  assert count_params(dp) == 1_053_825 + 1280


def _max_abs(tree, *path):
  for p in path:
    tree = tree[p]
  return float(np.abs(np.asarray(tree)).max())


@pytest.mark.parametrize('name', ['sngan_resnet', 'wgan_gp_resnet'])
def test_resnet_init_follows_mimicry(name):
  # xavier_uniform_(w, gain): U(+-gain sqrt(6 / (fan_in + fan_out))); PyTorch's default
  # conv init U(+-1 / sqrt(fan_in)). The largest |w| of a 64-channel kernel is within
  # 2 % of the bound (36,864 draws) and never above it.
  cfg = ml_collections.ConfigDict(dict(g_width=64, d_width=64, conditional=True,
                                       upsample='bilinear'))
  info = DataInfo((32, 32, 3), 10)
  y = jnp.zeros((2,), jnp.int32)
  g, d = GENERATORS.get(name)(cfg, info), DISCRIMINATORS.get(name)(cfg, info)
  gp = g.init(jax.random.PRNGKey(0), jnp.zeros((2, 128)), y, train=False)['params']
  dp = d.init(jax.random.PRNGKey(0), jnp.zeros((2, 32, 32, 3)), y, train=False)['params']
  xavier = lambda gain, fan_in, fan_out: gain * np.sqrt(6.0 / (fan_in + fan_out))
  wgan = name == 'wgan_gp_resnet'
  sc = (lambda fan_in, fan_out: 1 / np.sqrt(fan_in)) if wgan else (
      lambda fan_in, fan_out: xavier(1, fan_in, fan_out))
  expected = {
      ('GBlock_0', 'Conv_0', 'kernel'): xavier(np.sqrt(2), 576, 576),   # c1
      ('GBlock_0', 'Conv_1', 'kernel'): xavier(np.sqrt(2), 576, 576),   # c2
      ('GBlock_0', 'Conv_2', 'kernel'): sc(64, 64),                      # shortcut
      ('Dense_0', 'kernel'): xavier(1, 128, 1024),                      # l1
      ('Conv_0', 'kernel'): (1 / np.sqrt(576)) if wgan else xavier(1, 576, 27),  # c5
  }
  for path, bound in expected.items():
    assert 0.9 * bound < _max_abs(gp, *path) <= bound, (path, bound)
  expected = {
      ('DBlock_1', 'Conv_0', 'kernel'): xavier(np.sqrt(2), 576, 576),
      ('DBlock_1', 'Conv_1', 'kernel'): xavier(np.sqrt(2), 576, 576),
      ('DBlock_1', 'Conv_2', 'kernel'): sc(64, 64),
      ('Dense_0', 'kernel'): xavier(1, 64, 1),
      ('Embed_0', 'embedding'): xavier(1, 10, 64),
  }
  for path, bound in expected.items():  # raw weights: not divided by sigma at init
    assert 0.6 * bound < _max_abs(dp, *path) <= bound, (path, bound)
  gamma = np.asarray(gp['GBlock_0']['CondBatchNorm_0']['gamma']['embedding'])
  assert abs(gamma.mean() - 1) < 0.01 and 0.015 < gamma.std() < 0.025  # N(1, 0.02)
  assert not np.any(np.asarray(gp['GBlock_0']['CondBatchNorm_0']['beta']['embedding']))


def test_batchnorm_scales_n_1_002_where_the_references_draw_them():
  # DCGAN (pytorch/examples weights_init), pix2pix (init_weights 'normal', gain 0.02).
  _, m = method_for('dcgan_mnist', 'digits', **{'model.g_width': 64, 'model.d_width': 64})
  state = m.init(jax.random.PRNGKey(0))
  for net in (state.g, state.d):
    scales = np.concatenate([np.ravel(v) for p, v in jax.tree_util.tree_flatten_with_path(
        net.params)[0] if 'scale' in jax.tree_util.keystr(p)])
    assert len(scales) > 100 and abs(scales.mean() - 1) < 0.005
    assert 0.017 < scales.std() < 0.023
  cfg = ml_collections.ConfigDict(dict(norm='batch', d_layers=3, d_width=64, init_std=0.02,
                                       conditional=False))
  d = DISCRIMINATORS.get('patchgan')(cfg, DataInfo((64, 64, 3), 0))
  v = d.init(jax.random.PRNGKey(0), jnp.zeros((1, 64, 64, 6)), train=False)['params']
  scales = np.concatenate([np.ravel(x) for p, x in jax.tree_util.tree_flatten_with_path(v)[0]
                           if 'scale' in jax.tree_util.keystr(p)])
  assert abs(scales.mean() - 1) < 0.005 and 0.017 < scales.std() < 0.023


def test_rmsprop_equals_pytorchs():
  """WGAN's reference optimizer is torch.optim.RMSprop (eps added to sqrt(v)); fed the
  same gradients, ours makes the same updates, also for gradients of about 1e-4."""
  torch = pytest.importorskip('torch')
  cfg = config_lib.base_config().optim.d
  cfg.name, cfg.lr, cfg.eps = 'rmsprop', 5e-5, 1e-8
  opt = make_optimizer(cfg, 'd', 100)
  rng = np.random.default_rng(0)
  w0 = rng.normal(0, 0.01, 6).astype(np.float32)
  params, state = {'w': jnp.asarray(w0)}, None
  state = opt.init(params)
  tw = torch.nn.Parameter(torch.tensor(w0))
  topt = torch.optim.RMSprop([tw], lr=5e-5, alpha=0.99, eps=1e-8)
  for step in range(5):
    g = (rng.normal(0, 1e-4, 6) * (step + 1)).astype(np.float32)
    updates, state = opt.update({'w': jnp.asarray(g)}, state, params)
    params = optax.apply_updates(params, updates)
    tw.grad = torch.tensor(g)
    topt.step()
    np.testing.assert_allclose(np.asarray(params['w']), tw.detach().numpy(), rtol=1e-6,
                               atol=1e-10)
