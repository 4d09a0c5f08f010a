"""Inpainting: partial convolution against its definition (and an ordinary
convolution where nothing is missing), the U-Net's parameter count by hand, the
hole never reaching the output, the masks' determinism and ratios, Liu et al.'s
loss terms by hand, the biharmonic prefill against scikit-image and the guided
U-Net starting from it, the :smoke run through launch.py, --mode=inpaint on odd
sizes and grey images, and its errors."""

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

import test_fingerprints

from gan_jax import masks
from gan_jax import biharmonic
from gan_jax.biharmonic import biharmonic_fill
from gan_jax.data.base import DataInfo
from gan_jax.inference import count_params
from gan_jax.methods.inpainting import composite, dilate, hole_total_variation
from gan_jax.methods.registry import METHODS
from gan_jax.models.inpainting import PartialConv, PConvUNet, SNPatchDiscriminator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, 'experiments')


def _init(module, *args):
  return module.init(jax.random.PRNGKey(0), *args)


def test_partial_convolution_is_its_definition():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(1, 5, 6, 2)).astype(np.float32)
  valid = np.ones_like(x)
  valid[0, 1:4, 2:5, :] = 0.0              # a 3 x 3 hole
  valid[0, 0, 0, 1] = 0.0                  # one channel of one pixel
  conv = PartialConv(3, 3)
  params = _init(conv, x, valid)
  params = jax.tree.map(lambda p: p + 0.1, params)   # a non-zero bias
  out, new_valid = conv.apply(params, x, valid)
  kernel, bias = np.asarray(params['params']['Conv_0']['kernel']), params['params']['bias']
  xp = np.pad(x * valid, ((0, 0), (1, 1), (1, 1), (0, 0)))
  vp = np.pad(valid, ((0, 0), (1, 1), (1, 1), (0, 0)))
  for i in range(5):
    for j in range(6):
      window, count = xp[0, i:i + 3, j:j + 3], vp[0, i:i + 3, j:j + 3].sum()
      want = np.zeros(3) if count == 0 else (
          np.einsum('hwc,hwco->o', window, kernel) * 18 / count + bias)
      np.testing.assert_allclose(out[0, i, j], want, rtol=1e-5, atol=1e-5)
      assert np.all(new_valid[0, i, j] == (count > 0))
  assert np.all(new_valid[0, 2, 3] == 0)   # the hole's centre: its window is all hole
  assert np.all(new_valid[0, 1, 2] == 1)   # the hole's corner: known pixels in its window
  # Nothing missing: an ordinary convolution (with zero padding renormalised at the border).
  full = np.ones_like(x)
  out, _ = conv.apply(params, x, full)
  plain = jax.lax.conv_general_dilated(x, kernel, (1, 1), 'SAME',
                                       dimension_numbers=('NHWC', 'HWIO', 'NHWC')) + bias
  np.testing.assert_allclose(out[0, 1:-1, 1:-1], plain[0, 1:-1, 1:-1], rtol=1e-5, atol=1e-5)


def test_unet_parameter_count_at_512_px_by_hand():
  conv = lambda k, i, o: k * k * i * o + o        # every partial conv has a bias
  widths = [64, 128, 256, 512, 512, 512, 512, 512]
  kernels = [7, 5, 5, 3, 3, 3, 3, 3]
  enc = sum(conv(k, i, o) for k, i, o in zip(kernels, [3] + widths[:-1], widths))
  enc += sum(2 * w for w in widths[1:])           # batch norm on all but the first
  dec = sum(conv(3, widths[i] + widths[i - 1], widths[i - 1]) + 2 * widths[i - 1]
            for i in range(1, 8))
  dec += conv(3, 64 + 3, 3)
  assert enc + dec == 32_865_236
  shapes = jax.eval_shape(functools.partial(PConvUNet(3, 64, 8).init, train=False),
                          jax.random.PRNGKey(0), jnp.zeros((1, 512, 512, 3)),
                          jnp.zeros((1, 512, 512, 1)))
  assert count_params(shapes['params']) == enc + dec
  d = jax.eval_shape(functools.partial(SNPatchDiscriminator(64, 6).init, train=False),
                     jax.random.PRNGKey(0), jnp.zeros((1, 256, 256, 3)),
                     jnp.zeros((1, 256, 256, 1)))
  widths = [64, 128, 256, 256, 256, 256]
  assert count_params(d['params']) == sum(conv(5, i, o) for i, o in zip([4] + widths, widths))


def test_the_hole_never_reaches_the_output_and_only_the_hole_is_replaced():
  net = PConvUNet(3, 8, 3)
  rng = np.random.default_rng(1)
  x = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
  draw = jax.jit(lambda k: masks.random_masks(k, 2, 16, 16, 'rect', 0.2, 0.4))
  hole = np.asarray(draw(jax.random.PRNGKey(3)))
  params = _init(net, x, hole, False)
  fill = jax.jit(lambda images: net.apply(params, images, hole, train=False))
  other = np.where(hole > 0, rng.uniform(-1, 1, x.shape), x).astype(np.float32)
  np.testing.assert_array_equal(fill(x), fill(other))        # hole pixels are never read
  comp = composite(x, hole, fill(x))
  np.testing.assert_array_equal(np.asarray(comp)[hole[..., 0] == 0], x[hole[..., 0] == 0])


def _photo_crops(n, size=48):
  from skimage import data as skdata
  photo = skdata.astronaut().astype(np.float32) / 255
  return np.stack([photo[60 + 40 * i:60 + 40 * i + size, 180:180 + size] for i in range(n)])


def test_biharmonic_fill_solves_scikit_images_system():
  from skimage.restoration import inpaint_biharmonic
  images = _photo_crops(4)
  hole = np.asarray(jax.jit(lambda k: masks.random_masks(k, 4, 48, 48, 'mixed', 0.1, 0.4))(
      jax.random.PRNGKey(3)))
  fill = jax.jit(biharmonic_fill, static_argnums=2)
  # An interior hole: the same 13-point system, solved to float32 rounding (scikit-image
  # clips its solution to the image's range).
  inner = np.zeros((1, 48, 48, 1), np.float32)
  inner[0, 10:30, 12:36] = 1
  ref = inpaint_biharmonic(images[0], inner[0, ..., 0] > 0, channel_axis=-1)
  ours = np.clip(np.asarray(fill(images[:1], inner, 1000))[0], images[0].min(), images[0].max())
  np.testing.assert_allclose(ours, ref, atol=2e-4)
  # Free-form holes, some touching the border, at the default iterations: scikit-image's
  # fill to 1e-4 per hole pixel (its own error from the photo: 0.01 to 0.12).
  out = np.asarray(fill(images, hole, biharmonic.ITERATIONS))
  for i in range(4):
    h = hole[i, ..., 0] > 0
    ref = inpaint_biharmonic(images[i], h, channel_axis=-1)
    ours = np.clip(out[i], images[i].min(), images[i].max())
    assert np.abs(ours - ref)[h].mean() < 1e-4 < 0.01 < np.abs(ref - images[i])[h].mean()
    np.testing.assert_array_equal(out[i][~h], images[i][~h])     # known pixels as they were
  other = np.where(hole > 0, 7.0, images).astype(np.float32)     # the hole is never read
  np.testing.assert_array_equal(np.asarray(fill(other, hole, biharmonic.ITERATIONS)), out)
  # 100 iterations are not enough: the test can tell a solved system from one on its way
  few = np.clip(np.asarray(fill(images, hole, 100)), 0, 1)
  assert max(np.abs(few[i] - out[i]).max() for i in range(4)) > 0.01


def test_guided_unet_starts_from_the_fill_and_learns_its_correction():
  import launch as launch_mod
  config = launch_mod.load_config(['launch.py', f'--config={EXP}/inpainting.py:smoke'])
  config.model.prefill = 'biharmonic'
  config.loss.perceptual_weight = config.loss.style_weight = 0.0  # no VGG weights needed
  method = METHODS.get('inpainting')(config, DataInfo((32, 32, 3), 0, 8))
  state = method.init(jax.random.PRNGKey(0))
  x = jnp.asarray(_photo_crops(2, 32) * 2 - 1)
  hole = np.zeros((2, 32, 32, 1), np.float32)
  hole[:, 8:20, 6:26] = 1
  held = method.with_mask(x, jnp.asarray(hole))
  guide = biharmonic_fill(x, hole)
  np.testing.assert_array_equal(np.asarray(method.translate(state, held)),
                                np.clip(np.asarray(guide), -1, 1))   # step 0: the fill itself
  step = jax.jit(method.train_step)
  batch = {'image': jnp.concatenate([x] * 4), 'label': jnp.zeros((8,), jnp.int32)}
  for _ in range(3):
    state, metrics = step(state, batch)
  moved = np.asarray(method.translate(state, held))
  assert np.isfinite(float(metrics['g_loss'])) and not np.array_equal(moved, np.asarray(guide))
  painted = method.with_mask(jnp.where(hole > 0, 0.3, x), jnp.asarray(hole))
  np.testing.assert_array_equal(np.asarray(method.translate(state, painted)), moved)


@pytest.mark.parametrize('kind', ['rect', 'stroke', 'mixed'])
def test_masks_are_decided_by_their_key_and_cover_the_ratio(kind):
  draw = jax.jit(lambda k: masks.random_masks(k, 64, 32, 48, kind, 0.2, 0.3))
  a, b = draw(jax.random.PRNGKey(5)), draw(jax.random.PRNGKey(5))
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, draw(jax.random.PRNGKey(6)))
  assert a.shape == (64, 32, 48, 1) and set(np.unique(a)) <= {0.0, 1.0}
  ratio = np.asarray(a).mean(axis=(1, 2, 3))
  if kind == 'rect':        # the drawn ratio, up to rounding the sides to pixels
    assert ratio.min() > 0.2 - 0.03 and ratio.max() < 0.3 + 0.03
  else:                     # strokes reach the ratio; the last one may overshoot
    assert ratio.min() >= 0.2 - 0.03 and 0.2 < ratio.mean() < 0.3 + 0.1


def test_mask_settings_are_checked():
  with pytest.raises(Exception, match="kind='blob'"):
    masks.check('blob', 0.1, 0.2)
  with pytest.raises(Exception, match='min_ratio <= max_ratio'):
    masks.check('rect', 0.5, 0.2)


def test_hole_total_variation_and_dilation_by_hand():
  hole = np.zeros((1, 4, 4, 1), np.float32)
  hole[0, 1, 1] = 1.0
  region = np.asarray(dilate(jnp.asarray(hole)))
  np.testing.assert_array_equal(region[0, :, :, 0], [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0],
                                                     [0, 0, 0, 0]])
  comp = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
  # inside the 3 x 3 region: 2 x 3 vertical pairs of |4| and 3 x 2 horizontal pairs of |1|
  assert float(hole_total_variation(jnp.asarray(comp), jnp.asarray(region))) == pytest.approx(
      (6 * 4 + 6 * 1) / 16)


def test_inpainting_smoke_and_inpaint_mode(launch, tmp_path):
  run = str(tmp_path / 'run')
  code, out, err = launch(f'--config={EXP}/inpainting.py:smoke', f'--workdir={run}')
  assert code == 0, err
  for key in ('hole_l1', 'valid_l1', 'perceptual', 'style', 'tv', 'd_loss', 'inpaint_lpips',
              'biharmonic_lpips', 'biharmonic_psnr', 'inpaint_ssim', 'inpaint_l1'):
    assert key in out, key
  test_fingerprints.assert_state_recorded(os.path.join(run, 'checkpoints'), 'inpainting')
  # --mode=inpaint: odd sizes and a grey image, masks from files, outside the hole untouched
  src, masks_dir, dst = tmp_path / 'in', tmp_path / 'masks', tmp_path / 'out'
  src.mkdir()
  masks_dir.mkdir()
  rng = np.random.default_rng(0)
  odd = rng.integers(0, 256, (21, 13, 3), dtype=np.uint8)
  Image.fromarray(odd).save(src / 'odd.png')
  Image.fromarray(np.full((10, 17), 200, np.uint8), mode='L').save(src / 'grey.png')
  hole = np.zeros((21, 13), np.uint8)
  hole[5:12, 3:9] = 255
  Image.fromarray(hole).save(masks_dir / 'odd.png')
  Image.fromarray(np.zeros((10, 17), np.uint8)).save(masks_dir / 'grey.bmp')
  code, out, err = launch(f'--config={EXP}/inpainting.py:smoke', f'--workdir={run}',
                          '--mode=inpaint', f'--input={src}', f'--masks={masks_dir}',
                          f'--output={dst}')
  assert code == 0 and 'filled the holes of 2 images' in out, err
  filled = np.asarray(Image.open(dst / 'odd.png'))
  assert filled.shape == (21, 13, 3)
  np.testing.assert_array_equal(filled[hole == 0], odd[hole == 0])
  assert not np.array_equal(filled[hole > 0], odd[hole > 0])
  assert Image.open(dst / 'grey.png').size == (17, 10)
  # without masks: drawn from --seed and written beside the outputs
  code, out, err = launch(f'--config={EXP}/inpainting.py:smoke', f'--workdir={run}',
                          '--mode=inpaint', f'--input={src}', f'--output={tmp_path}/drawn',
                          '--seed=3')
  assert code == 0, err
  drawn = np.asarray(Image.open(tmp_path / 'drawn' / 'masks' / 'odd.png'))
  assert drawn.shape == (21, 13) and 0 < (drawn > 0).mean() < 0.9
  # errors name the bad value; nothing is written before the masks are checked
  Image.fromarray(np.zeros((5, 5), np.uint8)).save(masks_dir / 'grey.bmp')
  code, _, err = launch(f'--config={EXP}/inpainting.py:smoke', f'--workdir={run}',
                        '--mode=inpaint', f'--input={src}', f'--masks={masks_dir}',
                        f'--output={tmp_path}/bad')
  assert code != 0 and "mask 'grey.bmp' is 5x5 but image 'grey.png' is 17x10" in err, err
  assert not os.path.exists(tmp_path / 'bad')
  os.remove(masks_dir / 'grey.bmp')
  code, _, err = launch(f'--config={EXP}/inpainting.py:smoke', f'--workdir={run}',
                        '--mode=inpaint', f'--input={src}', f'--masks={masks_dir}',
                        f'--output={tmp_path}/bad')
  assert code != 0 and "has no mask for ['grey.png']" in err, err
  code, _, err = launch(f'--config={EXP}/inpainting.py:smoke', f'--workdir={run}',
                        '--mode=translate', f'--input={src}', f'--output={tmp_path}/bad')
  assert code != 0 and 'use --mode=inpaint' in err, err


@pytest.mark.parametrize('override, message', [
    ('--config.data.mask.kind=blob', "config.data.mask.kind='blob'"),
    ('--config.data.image_size=36', 'not a multiple of 2 ** model.downsamplings = 8'),
    ('--config.data.mask.max_ratio=1.5', 'min_ratio <= max_ratio < 1'),
    ('--config.model.prefill=biharmonc', "config.model.prefill='biharmonc'; allowed: none, "
     'biharmonic'),
])
def test_inpainting_errors_name_the_value(override, message, launch, tmp_path):
  code, _, err = launch(f'--config={EXP}/inpainting.py:smoke', f'--workdir={tmp_path}/r', override)
  assert code != 0 and message in err, err
  assert 'Traceback' not in err
