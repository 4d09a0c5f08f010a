"""pix2pix and CycleGAN: networks (official parameter counts), the image pool,
the epoch schedule, the losses by hand, the data layouts, and the command line
(train, eval, translate) end to end."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

import test_fingerprints
from conftest import experiment
from gan_jax import config as config_lib
from gan_jax.data import base, embedded, pipeline
from gan_jax.checkpoint import Checkpoints
from gan_jax.data import two_domain as tdata
from gan_jax.errors import UserError
from gan_jax.methods.registry import METHODS
from gan_jax.data.base import DataInfo
from gan_jax.methods.optimizers import epoch_schedule
from gan_jax.methods.cyclegan import pool_query

CYCLEGAN = experiment('cyclegan.py')
PIX2PIX = experiment('pix2pix.py')


def total(out: str, name: str) -> int:
  line = next(x for x in out.splitlines() if x.strip().startswith(f'{name} total:'))
  return int(line.split(':')[1].split()[0].replace(',', ''))


# -- networks ------------------------------------------------------------------------

def test_cyclegan_summary_counts_equal_the_official_networks(launch):
  code, out, err = launch(f'--config={CYCLEGAN}', '--mode=summary', '--nosummary_memory')
  assert code == 0, err
  # Official ResnetGenerator(3, 3, 64, instance norm, 9 blocks) and the basic PatchGAN.
  assert total(out, 'generator_a2b') == total(out, 'generator_b2a') == 11_378_179
  assert total(out, 'discriminator_a') == total(out, 'discriminator_b') == 2_764_737


def test_pix2pix_summary_counts_equal_the_official_networks(launch):
  code, out, err = launch(f'--config={PIX2PIX}', '--mode=summary', '--nosummary_memory')
  assert code == 0, err
  assert total(out, 'generator') == 54_413_955       # unet_256, batch norm
  assert total(out, 'discriminator') == 2_768_705    # PatchGAN on 6 channels, batch norm


def test_resnet_6blocks_and_unet_128_by_hand():
  from gan_jax.inference import count_params
  from gan_jax.models.registry import GENERATORS
  cfg = config_lib.base_config().model
  cfg.norm = 'instance'
  g = GENERATORS.get('resnet_6blocks')(cfg, DataInfo((128, 128, 3), 0))
  x128 = jnp.zeros((1, 128, 128, 3))
  v = jax.eval_shape(lambda: g.init(jax.random.PRNGKey(0), x128, train=False))
  # 9 blocks minus 3 residual blocks of 2 x (256*256*9 + 256).
  assert count_params(v['params']) == 11_378_179 - 3 * 2 * (256 * 256 * 9 + 256)
  cfg.norm = 'batch'
  u = GENERATORS.get('unet_128')(cfg, DataInfo((128, 128, 3), 0))
  v = jax.eval_shape(lambda: u.init(jax.random.PRNGKey(0), x128, train=False))
  # unet_256 minus one 512 -> 512 level: down 512*512*16 + BN 1024, up 1024*512*16 + BN 1024.
  assert count_params(v['params']) == 54_413_955 - (512 * 512 * 16 + 1024 + 1024 * 512 * 16 + 1024)
  out = jax.eval_shape(lambda: u.apply(u.init(jax.random.PRNGKey(0), x128, train=False),
                                       jnp.zeros((2, 128, 128, 3)), train=False))
  assert out.shape == (2, 128, 128, 3)


# -- image pool ------------------------------------------------------------------------

def test_image_pool_fills_then_swaps_half_the_time():
  size = 3
  pool, count = jnp.zeros((size, 1, 1, 1)), jnp.zeros((), jnp.int32)
  img = lambda v: jnp.full((1, 1, 1, 1), float(v))
  query = jax.jit(pool_query)
  # Filling: each image is stored and returned as it is.
  for v in (1, 2, 3):
    out, pool, count = query(pool, count, img(v), jax.random.PRNGKey(v))
    assert float(out[0, 0, 0, 0]) == v
  assert int(count) == 3 and sorted(np.asarray(pool).ravel().tolist()) == [1, 2, 3]
  # Full: the image itself (pool unchanged) or a stored one (replaced by the image).
  swaps = 0
  for v in range(4, 404):
    before = sorted(np.asarray(pool).ravel().tolist())
    out, pool, count = query(pool, count, img(v), jax.random.PRNGKey(v))
    after = sorted(np.asarray(pool).ravel().tolist())
    o = float(out[0, 0, 0, 0])
    if o == v:
      assert after == before
    else:
      swaps += 1
      rest = before[:before.index(o)] + before[before.index(o) + 1:]
      assert o in before and sorted(rest + [v]) == after
  assert int(count) == 3
  assert 160 < swaps < 240  # probability 1/2 over 400 queries
  # A batch goes through image by image; size 0 passes everything through.
  out, _, _ = pool_query(jnp.zeros((0, 1, 1, 1)), count, jnp.ones((5, 1, 1, 1)),
                         jax.random.PRNGKey(0))
  assert out.shape == (5, 1, 1, 1)


def test_image_pool_state_survives_a_checkpoint(tmp_path):
  config = cyclegan_smoke_config()
  method = METHODS.get('cyclegan')(config, DataInfo((16, 16, 3), 0, 64))
  state = method.init(jax.random.PRNGKey(0))
  batch = {'image': jax.random.uniform(jax.random.PRNGKey(1), (4, 16, 16, 3), minval=-1, maxval=1),
           'image_b': jax.random.uniform(jax.random.PRNGKey(2), (4, 16, 16, 3), minval=-1,
                                         maxval=1)}
  step = jax.jit(method.train_step)
  for _ in range(2):
    state, _ = step(state, batch)
  assert int(state.pool_count) == 3 and float(jnp.abs(state.pool_a).sum()) > 0
  ckpt = Checkpoints(str(tmp_path / 'ckpt'), keep=1)
  ckpt.save(2, state)
  ckpt.wait()
  restored, at = ckpt.restore(method.init(jax.random.PRNGKey(5)))
  ckpt.close()
  assert at == 2 and int(restored.pool_count) == 3
  np.testing.assert_array_equal(np.asarray(restored.pool_a), np.asarray(state.pool_a))
  np.testing.assert_array_equal(np.asarray(restored.pool_b), np.asarray(state.pool_b))


# -- schedule and losses --------------------------------------------------------------

def test_epoch_schedule_at_the_official_epochs():
  lr, per_epoch = 2e-4, 7
  f = epoch_schedule(lr, per_epoch, 100, 100)
  # The official LambdaLR stepped at the start of each (1-based) epoch k gives
  # 1 - max(0, k + 1 - 100) / 101: epochs 1 and 99 at lr, 100 at 100/101, ..., 200 at 0.
  for epoch, factor in ((1, 1.0), (99, 1.0), (100, 1 - 1 / 101), (101, 1 - 2 / 101),
                        (150, 1 - 51 / 101), (200, 0.0)):
    for within in (0, per_epoch - 1):  # constant within an epoch
      got = float(f((epoch - 1) * per_epoch + within))
      assert got == pytest.approx(lr * factor, rel=1e-6, abs=1e-12)


def test_patch_criteria_by_hand():
  from gan_jax.losses import PATCH_CRITERIA, l1
  out = jnp.array([[0.5, -1.0], [2.0, 0.0]])
  ls = PATCH_CRITERIA.get('mse')
  assert float(ls(out, True)) == pytest.approx((0.25 + 4 + 1 + 1) / 4)
  assert float(ls(out, False)) == pytest.approx((0.25 + 1 + 4 + 0) / 4)
  bce = PATCH_CRITERIA.get('bce')
  sig = 1 / (1 + np.exp(-np.asarray(out)))
  assert float(bce(out, True)) == pytest.approx(-np.mean(np.log(sig)), rel=1e-6)
  assert float(bce(out, False)) == pytest.approx(-np.mean(np.log(1 - sig)), rel=1e-6)
  assert float(l1(jnp.ones((2, 2)), jnp.zeros((2, 2)))) == 1.0
  with pytest.raises(UserError, match="unknown translation criterion.*'lsgan'; known: bce, mse"):
    PATCH_CRITERIA.get('lsgan')


def cyclegan_smoke_config():
  import launch as launch_mod
  return launch_mod.load_config(['launch.py', f'--config={CYCLEGAN}:digits,smoke'])


def test_cycle_and_identity_losses_by_hand():
  """The step's logged cycle and identity terms equal a numpy computation from the
  generators as translate() applies them (instance norm: no train/test difference)."""
  config = cyclegan_smoke_config()
  method = METHODS.get('cyclegan')(config, DataInfo((16, 16, 3), 0, 64))
  state = method.init(jax.random.PRNGKey(0))
  a = jax.random.uniform(jax.random.PRNGKey(1), (4, 16, 16, 3), minval=-1, maxval=1)
  b = jax.random.uniform(jax.random.PRNGKey(2), (4, 16, 16, 3), minval=-1, maxval=1)
  t = lambda x, d: np.asarray(method.translate(state, x, d))
  cycle = 10 * (np.mean(np.abs(t(t(a, 'a2b'), 'b2a') - a))
                + np.mean(np.abs(t(t(b, 'b2a'), 'a2b') - b)))
  identity = 10 * 0.5 * (np.mean(np.abs(t(b, 'a2b') - b)) + np.mean(np.abs(t(a, 'b2a') - a)))
  _, metrics = jax.jit(method.train_step)(state, {'image': a, 'image_b': b})
  assert float(metrics['cycle']) == pytest.approx(cycle, rel=1e-4)
  assert float(metrics['identity']) == pytest.approx(identity, rel=1e-4)
  assert float(metrics['g_loss']) == pytest.approx(
      float(metrics['cycle'] + metrics['identity'] + metrics['g_adv']), rel=1e-5)


# -- data --------------------------------------------------------------------------------

def test_digits_m_is_the_mnist_m_blend():
  images, labels = tdata.digits_m_arrays('test', 16)
  digits, dl = embedded.digits_arrays('test')
  assert images.shape == (297, 16, 16, 3) and images.dtype == np.uint8
  np.testing.assert_array_equal(labels, dl)
  crops = tdata.random_photo_crops(297, 16, 'test', seed=12).astype(int)
  d = base.conform_batch(list(digits), 16, 1).astype(int)
  np.testing.assert_array_equal(images, np.abs(crops - d))
  assert images.std(axis=(1, 2)).mean() > 20  # colourful backgrounds, not flat


def test_unpaired_sources_and_batches():
  cfg = config_lib.base_config().data
  cfg.source, cfg.channels, cfg.image_size = 'embedded:digits2digits_m', 3, 16
  src = tdata.unpaired_source(cfg)
  assert len(src) == 1500
  b = pipeline.Batches(src, 6, seed=0)(3)
  assert b['image'].shape == b['image_b'].shape == (6, 16, 16, 3)
  assert b['image'].min() >= -1 and b['image_b'].max() <= 1
  cfg.split = 'validation'
  with pytest.raises(UserError, match="allowed: \\('train', 'test'\\)"):
    tdata.unpaired_source(cfg)


def test_unaligned_pairs_draw_b_at_random_with_independent_crops():
  # As unaligned_dataset.py: A[i mod |A|] with a uniformly drawn B, each side its own
  # crop and flip; still a function of (seed, step).
  rng = np.random.default_rng(0)
  pattern = rng.integers(0, 256, (1, 12, 12, 3)).astype(np.uint8)
  a = base.ArraySource('a', np.repeat(pattern, 4, 0), np.arange(4), 4)
  b = base.ArraySource('b', np.repeat(pattern, 50, 0), np.arange(50), 50)
  src = tdata.UnpairedSource(a, b)
  batches = pipeline.Batches(src, 10, seed=3, random_flip=True, crop_to=8)
  first = batches(7)
  again = pipeline.Batches(src, 10, seed=3, random_flip=True, crop_to=8)(7)
  for k in first:
    np.testing.assert_array_equal(first[k], again[k])
  labels_b = np.concatenate([batches(s)['label_b'] for s in range(20)])
  assert len(set(labels_b.tolist())) > 40  # 200 uniform draws over 50 cover most of them
  rows = np.concatenate([pipeline.batch_indices(3, s, 10, len(src)) for s in range(20)])
  assert np.mean(labels_b == rows % 50) < 0.1  # not i mod |B|
  np.testing.assert_array_equal(
      np.concatenate([batches(s)['label'] for s in range(20)]), rows % 4)
  same = [np.array_equal(x, y) for x, y in zip(first['image'], first['image_b'])]
  assert sum(same) < 5  # the same picture on both sides, cropped and flipped apart


def test_tfds_cycle_gan_mock():
  cfg = config_lib.base_config().data
  cfg.source, cfg.channels, cfg.image_size = 'tfds:cycle_gan/horse2zebra', 3, 16
  with tfds.testing.mock_data(num_examples=5):
    src = tdata.unpaired_source(cfg)
    assert len(src) == 5 and src.a.name == src.b.name == 'tfds:cycle_gan/horse2zebra'
    b = pipeline.Batches(src, 2, seed=0)(0)
  assert b['image'].shape == b['image_b'].shape == (2, 16, 16, 3)


def _save(path, array):
  Image.fromarray(array).save(path)


def test_paired_folder_layouts_and_crop(tmp_path):
  rng = np.random.default_rng(0)
  aligned = tmp_path / 'aligned' / 'train'
  aligned.mkdir(parents=True)
  for i in range(3):  # A|B side by side: A is dark, B is bright
    img = np.concatenate([rng.integers(0, 60, (20, 20, 3)), rng.integers(200, 255, (20, 20, 3))], 1)
    _save(aligned / f'{i}.png', img.astype(np.uint8))
  cfg = config_lib.base_config().data
  cfg.source, cfg.channels, cfg.image_size, cfg.load_size = f'folder:{tmp_path}/aligned', 3, 8, 12
  src = tdata.paired_source(cfg)
  assert len(src) == 3 and src.images_a.shape == (3, 12, 12, 3)
  assert src.images_a.mean() < 60 < 200 < src.images_b.mean()
  cfg.direction = 'b2a'
  swapped = tdata.paired_source(cfg)
  np.testing.assert_array_equal(swapped.images_a, src.images_b)
  # Crop and flip: the same window and mirroring for A and B of each row.
  b = pipeline.Batches(src, 3, seed=1, random_flip=True, crop_to=8)(0)
  assert b['image'].shape == (3, 8, 8, 3)
  for i in range(3):
    j = next(k for k in range(3)
             if any(np.allclose(b['image'][i], w) for w in _windows(src.images_a[k])))
    wins_a, wins_b = _windows(src.images_a[j]), _windows(src.images_b[j])
    pos = next(p for p, w in enumerate(wins_a) if np.allclose(b['image'][i], w))
    np.testing.assert_allclose(b['image_b'][i], wins_b[pos])
  # Two folders matched by file name.
  for d, grey in (('trainA', 10), ('trainB', 250)):
    (tmp_path / 'two' / d).mkdir(parents=True)
    for name in ('x.png', 'y.png', f'only_{d}.png'):
      _save(tmp_path / 'two' / d / name, np.full((9, 9, 3), grey, np.uint8))
  cfg.source, cfg.direction = f'folder:{tmp_path}/two', 'a2b'
  assert len(tdata.paired_source(cfg)) == 2
  cfg.source = f'folder:{tmp_path}/nothing'
  with pytest.raises(UserError, match='matched by file name'):
    tdata.paired_source(cfg)


def _windows(u8):
  """Every 8x8 window of a 12x12 uint8 image, as floats, plain and mirrored."""
  x = u8.astype(np.float32) * (2 / 255) - 1
  out = []
  for t in range(5):
    for left in range(5):
      w = x[t:t + 8, left:left + 8]
      out += [w, w[:, ::-1]]
  return out


# -- command line ------------------------------------------------------------------------

def test_cyclegan_smoke_train_eval_translate(launch, tmp_path):
  wd = str(tmp_path / 'run')
  cfg = f'--config={CYCLEGAN}:digits,smoke'
  code, out, err = launch(cfg, f'--workdir={wd}')
  assert code == 0, err
  assert sorted(os.listdir(os.path.join(wd, 'checkpoints'))) == ['2', '4']
  test_fingerprints.assert_state_recorded(os.path.join(wd, 'checkpoints'), 'cyclegan_digits')
  assert os.path.exists(os.path.join(wd, 'samples', 'step_000004.png'))
  code, out, err = launch(cfg, f'--workdir={wd}', '--mode=eval')
  assert code == 0, err
  r = json.loads(out.strip().splitlines()[-1])
  for key in ('label_kept_b2a', 'label_kept_b2a_baseline', 'label_kept_a2b'):
    assert 0 <= r[key] <= 1
  assert r['cycle_l1_a'] > 0 and r['cycle_l1_b'] > 0
  # translate: odd sizes, greyscale, RGBA, an unreadable file; names kept, sizes kept.
  src = tmp_path / 'in'
  src.mkdir()
  _save(src / 'odd.png', np.random.default_rng(0).integers(0, 255, (13, 27, 3)).astype(np.uint8))
  Image.fromarray(np.full((20, 11), 128, np.uint8), mode='L').save(src / 'grey.jpg')
  Image.fromarray(np.zeros((8, 8, 4), np.uint8), mode='RGBA').save(src / 'alpha.png')
  (src / 'broken.png').write_bytes(b'not an image')
  (src / 'notes.txt').write_text('ignored')
  code, out, err = launch(cfg, f'--workdir={wd}', '--mode=translate', f'--input={src}',
                          f'--output={tmp_path}/out', '--direction=b2a')
  assert code == 0, err
  assert 'broken.png' in err
  assert sorted(os.listdir(tmp_path / 'out')) == ['alpha.png', 'grey.jpg', 'odd.png']
  assert Image.open(tmp_path / 'out' / 'odd.png').size == (27, 13)
  assert Image.open(tmp_path / 'out' / 'grey.jpg').size == (11, 20)
  code, _, err = launch(cfg, f'--workdir={wd}', '--mode=translate', f'--input={src}',
                        f'--output={src}')
  assert code == 2 and 'would replace the inputs' in err
  code, _, err = launch(cfg, f'--workdir={wd}', '--mode=translate', f'--input={src}',
                        f'--output={tmp_path}/o2', '--direction=sideways')
  assert code == 2 and "'sideways'" in err and 'a2b and b2a' in err
  code, _, err = launch(cfg, f'--workdir={wd}', '--mode=sample', f'--output={tmp_path}/s')
  assert code == 2 and '--mode=translate' in err


def test_pix2pix_smoke_train_eval_translate(launch, tmp_path):
  wd = str(tmp_path / 'run')
  cfg = f'--config={PIX2PIX}:demo,smoke'
  code, out, err = launch(cfg, f'--workdir={wd}')
  assert code == 0, err
  test_fingerprints.assert_state_recorded(os.path.join(wd, 'checkpoints'), 'pix2pix_demo')
  # A mode the method cannot serve: one line naming what it can do.
  code, out, err = launch(cfg, f'--workdir={wd}', '--mode=sample', f'--output={tmp_path}/o')
  assert code == 2 and len(err.strip().splitlines()) == 1
  assert "needs a method that generates images from noise; method 'pix2pix' translates" in err
  code, out, err = launch(cfg, f'--workdir={wd}', '--mode=eval')
  assert code == 0, err
  r = json.loads(out.strip().splitlines()[-1])
  assert r['identity_psnr'] > 20 and r['test_l1'] > 0 and np.isfinite(r['test_psnr'])
  src = tmp_path / 'in'
  src.mkdir()
  Image.fromarray(np.full((40, 50), 90, np.uint8), mode='L').save(src / 'a.png')
  code, out, err = launch(cfg, f'--workdir={wd}', '--mode=translate', f'--input={src}',
                          f'--output={tmp_path}/out')
  assert code == 0, err
  assert Image.open(tmp_path / 'out' / 'a.png').size == (50, 40)
  code, _, err = launch(cfg, f'--workdir={wd}', '--mode=translate', f'--input={src}',
                        f'--output={tmp_path}/o2', '--direction=b2a')
  assert code == 2 and 'pix2pix translates a2b' in err


def test_translation_config_errors(launch, tmp_path):
  code, _, err = launch(f'--config={CYCLEGAN}:digits,smoke', f'--workdir={tmp_path}/a',
                        "--config.eval.metrics=('fid',)")
  assert code == 2 and ("config.eval.metrics entry 'fid' needs a method that generates images "
                        "from noise; method 'cyclegan' translates images") in err
  code, _, err = launch(f'--config={CYCLEGAN}:digits,smoke', f'--workdir={tmp_path}/b',
                        '--config.data.source=embedded:photos_colorize')
  assert code == 2 and "unknown embedded unpaired dataset 'photos_colorize'" in err
  code, _, err = launch(f'--config={PIX2PIX}:demo,smoke', f'--workdir={tmp_path}/c',
                        '--config.data.load_size=8')
  assert code == 2 and 'load_size=8' in err
  code, _, err = launch(f'--config={CYCLEGAN}:smoke,nonsense', f'--workdir={tmp_path}/d')
  assert code == 2 and 'horse2zebra' in err
  assert not any((tmp_path / d).exists() for d in 'abcd')


def test_psnr_by_hand():
  from gan_jax.metrics.translation import psnr
  x = np.zeros((2, 4, 4, 3))
  # A difference of 0.2 in [-1, 1] is 0.1 on the [0, 1] scale: MSE 0.01, 20 dB.
  assert psnr(x, x + 0.2) == pytest.approx(20.0)
  y = x.copy()
  y[1] += 0.02  # per-image PSNR, then the mean: (20 + 40) / 2
  assert psnr(x, np.concatenate([x[:1] + 0.2, y[1:]])) == pytest.approx(30.0)
