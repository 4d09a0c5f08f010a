"""PGGAN: the paper's parameter counts (Table 2, by hand), the fade-in in G and D,
the official schedule by hand, minibatch standard deviation by hand, the
gradient penalty's resolution factor, per-stage batches from the pipeline, the
optimizer reset, the errors, and the smoke run through launch.py with a resume
in the middle of a fade (bitwise the straight run)."""

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import test_fingerprints

from gan_jax import losses
from gan_jax.data.base import DataInfo
from gan_jax.data.pipeline import Batches, box_downsample
from gan_jax.experiment import Experiment
from gan_jax.inference import count_params
from gan_jax.methods.pggan import ProgressiveGAN, ProgressiveSchedule, fade_reals
from gan_jax.models.pggan import (ProgressiveDiscriminator, ProgressiveGenerator, downsample2x,
                                  minibatch_stddev, upsample2x)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMOKE = os.path.join(ROOT, 'experiments', 'pggan.py') + ':smoke'


def _config(arg=None):
  import pggan  # pylint: disable=g-import-not-at-top  (experiments/ is on sys.path)
  return pggan.get_config(arg)


def _table2_counts():
  """Table 2 (CelebA-HQ 1024), layer by layer: 3x3 convs, the 4x4 'conv' as a
  dense layer from the 512-d latent, 1x1 ToRGB / FromRGB at every resolution
  (all of them are trained at some stage), biases included."""
  conv = lambda k, i, o: k * k * i * o + o
  ch = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}
  g = 512 * 512 * 16 + 512 + conv(3, 512, 512)            # latent -> 4x4x512, conv 3x3
  d = conv(3, 513, 512) + 512 * 16 * 512 + 512 + 512 + 1  # mbstd + conv, dense 512, dense 1
  for r in ch:
    g += conv(1, ch[r], 3)                                 # ToRGB
    d += conv(1, 3, ch[r])                                 # FromRGB
    if r > 4:
      g += conv(3, ch[r // 2], ch[r]) + conv(3, ch[r], ch[r])
      d += conv(3, ch[r], ch[r]) + conv(3, ch[r], ch[r // 2])
  return g, d


def test_parameter_counts_equal_table2_and_the_official_code():
  g, d = _table2_counts()
  assert (g, d) == (23_079_115, 23_087_249)   # also networks.py G_paper / D_paper's counts
  method = ProgressiveGAN(_config(), DataInfo((1024, 1024, 3), 0))
  state = jax.eval_shape(method.init, jax.random.PRNGKey(0))
  assert (count_params(state.g.params), count_params(state.d.params)) == (g, d)
  stages = method.stage_counts(state)
  # 4x4: dense + conv + ToRGB_4; D: FromRGB_4 + the 4x4 block
  assert stages[4][0] == 512 * 8192 + 512 + 9 * 512 * 512 + 512 + 512 * 3 + 3
  assert stages[4][2] == 3 * 512 + 512 + 9 * 513 * 512 + 512 + 8192 * 512 + 512 + 512 + 1
  # 1024 fading in reads every layer but the ToRGB/FromRGB of 4 ... 256
  unused_rgb = sum(c * 3 + 3 for c in (512, 512, 512, 512, 256, 128, 64))
  unused_from = sum(3 * c + c for c in (512, 512, 512, 512, 256, 128, 64))
  assert stages[1024][1] == g - unused_rgb and stages[1024][3] == d - unused_from


def _small_networks():
  """Final 16 px: stages 4, 8, 16 at lod 2, 1, 0."""
  g = ProgressiveGenerator(16, 1, 128, 16)
  d = ProgressiveDiscriminator(16, 128, 16)
  vg = g.init(jax.random.PRNGKey(0), jnp.zeros((4, 16)), 0.0)
  vd = d.init(jax.random.PRNGKey(1), jnp.zeros((4, 16, 16, 1)), 0.0)
  return (jax.jit(g.apply, static_argnames='res'), jax.jit(d.apply)), vg, vd


def test_fade_in_starts_at_the_lower_resolution_and_ends_at_the_new_one():
  (g, d), vg, vd = _small_networks()
  z = jax.random.normal(jax.random.PRNGKey(2), (4, 16))
  start = g(vg, z, 2.0, res=8)                   # 8x8 at alpha 0 (lod 2)
  # the 4x4 stage's output (lod 2), upsampled; lerp(a, b, 1) = a + (b - a): one rounding
  np.testing.assert_allclose(start, upsample2x(g(vg, z, 2.0, res=4)), atol=1e-6)
  half = g(vg, z, 1.5, res=8)
  end = g(vg, z, 1.0, res=8)
  np.testing.assert_allclose(half, 0.5 * (start + end), atol=1e-5)
  assert float(jnp.max(jnp.abs(end - start))) > 0.01
  # sampling runs every resolution and upsamples: the stage's output, upsampled
  np.testing.assert_allclose(g(vg, z, 1.5), upsample2x(half), atol=1e-6)
  np.testing.assert_array_equal(g(vg, z, 0.0), g(vg, z, 0.0, res=16))
  # D at alpha 0 judges the 2x2-averaged image with the lower stage's layers
  x = jax.random.normal(jax.random.PRNGKey(3), (4, 8, 8, 1))
  np.testing.assert_allclose(d(vd, x, 2.0), d(vd, downsample2x(x), 2.0), atol=1e-5)
  assert float(jnp.max(jnp.abs(d(vd, x, 1.0) - d(vd, x, 2.0)))) > 1e-3
  # reals fade the same way: at t = 1 the 2x2 average, upsampled
  np.testing.assert_allclose(fade_reals(x, 1.0), upsample2x(downsample2x(x)), atol=1e-6)
  np.testing.assert_array_equal(fade_reals(x, 0.0), x)


def test_minibatch_stddev_by_hand():
  x = np.random.default_rng(0).normal(size=(8, 2, 2, 3)).astype(np.float32)
  y = np.asarray(minibatch_stddev(jnp.asarray(x), 4))
  assert y.shape == (8, 2, 2, 4)
  np.testing.assert_array_equal(y[..., :3], x)
  for m in range(2):  # groups {m, m + 2, m + 4, m + 6}, as the official reshape [G, M, ...]
    members = x[m::2]
    want = np.mean(np.sqrt(np.var(members, axis=0) + 1e-8))
    for n in range(m, 8, 2):
      np.testing.assert_allclose(y[n, ..., 3], want, rtol=1e-5)


def test_the_official_schedule_by_hand():
  # CelebA-HQ preset-v2-1gpu: stable and fade 600 kimg each, from 4x4 to 1024
  s = ProgressiveSchedule(1024, 4, 600, 600, {4: 128, 8: 128, 16: 128, 32: 64}, 4, 4)
  for step in (0, 4000, 4684):
    assert s.lod(step) == 8.0 and s.resolution_at(step) == 4
  # the first group past 600 kimg (4,688 steps of 128 = 600,064 images) fades 8x8 in
  assert s.segments[1].first_step == 4688 and s.resolution_at(4688) == 8
  assert s.lod(4688) == pytest.approx(8 - 0.064 / 600)
  assert s.lod(4689) == s.lod(4691) == s.lod(4688)   # held over a group of 4 steps
  mid = s.segments[1].first_step + 4 * 586         # 900,000 or so images
  assert s.lod(mid) == pytest.approx(8 - (s.images_before(mid) / 1000 - 600) / 600)
  # lod and resolution agree everywhere; batches follow the resolution
  for step in range(0, 60_000, 97):
    assert s.resolution_at(step) == 1024 >> math.floor(s.lod(step))
    assert s.first(step + 1) - s.first(step) == s.count(step) == s.batches[
        s.resolution_at(step)] // 4
  assert s.lod(10**7) == 0.0
  # the traced lod is the host's (in float32) at every stage
  for step in (0, 4688, 9000, 9376, 30_000, 50_000):
    res = s.resolution_at(step)
    assert float(s.traced_lod(jnp.int32(step), res)) == pytest.approx(s.lod(step), abs=1e-5)
  # the stages' boundaries, each listed for a sample grid
  m = s.milestones(60_000)
  assert m[4688] == '4x4 trained; 8x8 fades in' and m[9376] == '8x8 faded in; trains stable'


def test_gradient_penalty_is_taken_at_the_final_resolution():
  """The official D sees the stage image upsampled to the full size: its gradient
  norm there is the stage image's divided by the upsampling factor."""
  (_, d), _, vd = _small_networks()
  x = jax.random.normal(jax.random.PRNGKey(4), (4, 4, 4, 1))
  up = lambda a: upsample2x(upsample2x(a))          # 4 -> 16: the official network input
  full_d = lambda a: d(vd, downsample2x(downsample2x(a)), 2.0)  # its D at lod 2
  key = jax.random.PRNGKey(5)
  official = losses.gradient_penalty(full_d, up(x), up(x * 0.5), key)
  ours = losses.gradient_penalty(lambda a: d(vd, a, 2.0) * (4 / 16), x, x * 0.5, key)
  np.testing.assert_allclose(ours, official, rtol=1e-5)
  assert float(ours) > 0.01   # not two zeros


def test_batches_come_at_each_stage_resolution_and_size():
  config = _config('digits')
  exp = Experiment(config, None, need_source=True, devices=jax.devices()[:1])
  s = exp.method.schedule
  batches = Batches(exp.source, config.train.batch_size, 0, per_step=s, crop_to=32)
  first = batches(0)
  assert first['image'].shape == (128, 4, 4, 1)      # 4x4 at the official 128
  last = batches(config.train.num_steps - 1)
  assert last['image'].shape == (64, 32, 32, 1)
  full = Batches(exp.source, 64, 0, crop_to=32)
  step = s.segments[-1].first_step                   # a 32 px step reads whole batches
  np.testing.assert_array_equal(batches(step)['image'],
                                full(s.first(step))['image'])
  x = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4, 1)
  assert box_downsample(x, 2)[0, 0, 0, 0] == (0 + 1 + 4 + 5) / 4
  # uint8 sources: rounded to uint8 as dataset_tool stores each level (np.rint: half to even)
  u = np.array([[0, 1], [1, 0]], np.uint8).reshape(1, 2, 2, 1)
  assert box_downsample(u, 2).dtype == np.uint8 and box_downsample(u, 2).item() == 0
  assert box_downsample(u + 1, 2).item() == 2   # 1.5 -> 2


def test_optimizer_restarts_where_the_level_of_detail_changes():
  config = _config('smoke')
  exp = Experiment(config, None, need_source=True, devices=jax.devices()[:1])
  method, s = exp.method, exp.method.schedule
  batches = Batches(exp.source, config.train.batch_size, 0, per_step=s, crop_to=8)
  step_fn = jax.jit(method.train_step)
  state = method.init(jax.random.PRNGKey(0))
  counts = []
  for step in range(7):
    state, _ = step_fn(state, batches(step))
    counts.append(int(state.g.opt_state[0].count))
  # 4x4 for 3 steps, 8x8 fades in over 2 (Adam restarts), then 8x8 stable (restarts)
  assert [s.resolution_at(i) for i in range(7)] == [4, 4, 4, 8, 8, 8, 8]
  assert counts == [1, 2, 3, 1, 2, 1, 2]
  assert float(state.lod) == 0.0


@pytest.mark.parametrize('override, message', [
    ('--config.data.image_size=24', 'power of two'),
    ('--config.progressive.start_res=32', 'above'),
    ("--config.progressive.batch_sizes=4:12", 'multiple of train.batch_size'),
    ("--config.progressive.batch_sizes=4-16", 'resolution:value'),
    ("--config.progressive.lr=12:0.1", 'not powers of two'),
    ('--config.model.conditional=True', "not by method 'pggan'"),
    ('--config.optim.g.schedule=linear', 'per resolution'),
    ('--config.progressive.stable_kimg=0 --config.progressive.fade_kimg=0', 'never grow'),
])
def test_config_errors_name_the_value(override, message, launch, tmp_path):
  code, _, err = launch(f'--config={SMOKE}', f'--workdir={tmp_path}', *override.split())
  assert code != 0 and message in err, err
  assert 'Traceback' not in err


def test_smoke_run_through_launch_resumes_mid_fade_bitwise(launch, tmp_path):
  straight, resumed = str(tmp_path / 'straight'), str(tmp_path / 'resumed')
  code, out, err = launch(f'--config={SMOKE}', f'--workdir={straight}')
  assert code == 0, err
  assert 'stage 8x8 (fading in) from step 3' in out and 'stage 8x8 (stable) from step 5' in out
  test_fingerprints.assert_state_recorded(os.path.join(straight, 'checkpoints'), 'pggan')
  samples = sorted(os.listdir(os.path.join(straight, 'samples')))
  assert {'step_000003.png', 'step_000005.png'} <= set(samples)   # the end of each stage
  # killed in the middle of the fade (after step 4 of 7), resumed
  assert launch(f'--config={SMOKE}', f'--workdir={resumed}', '--config.train.num_steps=4')[0] == 0
  code, out, err = launch(f'--config={SMOKE}', f'--workdir={resumed}')
  assert code == 0 and 'resuming from step 4' in out, err
  import test_train  # pylint: disable=g-import-not-at-top
  a, _ = test_train.load_state(SMOKE, straight)
  b, _ = test_train.load_state(SMOKE, resumed)
  assert float(a.lod) == 0.0
  for x, y in zip(test_train.leaves(a), test_train.leaves(b)):
    np.testing.assert_array_equal(x, y)
