"""StarGAN: the official networks' parameter counts, its losses on tiny tensors,
the digit-domains data and readers, celeb_a attributes through tfds, and the
smoke run through launch.py (train, eval, translate with --target)."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

import test_fingerprints

from gan_jax.data import digit_domains as dd
from gan_jax.data import sources
from gan_jax.data.base import DataInfo
from gan_jax.errors import UserError
from gan_jax.inference import count_params
from gan_jax.methods import stargan as sg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STARGAN = os.path.join(ROOT, 'experiments', 'stargan.py')


def _config(arg=None):
  import stargan  # pylint: disable=g-import-not-at-top  (experiments/ is on sys.path)
  return stargan.get_config(arg)


def _all_domains():
  """The digits config with all 8 domains (:digits itself takes 4)."""
  c = _config('digits')
  c.data.attributes = 'thick,inverted,tinted'
  return c


def test_parameter_counts_equal_the_official_networks():
  # CelebA at 128 px with 5 attributes (yunjey/stargan, counted from its model.py).
  method = sg.StarGAN(_config(), DataInfo((128, 128, 3), 32))
  state = jax.eval_shape(method.init, jax.random.PRNGKey(0))
  assert count_params(state.g.params) == 8_430_528
  assert count_params(state.d.params) == 44_762_048


def test_classification_losses_and_label_vectors_by_hand():
  logits = jnp.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
  multi = jnp.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
  sig = lambda z: 1 / (1 + np.exp(-z))
  bce = -(multi * np.log(sig(logits)) + (1 - multi) * np.log(1 - sig(logits)))
  np.testing.assert_allclose(sg.classification_loss(logits, multi, 'multi'),
                             bce.sum(axis=1).mean(), rtol=1e-6)  # summed over attributes
  single = jnp.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
  soft = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
  np.testing.assert_allclose(sg.classification_loss(logits, single, 'single'),
                             -np.log([soft[0, 2], soft[1, 1]]).mean(), rtol=1e-6)
  np.testing.assert_array_equal(sg.label_vectors(jnp.array([5, 2]), 3, 'multi'),
                                [[1, 0, 1], [0, 1, 0]])  # bit i is attribute i
  np.testing.assert_array_equal(sg.label_vectors(jnp.array([2]), 3, 'single'), [[0, 0, 1]])


def test_targets_parse_and_name_what_is_allowed():
  method = sg.StarGAN(_config('digits,smoke'), DataInfo((16, 16, 3), 8))
  np.testing.assert_array_equal(method.target_vector('thick,tinted'), [1, 0, 1])
  np.testing.assert_array_equal(method.target_vector('none'), [0, 0, 0])
  with pytest.raises(UserError, match=r"'bold'.*none, thick, inverted, tinted"):
    method.target_vector('bold')
  c = _config('digits,smoke')
  c.data.attributes = ''
  with pytest.raises(UserError, match='config.data.attributes'):
    sg.StarGAN(c, DataInfo((16, 16, 3), 8))
  c = _config('digits,smoke')  # single-label domains: one name, no 'none'
  c.model.label_mode, c.data.attributes = 'single', 'happy,sad,angry'
  single = sg.StarGAN(c, DataInfo((16, 16, 3), 3))
  np.testing.assert_array_equal(single.target_vector('sad'), [0, 1, 0])
  for bad in ('none', 'happy,sad'):
    with pytest.raises(UserError, match='one domain, from: happy, sad, angry'):
      single.target_vector(bad)


def test_step_trains_every_term_and_the_generator_obeys_its_target():
  # One step of the smoke networks: D's and G's terms are finite, the GP is the
  # WGAN-GP of the summed patch map, and G's output depends on the target vector.
  c = _config('digits,smoke')
  method = sg.StarGAN(c, DataInfo((16, 16, 3), 8))
  state = method.init(jax.random.PRNGKey(0))
  n = c.train.batch_size * c.train.n_critic
  batch = {'image': jax.random.uniform(jax.random.PRNGKey(1), (n, 16, 16, 3), minval=-1),
           'label': jnp.arange(n, dtype=jnp.int32) % 8}
  new, m = jax.jit(method.train_step)(state, batch)
  for k in ('d_adv', 'd_cls', 'gp', 'g_adv', 'g_cls', 'rec_l1'):
    assert np.isfinite(float(m[k])), k
  assert float(m['d_cls']) == pytest.approx(3 * np.log(2), rel=0.05)  # 3 attributes at chance
  x = batch['image'][:2]
  a = method.translate(new, x, 'thick')
  b = method.translate(new, x, 'inverted,tinted')
  assert a.shape == x.shape and float(jnp.max(jnp.abs(a - b))) > 0


def test_identity_term_by_hand():
  # loss.identity_weight (CycleGAN's term, 0 in StarGAN): G(x, c_own) against x on the
  # G step's batch, added to G's loss x cycle_weight; nothing else in the step moves.
  n_critic = 2
  batch = {'image': jax.random.uniform(jax.random.PRNGKey(1), (4 * n_critic, 16, 16, 3),
                                       minval=-1),
           'label': jnp.arange(4 * n_critic, dtype=jnp.int32) % 8}
  metrics = {}
  for w in (0.0, 0.5):
    c = _config('digits,smoke')
    c.train.batch_size, c.train.n_critic, c.loss.identity_weight = 4, n_critic, w
    method = sg.StarGAN(c, DataInfo((16, 16, 3), 8))
    state = method.init(jax.random.PRNGKey(0))
    _, metrics[w] = jax.jit(method.train_step)(state, batch)
  assert 'idt_l1' not in metrics[0.0]
  last = batch['image'].reshape((4, n_critic, 16, 16, 3))[:, -1]      # the G step's reals
  own = sg.label_vectors(batch['label'].reshape((4, n_critic))[:, -1], 3, 'multi')
  by_hand = np.mean(np.abs(np.asarray(method.generate(state.g.params, last, own) - last)))
  assert float(metrics[0.5]['idt_l1']) == pytest.approx(by_hand, rel=1e-5)
  for k in ('g_adv', 'g_cls', 'rec_l1', 'd_loss'):
    assert float(metrics[0.5][k]) == float(metrics[0.0][k]), k
  added = float(metrics[0.5]['g_loss']) - float(metrics[0.0]['g_loss'])
  assert added == pytest.approx(10.0 * 0.5 * by_hand, rel=1e-4)


def test_digit_domains_render_and_readers_calibrated():
  grey = np.zeros((1, 16, 16), np.uint8)
  grey[0, 4:12, 7] = 200
  plain, thick = dd.render(grey, 0), dd.render(grey, 1)
  inverted, tinted = dd.render(grey, 2), dd.render(grey, 4)
  assert (thick[..., 0] >= plain[..., 0]).all() and (thick > 0).sum() > (plain > 0).sum()
  np.testing.assert_array_equal(inverted, 255 - plain)
  np.testing.assert_array_equal(tinted[..., 0], plain[..., 0])  # red keeps the grey
  assert (tinted[..., 2] <= tinted[..., 0]).all()
  assert _config('digits').data.attributes == 'thick,tinted'
  src = sources.build_source(_all_domains().data)
  assert len(src) == 1500 * 8 and src.num_classes == 8
  np.testing.assert_array_equal(src.get(np.arange(8))['label'], np.arange(8))
  from gan_jax.metrics import digit_domains as md  # pylint: disable=g-import-not-at-top
  cal = md.calibration(16)  # held-out real renderings
  assert cal['real_domain_accuracy'] > 0.97 and cal['real_digit_accuracy'] > 0.85
  noise = np.random.default_rng(0).uniform(-1, 1, (200, 16, 16, 3)).astype(np.float32)
  assert np.mean(md.read_digits(noise, 16) == 3) < 0.9  # noise is not read as one digit


def test_celeb_a_attributes_become_the_label_bitmask():
  c = _config()
  c.data.image_size = 32
  with tfds.testing.mock_data(num_examples=6):
    src = sources.build_source(c.data)
    assert src.num_classes == 32
    recs = [src.ds[i] for i in range(6)]
    got = src.get(np.arange(6))['label']
    names = c.data.attributes.split(',')
    want = [sum(int(bool(r['attributes'][a])) << i for i, a in enumerate(names)) for r in recs]
    np.testing.assert_array_equal(got, want)
    c.data.attributes = 'Blond_Hair,Purple_Hair'
    with pytest.raises(UserError, match=r"\['Purple_Hair'\].*Black_Hair"):
      sources.build_source(c.data)


def test_stargan_smoke_train_eval_translate(launch, tmp_path):
  wd = str(tmp_path / 'run')
  cfg = f'--config={STARGAN}:digits,smoke'
  code, out, err = launch(cfg, f'--workdir={wd}')
  assert code == 0, err
  test_fingerprints.assert_state_recorded(os.path.join(wd, 'checkpoints'), 'stargan_digits')
  assert 'domain_accuracy' in out and 'real_digit_accuracy' in out
  with open(os.path.join(wd, 'metrics.jsonl')) as f:
    last = [r for r in map(json.loads, f) if 'digit_kept' in r][-1]
  # digit_kept is the average of its two parts (translations that change an
  # attribute and those that do not), so it lies between them.
  for name in ('thick', 'inverted', 'tinted'):
    lo, hi = sorted((last[f'digit_kept_{name}_changed'], last[f'digit_kept_{name}_same']))
    assert lo - 1e-9 <= last['digit_kept'] <= hi + 1e-9
  assert 0 <= last['digit_kept_own_domain'] <= 1
  assert os.path.exists(os.path.join(wd, 'samples', 'step_000004.png'))
  src = tmp_path / 'in'
  src.mkdir()
  Image.fromarray(np.zeros((20, 12, 3), np.uint8)).save(src / 'a.png')
  code, out, err = launch(cfg, f'--workdir={wd}', '--mode=translate', f'--input={src}',
                          f'--output={tmp_path}/out', '--target=thick,tinted')
  assert code == 0, err
  assert Image.open(tmp_path / 'out' / 'a.png').size == (12, 20)
  code, _, err = launch(cfg, f'--workdir={wd}', '--mode=translate', f'--input={src}',
                        f'--output={tmp_path}/o2', '--target=blond')
  assert code == 2 and "'blond'" in err and 'thick, inverted, tinted' in err


class _KeepsPolarityOnly:
  """A stand-in translator: the input itself where the target's polarity is the
  input's (read from its corner, always background; the tint keeps red), a blank
  image where it would flip."""

  def translate(self, state, images, direction):
    del state
    want_inverted = 'inverted' in direction.split(',')
    inverted = images[:, :1, :1, :1] > 0
    return jnp.where(inverted == want_inverted, images, jnp.zeros_like(images))


def _metric_with_stand_in(*overrides):
  """domain_translation of the digits smoke config, G replaced by _KeepsPolarityOnly."""
  from gan_jax import parallel  # pylint: disable=g-import-not-at-top
  from gan_jax.metrics.context import EvalContext  # pylint: disable=g-import-not-at-top
  from gan_jax.metrics.digit_domains import domain_translation  # pylint: disable=g-import-not-at-top
  import launch  # pylint: disable=g-import-not-at-top
  config = launch.load_config(['launch.py', f'--config={STARGAN}:digits,smoke', *overrides])
  return domain_translation(None, EvalContext(config, parallel.make_mesh(),
                                              method=_KeepsPolarityOnly(), state={}))


def test_domain_translation_splits_digit_kept_by_attribute():
  """Digits kept across unchanged polarity, lost across a flip: the metric's
  per-attribute split shows it; the other attributes' parts stay mixed."""
  out = _metric_with_stand_in('--config.eval.num_samples=400', '--config.eval.batch_size=40')
  real = out['real_digit_accuracy']
  assert out['digit_kept_inverted_same'] == pytest.approx(real, abs=0.06)
  assert out['digit_kept_inverted_changed'] < 0.2
  for name in ('thick', 'tinted'):
    assert 0.3 < out[f'digit_kept_{name}_changed'] < 0.7
  assert out['digit_kept_own_domain'] == pytest.approx(real, abs=0.06)


def test_digit_domains_attribute_subset_and_its_metric():
  """data.attributes='thick,tinted': 4 domains, polarity off, labels over those
  names; the metric translates among them only, and names a bad attribute."""
  c = _config('digits')
  c.data.attributes = 'tinted,thick'            # bit 0 tinted, bit 1 thick
  src = sources.build_source(c.data)
  assert len(src) == 1500 * 4 and src.num_classes == 4
  full = sources.build_source(_all_domains().data)
  ex = src.get(np.arange(4))
  # digit 0 in domains none, thick, tinted, thick+tinted (full bitmasks 0, 1, 4, 5)
  np.testing.assert_array_equal(ex['label'], [0, 2, 1, 3])
  np.testing.assert_array_equal(ex['image'], full.get(np.array([0, 1, 4, 5]))['image'])
  np.testing.assert_array_equal(dd.domain_of(np.arange(4), ('tinted', 'thick')), [0, 4, 1, 5])
  out = _metric_with_stand_in('--config.data.attributes=thick,tinted',
                              '--config.eval.num_samples=200', '--config.eval.batch_size=50')
  # The stand-in returns every input as it is (no polarity is asked to flip): the
  # digit is kept as often as the reader reads real ones, and no domain changes.
  assert out['digit_kept'] == pytest.approx(out['real_digit_accuracy'], abs=0.06)
  assert out['domain_accuracy'] < 0.02 and 'digit_kept_inverted_changed' not in out
  assert out['untranslated_attribute_accuracy'] == pytest.approx(out['attribute_accuracy'],
                                                                 abs=0.03)
  c.data.attributes = 'thick,bold'
  with pytest.raises(UserError, match=r"'thick,bold'.*allowed: any of thick, inverted, tinted"):
    sources.build_source(c.data)
