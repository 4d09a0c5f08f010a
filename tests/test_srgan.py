"""Super-resolution: SRGAN's networks against the paper's parameter counts,
pixel shuffle against its definition and PyTorch's, PSNR and SSIM on Y against
scikit-image, the MATLAB bicubic downsampler against Pillow's bicubic away from
the borders, the 8-bit LR inputs, the SRResNet and SRGAN smoke runs through
launch.py (SRGAN started from SRResNet), upscaling any image, whole-image benchmark
folders scored against scikit-image's PSNR and SSIM, and the errors."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

import test_fingerprints

from gan_jax.experiment import Experiment
from gan_jax import parallel
from gan_jax.inference import count_params
from gan_jax.methods.super_resolution import content_loss, low_resolution
from gan_jax.metrics import sr_benchmark
from gan_jax.metrics.context import EvalContext
from gan_jax.metrics.image_quality import psnr_y, rgb_to_y, ssim_y
from gan_jax.models import vgg
from gan_jax.models.srgan import SRDiscriminator, SRResNet, pixel_shuffle
from gan_jax.resize import imresize, imresize_jax

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, 'experiments')


def test_content_loss_is_the_papers_eq5_against_torchvision():
  """Eq. 5: per position, the squared distance of the feature vectors (summed over
  channels) of features / 12.75, averaged over positions and images; computed
  here by torchvision's VGG16 (seeded random weights) on the same images."""
  torch = pytest.importorskip('torch')
  tv = pytest.importorskip('torchvision')
  torch.manual_seed(0)
  net = tv.models.vgg16(weights=None).eval()
  params = vgg.from_torch_state_dict(net.state_dict())
  rng = np.random.default_rng(5)
  sr, hr = (rng.uniform(-1, 1, (2, 20, 20, 3)).astype(np.float32) for _ in range(2))
  ours = float(content_loss(params, 'relu2_2', jnp.asarray(sr), jnp.asarray(hr)))

  def relu2_2(x):   # [-1, 1] NHWC -> torchvision's features[:9], NCHW
    x = ((x + 1) / 2 - np.float32(vgg.IMAGENET_MEAN)) / np.float32(vgg.IMAGENET_STD)
    with torch.no_grad():
      return net.features[:9](torch.from_numpy(x).permute(0, 3, 1, 2))
  diff = (relu2_2(sr) - relu2_2(hr)) / 12.75
  want = float(diff.pow(2).sum(dim=1).mean())
  assert want > 1e-3 and ours == pytest.approx(want, rel=1e-4)
  assert ours == pytest.approx(128 * float(diff.pow(2).mean()), rel=1e-4)  # not the channel mean


def test_parameter_counts_equal_the_paper_architecture():
  # fig. 4 with single-parameter PReLUs, conv biases and affine BN, counted by hand:
  conv = lambda k, i, o: k * k * i * o + o
  g = (conv(9, 3, 64) + 1 + 16 * (2 * conv(3, 64, 64) + 2 * 128 + 1) + conv(3, 64, 64) + 128
       + 2 * (conv(3, 64, 256) + 1) + conv(9, 64, 3))
  chans = [(64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 512), (512, 512)]
  d = conv(3, 3, 64) + sum(conv(3, i, o) + 2 * o for i, o in chans) + 6 * 6 * 512 * 1024 + 1024
  d += 1024 + 1
  assert (g, d) == (1_549_462, 23_565_505)
  vg = jax.eval_shape(lambda: SRResNet(4).init(jax.random.PRNGKey(0), jnp.zeros((1, 24, 24, 3)),
                                               train=False))
  vd = jax.eval_shape(lambda: SRDiscriminator().init(jax.random.PRNGKey(0),
                                                     jnp.zeros((1, 96, 96, 3)), train=False))
  assert count_params(vg['params']) == g and count_params(vd['params']) == d
  out = jax.eval_shape(lambda: SRResNet(4).apply(
      jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), vg), jnp.zeros((2, 24, 24, 3)),
      train=False))
  assert out.shape == (2, 96, 96, 3)


def test_pixel_shuffle_is_depth_to_space():
  x = np.random.default_rng(0).normal(size=(2, 3, 5, 4 * 3)).astype(np.float32)
  y = np.asarray(pixel_shuffle(jnp.asarray(x), 2))
  assert y.shape == (2, 6, 10, 3)
  for c in range(3):
    for i in range(2):
      for j in range(2):
        np.testing.assert_array_equal(y[:, i::2, j::2, c], x[..., c * 4 + i * 2 + j])
  torch = pytest.importorskip('torch')
  ref = torch.nn.PixelShuffle(2)(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
  np.testing.assert_array_equal(y, ref.transpose(0, 2, 3, 1))


def _photo_pair():
  rng = np.random.default_rng(1)
  a = skdata.astronaut()[100:196, 150:246].astype(np.float64)   # 96 x 96 RGB
  b = np.clip(a + rng.normal(0, 12, a.shape), 0, 255)
  return a[None], b[None]


def test_psnr_and_ssim_on_y_equal_scikit_image():
  a, b = _photo_pair()
  ya, yb = rgb_to_y(a)[0], rgb_to_y(b)[0]
  assert 16 <= ya.min() and ya.max() <= 235
  # BT.601 as MATLAB's rgb2ycbcr: white is 235, black 16
  assert rgb_to_y(np.array([[255.0, 255, 255]]))[0] == pytest.approx(235.0, abs=1e-3)
  for border in (0, 4):
    crop = (slice(border, 96 - border),) * 2
    want = peak_signal_noise_ratio(ya[crop], yb[crop], data_range=255)
    assert psnr_y(a, b, border)[0] == pytest.approx(want, rel=1e-9)
    want = structural_similarity(ya[crop], yb[crop], gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=255)
    assert ssim_y(a, b, border)[0] == pytest.approx(want, rel=1e-9)
  assert 20 < psnr_y(a, b)[0] < 35 and 0.3 < ssim_y(a, b)[0] < 0.95
  assert ssim_y(a, a)[0] == pytest.approx(1.0)


def test_bicubic_downsampler_equals_pillow_away_from_the_borders():
  img = skdata.camera()[100:196, 100:196].astype(np.float32)   # 96 x 96 grey
  ours = imresize(img[..., None], 0.25)[..., 0]
  assert ours.shape == (24, 24)
  pil = np.asarray(Image.fromarray(img, mode='F').resize((24, 24), Image.BICUBIC))
  np.testing.assert_allclose(ours[3:-3, 3:-3], pil[3:-3, 3:-3], atol=1e-2)
  assert np.max(np.abs(ours - pil)) > 0.1          # the borders: mirrored, not clipped
  np.testing.assert_allclose(imresize(np.full((16, 16, 1), 7.0), 0.25), 7.0)
  # a linear ramp stays linear (the kernel reproduces degree-1 polynomials)
  ramp = np.tile(np.arange(32, dtype=np.float64), (32, 1))[..., None]
  small = imresize(ramp, 0.5)[..., 0]
  np.testing.assert_allclose(np.diff(small[:, 2:-2], axis=1), 2.0, atol=1e-9)
  # the jittable form: the same linear map as two matrix products
  batch = np.stack([img, img[::-1]])[..., None]
  np.testing.assert_allclose(jax.jit(lambda x: imresize_jax(x, 0.25))(batch.astype(np.float32)),
                             imresize(batch, 0.25), rtol=1e-5, atol=1e-3)



# -- the super_resolution method: SRResNet and SRGAN --------------------------------

def _sr_config(name, arg='smoke', *overrides):
  import launch  # pylint: disable=g-import-not-at-top
  return launch.load_config(['launch.py', f'--config={os.path.join(ROOT, "experiments", name)}'
                             f':{arg}', *overrides])


def test_low_resolution_inputs_are_8_bit_bicubic():
  hr = np.random.default_rng(2).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
  lr = np.asarray(low_resolution(jnp.asarray(hr), 4))
  assert lr.shape == (2, 4, 4, 3)
  levels = (lr + 1) * 127.5
  np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)       # 8-bit levels
  want = np.clip(np.round((imresize(hr, 0.25) + 1) * 127.5), 0, 255) / 127.5 - 1
  np.testing.assert_allclose(lr, want, atol=1e-5)


def test_srresnet_smoke_then_srgan_starts_from_it_and_translates_any_size(launch, tmp_path):
  sr, gan = str(tmp_path / 'srresnet'), str(tmp_path / 'srgan')
  code, out, err = launch(f'--config={EXP}/srresnet.py:smoke', f'--workdir={sr}')
  assert code == 0, err
  assert 'sr_psnr_y' in out and 'bicubic_psnr_y' in out
  test_fingerprints.assert_state_recorded(os.path.join(sr, 'checkpoints'), 'srresnet')
  # SRGAN's state at step 0 holds the trained SRResNet, bitwise, and a fresh optimizer
  config = _sr_config('srgan.py', 'smoke', f'--config.train.init_from={sr}')
  exp = Experiment(config, gan, need_source=True)
  state, start = exp.restore(exp.checkpoints())
  trained = Experiment.load_trained(_sr_config('srresnet.py'), sr)[1]
  assert start == 0 and int(state.g.opt_state[0].count) == 0
  for x, y in zip(jax.tree.leaves(state.g.params), jax.tree.leaves(trained.g.params)):
    np.testing.assert_array_equal(x, y)
  code, out, err = launch(f'--config={EXP}/srgan.py:smoke', f'--workdir={gan}',
                          f'--config.train.init_from={sr}', '--config.train.num_steps=2')
  assert code == 0 and f'starting from {sr} (step 4)' in out, err
  assert 'd_loss' in out and 'vgg_content' in out and 'sr_lpips' in out
  # --mode=translate: odd sizes and grey images, whole, 4 x larger, RGB
  src, dst = tmp_path / 'in', tmp_path / 'out'
  src.mkdir()
  Image.fromarray(np.zeros((7, 13, 3), np.uint8)).save(src / 'odd.png')
  Image.fromarray(np.full((10, 6), 200, np.uint8), mode='L').save(src / 'grey.png')
  # --mode=eval on whole benchmark images: one row per image, the means keyed by folder
  bench = _benchmark_folder(tmp_path / 'Set3')
  code, out, err = launch(f'--config={EXP}/srresnet.py:smoke', f'--workdir={sr}', '--mode=eval',
                          "--config.eval.metrics=('sr_benchmark',)",
                          f'--config.eval.sr_folders={bench}')
  assert code == 0, err
  assert 'Set3/a.png: psnr_y' in err and 'skipping broken.png' in err
  assert '"Set3_images": 3' in out and '"Set3_bicubic_psnr_y"' in out
  code, out, err = launch(f'--config={EXP}/srresnet.py:smoke', f'--workdir={sr}',
                          '--mode=translate', f'--input={src}', f'--output={dst}')
  assert code == 0, err
  assert Image.open(dst / 'odd.png').size == (52, 28)
  grey = Image.open(dst / 'grey.png')
  assert grey.size == (24, 40) and grey.mode == 'RGB'


@pytest.mark.parametrize('override, message', [
    ('--config.data.sr_scale=3', 'powers of two'),
    ('--config.data.image_size=50', 'not divisible by data.sr_scale=4'),
    ('--config.loss.pixel_weight=0', 'learn nothing'),
    ('--config.train.init_from=/nonexistent/run', 'no config.json there'),
])
def test_super_resolution_errors_name_the_value(override, message, launch, tmp_path):
  code, _, err = launch(f'--config={EXP}/srresnet.py:smoke', f'--workdir={tmp_path}/r', override)
  assert code != 0 and message in err, err
  assert 'Traceback' not in err


def test_content_layer_must_be_a_vgg_layer(launch, tmp_path):
  code, _, err = launch(f'--config={EXP}/srgan.py:smoke', f'--workdir={tmp_path}/r',
                        '--config.loss.vgg_layer=relu9_9')
  assert code != 0 and "vgg_layer='relu9_9' is not a layer of vgg16" in err, err


def _benchmark_folder(folder):
  """Three photo cuts of odd sizes (one greyscale), a broken PNG and a text file."""
  folder.mkdir()
  photo = skdata.astronaut()
  Image.fromarray(photo[100:137, 150:179]).save(folder / 'a.png')           # 29 x 37
  Image.fromarray(photo[200:270, 40:106].mean(-1).astype(np.uint8), mode='L').save(
      folder / 'b.png')                                                      # 66 x 70, grey
  Image.fromarray(skdata.coffee()[50:70, 60:83]).save(folder / 'c.bmp')     # 23 x 20
  (folder / 'broken.png').write_bytes(b'not a png')
  (folder / 'notes.txt').write_text('ignored')
  return str(folder)


def _skimage_scores(out, hr, border):
  """PSNR and SSIM on Y by scikit-image (rgb2ycbcr, its Gaussian SSIM), border cropped."""
  from skimage.color import rgb2ycbcr  # pylint: disable=g-import-not-at-top
  y = lambda im: rgb2ycbcr(im)[border:-border, border:-border, 0]
  a, b = y(out), y(hr)
  return (peak_signal_noise_ratio(b, a, data_range=255),
          structural_similarity(b, a, data_range=255, gaussian_weights=True, sigma=1.5,
                                use_sample_covariance=False))


def test_sr_benchmark_scores_whole_images_as_scikit_image_does(tmp_path):
  """Each image modcropped to x4, LR by MATLAB bicubic rounded to 8 bits, G on the whole
  LR image: the metric's PSNR-Y / SSIM-Y of G and of bicubic equal scikit-image's on
  the same images; LPIPS lies in (0, 1); unreadable files are skipped."""
  folder = _benchmark_folder(tmp_path / 'Set3')
  config = _sr_config('srresnet.py', 'smoke', "--config.eval.metrics=('sr_benchmark',)",
                      f'--config.eval.sr_folders={folder}')
  exp = Experiment(config, str(tmp_path / 'run'), need_source=False)
  state = parallel.replicate(exp.method.initial_state(0), exp.mesh)
  got = sr_benchmark.sr_benchmark(None, EvalContext(config, exp.mesh, method=exp.method,
                                                    state=state))
  assert got['Set3_images'] == 3
  translate = jax.jit(lambda s, x: exp.method.translate(s, x, 'a2b'))
  want = {k: [] for k in ('psnr_y', 'ssim_y', 'bicubic_psnr_y', 'bicubic_ssim_y')}
  for name in ('a.png', 'b.png', 'c.bmp'):
    hr = np.asarray(Image.open(os.path.join(folder, name)).convert('RGB'))
    hr = hr[:hr.shape[0] // 4 * 4, :hr.shape[1] // 4 * 4]
    lr = np.clip(np.round(imresize(hr.astype(np.float64), 0.25)), 0, 255)
    sr = np.asarray(translate(jax.device_get(state), jnp.asarray(lr[None] / 127.5 - 1,
                                                                   jnp.float32)))[0]
    sr = np.clip(np.round((sr + 1) * 127.5), 0, 255).astype(np.uint8)
    bicubic = np.clip(np.round(imresize(lr, 4)), 0, 255).astype(np.uint8)
    for prefix, out in (('', sr), ('bicubic_', bicubic)):
      p, q = _skimage_scores(out, hr, 4)
      want[prefix + 'psnr_y'].append(p)
      want[prefix + 'ssim_y'].append(q)
  for key, values in want.items():
    assert got[f'Set3_{key}'] == pytest.approx(np.mean(values), rel=1e-3), key
  assert got['Set3_bicubic_psnr_y'] > got['Set3_psnr_y'] + 5   # an untrained G
  assert 0 < got['Set3_bicubic_lpips'] < got['Set3_lpips'] < 1


def test_sr_benchmark_embedded_photos_are_the_held_out_quarters_whole():
  """The demo scores whole images too: 'embedded:photos' is each content photo's right
  quarter (where test crops come from) at its own resolution, named 'photos'."""
  config = _sr_config('srresnet.py', 'demo')
  assert 'sr_benchmark' in config.eval.metrics
  assert sr_benchmark.folders(config.eval) == {'photos': 'embedded:photos'}
  names, hr = sr_benchmark.read_set('embedded:photos', 3)
  assert names[0] == 'astronaut' and len(hr) == 6
  assert hr[0].shape == (512, 128, 3) and hr[0].dtype == np.uint8
  np.testing.assert_array_equal(hr[0], skdata.astronaut()[:, 384:])
  grey = sr_benchmark.read_set('embedded:photos', 1)[1][0]
  assert grey.shape == (512, 128, 1)
  np.testing.assert_array_equal(
      grey[..., 0], np.asarray(Image.fromarray(skdata.astronaut()[:, 384:]).convert('L')))


@pytest.mark.parametrize('overrides, message', [
    (["--config.eval.metrics=('sr_benchmark',)"], 'config.eval.sr_folders is empty'),
    (['--config.eval.sr_folders=SET'], "read only by the 'sr_benchmark' metric"),
    (["--config.eval.metrics=('sr_benchmark',)", '--config.eval.sr_folders=/nonexistent/Set5'],
     "config.eval.sr_folders entry='/nonexistent/Set5' is not a folder"),
    (["--config.eval.metrics=('sr_benchmark',)", '--config.eval.sr_folders=SET,SET/'],
     "two folders are named 'Set3'"),
    (["--config.eval.metrics=('sr_benchmark',)", '--config.eval.sr_folders=EMPTY'],
     'holds no images'),
])
def test_sr_benchmark_errors_name_the_value(overrides, message, launch, tmp_path):
  folder = _benchmark_folder(tmp_path / 'Set3')
  (tmp_path / 'empty').mkdir()
  overrides = [o.replace('EMPTY', str(tmp_path / 'empty')).replace('SET', folder)
               for o in overrides]
  code, _, err = launch(f'--config={EXP}/srresnet.py:smoke', f'--workdir={tmp_path}/r',
                        *overrides)
  assert code != 0 and message in err, err
  assert 'Traceback' not in err and not os.path.exists(tmp_path / 'r' / 'checkpoints')
