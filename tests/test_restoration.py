"""Old-photo restoration: each degradation at probability 1 on a fixed image
against an independent computation (scipy's Gaussian filter, the numpy imresize,
Pillow's JPEG codec, the noise's measured std), probability 0 as the identity,
determinism by key, the pipeline's config checks, the noise estimate the NL-means
baseline uses, TV denoising against scikit-image and the Corrector starting from
it, and the :smoke run through launch.py with --mode=translate on odd
sizes and grey images."""

import io
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

import test_fingerprints

from gan_jax import degrade
from gan_jax.data import photos
from gan_jax.data.base import DataInfo
from gan_jax.methods.registry import METHODS
from gan_jax.methods.restoration import tv_prefill
from gan_jax.metrics.perceptual_metrics import noise_sigma
from gan_jax.resize import imresize
from gan_jax.tv_denoise import tv_denoise

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, 'experiments')


@pytest.fixture(scope='module')
def photo():
  """A fixed 48 x 64 crop of the astronaut, (H, W, 3) in [0, 1]."""
  return photos.photo('astronaut')[90:138, 150:214].astype(np.float32) / 255.0


def _only(name, lo, hi):
  """The pipeline with `name` alone, at probability 1 and strength in [lo, hi]."""
  cfg = degrade.default_config()
  for n in degrade.ORDER:
    cfg[n].p = 0.0
  cfg[name].p, cfg[name].min, cfg[name].max = 1.0, lo, hi
  return cfg


def _run(cfg, image, keys=(0,)):
  """The pipeline on one image (H, W, C) in [0, 1], once per key (one compile)."""
  x = jnp.asarray(image)[None] * 2 - 1
  run = jax.jit(lambda k: degrade.degrade(k, x, cfg))
  out = [(np.asarray(run(jax.random.PRNGKey(k)))[0] + 1) / 2 for k in keys]
  return out[0] if len(keys) == 1 else out


def test_probability_zero_is_the_identity_and_a_key_decides_the_draw(photo):
  cfg = degrade.default_config()
  for n in degrade.ORDER:
    cfg[n].p = 0.0
  x8 = np.round(photo * 255) / 255
  np.testing.assert_allclose(_run(cfg, x8), x8, atol=1e-6)
  a, b, c = _run(degrade.default_config(), photo, (1, 1, 2))
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)


def test_blur_equals_scipy_gaussian_filter(photo):
  out = np.asarray(degrade.blur(jnp.asarray(photo), 1.3))
  want = ndimage.gaussian_filter(photo, (1.3, 1.3, 0), mode='mirror',
                                 truncate=degrade.BLUR_RADIUS / 1.3)
  np.testing.assert_allclose(out, want, atol=1e-5)
  np.testing.assert_allclose(_run(_only('blur', 1.3, 1.3), photo), np.round(want * 255) / 255,
                             atol=1 / 255 + 1e-6)


def test_low_resolution_is_bicubic_down_and_up(photo):
  for f in (2, 3):
    out = _run(_only('lowres', f, f), photo)
    want = imresize(imresize(photo[None], 1 / f), f)[0, :48, :64]
    np.testing.assert_allclose(out, np.clip(np.round(want * 255), 0, 255) / 255,
                               atol=1 / 255 + 1e-6)


def test_jpeg_matches_pillows_codec(photo):
  img8 = np.round(photo * 255).astype(np.uint8)
  for quality in (20, 60, 90):
    buf = io.BytesIO()
    Image.fromarray(img8).save(buf, 'JPEG', quality=quality)   # 4:2:0, libjpeg's tables
    ref = np.asarray(Image.open(buf)).astype(np.float64)
    ours = np.asarray(degrade.jpeg(jnp.asarray(img8 / 255.0, jnp.float32), quality)) * 255
    codec_error = np.abs(ref - img8).mean()
    assert np.abs(ours - ref).mean() < min(1.0, 0.4 * codec_error), quality
  grey = img8.mean(-1).astype(np.uint8)
  for quality in (30, 90):      # no chroma: only the DCT's arithmetic differs (libjpeg's integer)
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, 'JPEG', quality=quality)
    ref = np.asarray(Image.open(buf)).astype(np.float64)
    ours = np.asarray(degrade.jpeg(jnp.asarray(grey[..., None] / 255.0, jnp.float32),
                                   quality))[..., 0] * 255
    assert np.abs(ours - ref).mean() < min(0.5, 0.25 * np.abs(ref - grey).mean()), quality


def test_noise_and_grain_have_the_drawn_std():
  grey = np.full((64, 64, 3), 0.5, np.float32)
  noisy = _run(_only('noise', 0.05, 0.05), grey)
  assert np.std(noisy - 0.5) == pytest.approx(0.05, rel=0.1)
  assert not np.allclose(noisy[..., 0], noisy[..., 1])       # per channel
  grain = _run(_only('grain', 0.05, 0.05), grey)
  assert np.std(grain - 0.5) == pytest.approx(0.05, rel=0.1)
  np.testing.assert_array_equal(grain[..., 0], grain[..., 1])  # monochrome
  # grain is larger than a pixel: neighbours correlate, unlike white noise
  corr = lambda x: np.corrcoef(x[:, :-1, 0].ravel(), x[:, 1:, 0].ravel())[0, 1]
  assert corr(grain) > 0.3 and abs(corr(noisy)) < 0.1


def test_fade_scratches_and_dust(photo):
  faded = _run(_only('fade', 1.0, 1.0), photo)
  g = photo @ np.array([0.299, 0.587, 0.114], np.float32)
  want = np.clip(0.25 + 0.5 * g[..., None] * np.array([1.07, 0.74, 0.43]), 0, 1)
  np.testing.assert_allclose(faded, np.round(want * 255) / 255, atol=1 / 255 + 1e-6)
  scratched = _run(_only('scratches', 3, 3), photo)
  changed = np.abs(scratched - photo).max(-1) > 2 / 255
  assert 0.005 < changed.mean() < 0.15                     # thin lines, not a wash
  toward = lambda x: np.abs(x[changed] - 0.9)       # scratches pull towards light grey 0.9
  assert np.all(toward(scratched) <= toward(photo) + 2 / 255)
  dusty = _run(_only('dust', 20, 20), photo)
  specks = np.abs(dusty - photo).max(-1) > 2 / 255
  assert 0.002 < specks.mean() < 0.1


def test_pipeline_settings_are_checked():
  cfg = degrade.default_config()
  cfg.jpeg.max = 120
  with pytest.raises(Exception, match='JPEG qualities are 1 to 100'):
    degrade.check(cfg)
  cfg = degrade.default_config()
  cfg.noise.p = 2.0
  with pytest.raises(Exception, match=r'degrade.noise.p=2.0'):
    degrade.check(cfg)
  cfg = degrade.default_config()
  cfg.lowres.max = 8
  with pytest.raises(Exception, match='factors are 2 to 4'):
    degrade.check(cfg)


def test_noise_estimate_of_the_nl_means_baseline(photo):
  # The photo's own texture reads as a little noise; added noise adds in quadrature.
  rng = np.random.default_rng(0)
  clean = noise_sigma(photo)
  assert clean < 0.02
  for sigma in (0.02, 0.05, 0.1):
    noisy = photo + rng.normal(0, sigma, photo.shape)
    assert noise_sigma(noisy) == pytest.approx(np.hypot(sigma, clean), rel=0.1)


def test_tv_denoise_is_scikit_images_chambolle(photo):
  from skimage.restoration import denoise_tv_chambolle
  rng = np.random.default_rng(0)
  # noise from none to strong: channels stop after different numbers of iterations
  noisy = np.stack([np.clip(photo + rng.normal(0, s, photo.shape), 0, 1)
                    for s in (0.0, 0.02, 0.1, 0.3)]).astype(np.float32)
  for weight in (0.1, 0.03):
    ours = np.asarray(jax.jit(tv_denoise, static_argnums=1)(noisy, weight))
    for i, x in enumerate(noisy):
      ref = denoise_tv_chambolle(x, weight=weight, channel_axis=-1)
      np.testing.assert_allclose(ours[i], ref, atol=1e-6)
      if i:
        assert np.abs(ref - x).mean() > 0.005            # it did smooth
  few = np.asarray(tv_denoise(noisy, 0.1, max_iterations=3))  # the iterations count
  assert np.abs(few - np.asarray(tv_denoise(noisy, 0.1))).max() > 1e-3


def test_corrector_starts_from_tv_and_learns_its_correction(photo):
  import launch as launch_mod
  config = launch_mod.load_config(['launch.py', f'--config={EXP}/restore_photos.py:smoke'])
  config.model.prefill = 'tv'
  config.loss.vgg_weight = 0.0                      # no VGG weights needed
  method = METHODS.get('restoration')(config, DataInfo((32, 32, 3), 0, 8))
  state = method.init(jax.random.PRNGKey(0))
  x = jnp.asarray(photo[None, :32, :32] * 2 - 1)
  np.testing.assert_array_equal(np.asarray(method.translate(state, x, 'a2b')),
                                np.asarray(tv_prefill(x)))        # step 0: TV itself
  batch = {'image': jnp.concatenate([x] * config.train.batch_size),
           'label': jnp.zeros((config.train.batch_size,), jnp.int32)}
  step = jax.jit(method.train_step)
  for _ in range(3):
    state, metrics = step(state, batch)
  assert np.isfinite(float(metrics['g_loss']))
  assert not np.array_equal(np.asarray(method.translate(state, x, 'a2b')),
                            np.asarray(tv_prefill(x)))


def test_restore_photos_smoke_and_translate_any_size(launch, tmp_path):
  run = str(tmp_path / 'run')
  code, out, err = launch(f'--config={EXP}/restore_photos.py:smoke', f'--workdir={run}')
  assert code == 0, err
  for key in ('l1', 'vgg_content', 'd_loss', 'restored_lpips', 'identity_lpips', 'tv_lpips',
              'nl_means_lpips', 'restored_psnr', 'restored_ssim'):
    assert key in out, key
  test_fingerprints.assert_state_recorded(os.path.join(run, 'checkpoints'), 'restore_photos')
  src, dst = tmp_path / 'in', tmp_path / 'out'
  src.mkdir()
  Image.fromarray(np.zeros((7, 13, 3), np.uint8)).save(src / 'odd.png')
  Image.fromarray(np.full((10, 6), 200, np.uint8), mode='L').save(src / 'grey.png')
  code, out, err = launch(f'--config={EXP}/restore_photos.py:smoke', f'--workdir={run}',
                          '--mode=translate', f'--input={src}', f'--output={dst}')
  assert code == 0, err
  assert Image.open(dst / 'odd.png').size == (13, 7)
  grey = Image.open(dst / 'grey.png')
  assert grey.size == (6, 10) and grey.mode == 'RGB'


def test_restoration_errors_name_the_value(launch, tmp_path):
  code, _, err = launch(f'--config={EXP}/restore_photos.py:smoke', f'--workdir={tmp_path}/r',
                        '--config.data.degrade.blur.max=5')
  assert code != 0 and 'config.data.degrade.blur.max=5' in err, err
  code, _, err = launch(f'--config={EXP}/restore_photos.py:smoke', f'--workdir={tmp_path}/r',
                        '--config.loss.pixel_loss=l2')
  assert code != 0 and "pixel_loss='l2'; allowed: mse, l1" in err, err
  code, _, err = launch(f'--config={EXP}/restore_photos.py:smoke', f'--workdir={tmp_path}/r',
                        '--config.model.prefill=biharmonic')
  assert code != 0 and "prefill='biharmonic'; allowed: none, tv" in err, err
