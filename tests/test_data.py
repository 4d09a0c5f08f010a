"""Each source yields the documented shapes, dtypes and ranges; batches are a
pure function of (seed, step); bad data gives one clear error."""

import json
import os
import time
import zipfile

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from gan_jax import config as config_lib
from gan_jax.data import pipeline, sources
from gan_jax.data import tfds_source
from gan_jax.errors import UserError


def data_cfg(**kw):
  c = config_lib.base_config().data
  c.update(kw)
  return c


def check_batch(b, n, size, channels):
  assert b['image'].shape == (n, size, size, channels) and b['image'].dtype == np.float32
  assert b['image'].min() >= -1.0 and b['image'].max() <= 1.0
  assert b['label'].shape == (n,) and b['label'].dtype == np.int32


def test_embedded_digits_splits_and_values():
  src = sources.build_source(data_cfg(source='embedded:digits', image_size=16, channels=1))
  assert len(src) == 1500 and src.num_classes == 10
  test = sources.build_source(data_cfg(source='embedded:digits', split='test', image_size=8))
  assert len(test) == 297
  raw = test.get(np.arange(297))
  # At 8x8 no resizing happens: values are the 17 grey levels 0..16 scaled to 0..255.
  from sklearn.datasets import load_digits
  d = load_digits()
  np.testing.assert_array_equal(raw['image'][..., 0], np.round(d.images[1500:] * 255 / 16))
  np.testing.assert_array_equal(raw['label'], d.target[1500:])
  b = pipeline.Batches(src, 8, seed=0)(3)
  check_batch(b, 8, 16, 1)
  assert b['image'].min() == -1.0  # digit backgrounds are 0 -> -1


def test_rgb_conversion_and_max_examples():
  src = sources.build_source(data_cfg(source='embedded:digits', image_size=32, channels=3,
                                   max_examples=10))
  assert len(src) == 10
  b = pipeline.Batches(src, 4, seed=0)(0)
  check_batch(b, 4, 32, 3)
  np.testing.assert_array_equal(b['image'][..., 0], b['image'][..., 2])  # grey in RGB


def test_batches_are_a_function_of_seed_and_step():
  n = 10
  seen = np.concatenate([pipeline.batch_indices(7, s, 4, n) for s in range(5)])  # 2 epochs
  assert sorted(seen[:10]) == list(range(10)) and sorted(seen[10:20]) == list(range(10))
  np.testing.assert_array_equal(pipeline.batch_indices(7, 3, 4, n),
                                pipeline.batch_indices(7, 3, 4, n))
  assert not np.array_equal(seen[:10], seen[10:20])  # a new permutation each epoch
  assert not np.array_equal(pipeline.batch_indices(8, 0, 10, n), seen[:10])
  src = sources.build_source(data_cfg(source='embedded:digits', image_size=8))
  a = pipeline.Batches(src, 4, seed=1, random_flip=True)
  np.testing.assert_array_equal(a(5)['image'], a(5)['image'])


@pytest.mark.parametrize('workers', [1, 3])
def test_prefetcher_yields_steps_in_order(workers):
  def make(s):
    time.sleep(0.02 * (s % 2))  # odd steps finish later: the order must still hold
    if s == 9:
      raise ValueError('bad batch 9')
    return {'x': [s] * 5}
  p = pipeline.Prefetcher(make, 3, 12, depth=2, workers=workers)
  seen = [p.next() for _ in range(6)]
  assert [(step, b['x'][0]) for step, b in seen] == [(3, 3), (4, 4), (5, 5), (6, 6), (7, 7),
                                                     (8, 8)]
  with pytest.raises(ValueError, match='bad batch 9'):  # raised at its own step
    p.next()
  p.close()
  assert p.images >= 30 and p.images == 5 * p.batches_made
  assert p.busy_seconds > 0 and 0 < p.host_rate() < float('inf')


@pytest.mark.parametrize('name,size,channels', [('mnist', 32, 1), ('cifar10', 16, 3),
                                                ('mnist', 28, 3)])
def test_tfds_mock(name, size, channels):
  with tfds.testing.mock_data(num_examples=12):
    src = sources.build_source(data_cfg(source=f'tfds:{name}', image_size=size, channels=channels))
    assert len(src) == 12 and src.num_classes == 10
    b = pipeline.Batches(src, 5, seed=0)(2)
  check_batch(b, 5, size, channels)
  assert set(np.unique(b['label'])) <= set(range(10))


def test_tfds_offline_unprepared_fails_fast(tmp_path, monkeypatch):
  monkeypatch.setattr(tfds_source, 'online', lambda: False)
  start = time.time()
  with pytest.raises(UserError) as e:
    sources.build_source(data_cfg(source='tfds:mnist', data_dir=str(tmp_path)))
  assert time.time() - start < 10
  msg = str(e.value)
  assert "'mnist'" in msg and str(tmp_path) in msg and 'folder:' in msg and 'embedded:' in msg


def test_tfds_download_disabled_and_unknown(tmp_path):
  with pytest.raises(UserError, match='data.download is False'):
    sources.build_source(data_cfg(source='tfds:mnist', data_dir=str(tmp_path), download=False))
  with pytest.raises(UserError, match="no dataset named 'not_a_dataset_xyz'"):
    sources.build_source(data_cfg(source='tfds:not_a_dataset_xyz', data_dir=str(tmp_path)))


def test_real_offline_probe_is_quick():
  start = time.time()
  tfds_source.online()  # True or False; the point is it never hangs
  assert time.time() - start < tfds_source.PROBE_TIMEOUT_S + 2


def write_image(path, size=(10, 12), mode='RGB', value=128):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.new(mode, size, value if mode == 'L' else (value, 0, 255 - value)).save(path)


def test_folder_with_classes_and_bad_files(tmp_path, capsys):
  write_image(str(tmp_path / 'cat' / 'a.png'))
  write_image(str(tmp_path / 'cat' / 'b.jpg'), mode='L')
  write_image(str(tmp_path / 'dog' / 'c.png'), size=(40, 20))
  (tmp_path / 'dog' / 'broken.png').write_bytes(b'not a png')
  src = sources.build_source(data_cfg(source=f'folder:{tmp_path}', image_size=8, channels=3))
  assert 'broken.png' in capsys.readouterr().err
  assert len(src) == 3 and src.num_classes == 2
  b = src.get([0, 1, 2])
  assert b['image'].shape == (3, 8, 8, 3) and b['image'].dtype == np.uint8
  assert list(b['label']) == [0, 0, 1]


def test_folder_unlabelled(tmp_path):
  for i in range(3):
    write_image(str(tmp_path / f'{i}.png'), value=40 * i)
  src = sources.build_source(data_cfg(source=f'folder:{tmp_path}', image_size=8, channels=1))
  assert len(src) == 3 and src.num_classes == 0
  check_batch(pipeline.Batches(src, 2, seed=0)(0), 2, 8, 1)


def test_folder_errors(tmp_path):
  with pytest.raises(UserError, match='does not exist'):
    sources.build_source(data_cfg(source=f'folder:{tmp_path}/missing'))
  (tmp_path / 'notes.txt').write_text('hi')
  with pytest.raises(UserError, match='holds no images'):
    sources.build_source(data_cfg(source=f'folder:{tmp_path}'))
  (tmp_path / 'x.png').write_bytes(b'garbage')
  with pytest.raises(UserError, match='none of its 1 image files is readable'):
    sources.build_source(data_cfg(source=f'folder:{tmp_path}'))


def _dataset_tool_layout(root, labels):
  """stylegan2-ada-pytorch's dataset_tool output: 00000/img00000000.png, ... and
  dataset.json; two images per 'shard' folder, so that the folders are not classes."""
  names = [f'{i // 2:05d}/img{i:08d}.png' for i in range(len(labels))]
  for i, n in enumerate(names):
    write_image(str(root / n), value=30 * i)
  listed = None if labels[0] is None else [[n, y] for n, y in zip(names, labels)]
  (root / 'dataset.json').write_text(json.dumps({'labels': listed}))
  return names


def test_dataset_tool_folder_and_zip(tmp_path):
  names = _dataset_tool_layout(tmp_path / 'ds', [3, 0, 3, 1, 0])
  with zipfile.ZipFile(tmp_path / 'ds.zip', 'w') as z:
    for n in names + ['dataset.json']:
      z.write(tmp_path / 'ds' / n, n)
  for spec in (f'folder:{tmp_path}/ds', f'folder:{tmp_path}/ds.zip'):
    src = sources.build_source(data_cfg(source=spec, image_size=8, channels=3))
    assert len(src) == 5 and src.num_classes == 4, spec     # labels from the json, not folders
    b = src.get([0, 1, 2, 3, 4])
    assert list(b['label']) == [3, 0, 3, 1, 0] and b['image'].shape == (5, 8, 8, 3), spec
    assert list(b['image'][:, 0, 0, 0]) == [0, 30, 60, 90, 120], spec   # in name order
  _dataset_tool_layout(tmp_path / 'plain', [None] * 3)
  src = sources.build_source(data_cfg(source=f'folder:{tmp_path}/plain', image_size=8))
  assert len(src) == 3 and src.num_classes == 0


def test_dataset_tool_errors(tmp_path):
  with pytest.raises(UserError, match='no such zip file'):
    sources.build_source(data_cfg(source=f'folder:{tmp_path}/missing.zip'))
  (tmp_path / 'bad.zip').write_bytes(b'not a zip')
  with pytest.raises(UserError, match='not a readable zip file'):
    sources.build_source(data_cfg(source=f'folder:{tmp_path}/bad.zip'))
  _dataset_tool_layout(tmp_path / 'ds', [1, 2])
  (tmp_path / 'ds' / 'dataset.json').write_text(json.dumps({'labels': [['00000/x.png', 1]]}))
  with pytest.raises(UserError, match=r"no label for 2 image\(s\), e.g. '00000/img00000000.png'"):
    sources.build_source(data_cfg(source=f'folder:{tmp_path}/ds'))


def test_source_name_errors():
  with pytest.raises(UserError,
                     match="unknown data source kind 'hf'; known: embedded, folder, tfds"):
    sources.check_source_name('hf:mnist')
  with pytest.raises(UserError, match="unknown embedded dataset 'letters'"):
    sources.check_source_name('embedded:letters')
  with pytest.raises(UserError, match='no kind prefix'):
    sources.check_source_name('mnist')


def _find_window(big, window):
  """(top, left) of every place where window sits in big, pixel for pixel."""
  s = window.shape[0]
  return [(t, x) for t in range(big.shape[0] - s + 1) for x in range(big.shape[1] - s + 1)
          if np.array_equal(big[t:t + s, x:x + s], window)]


def test_native_crops_are_windows_of_the_full_image_drawn_per_step(tmp_path):
  rng = np.random.default_rng(0)
  big = [rng.integers(0, 256, (40 + 7 * i, 56 - 5 * i, 3), dtype=np.uint8) for i in range(3)]
  (tmp_path / 'hr').mkdir()
  for i, im in enumerate(big):
    Image.fromarray(im).save(tmp_path / 'hr' / f'{i}.png')
  (tmp_path / 'small').mkdir()
  Image.fromarray(big[0][:10, :12]).save(tmp_path / 'small' / 'a.png')
  with zipfile.ZipFile(tmp_path / 'hr.zip', 'w') as z:
    for i in range(3):
      z.write(tmp_path / 'hr' / f'{i}.png', f'{i}.png')
  for spec in (f'folder:{tmp_path}/hr', f'folder:{tmp_path}/hr.zip'):
    src = sources.build_source(data_cfg(source=spec, image_size=16, channels=3,
                                        native_crops=True))
    batches = pipeline.Batches(src, 3, seed=4)
    windows = []
    for step in (0, 1):
      b = batches(step)
      check_batch(b, 3, 16, 3)
      again = batches(step)
      np.testing.assert_array_equal(b['image'], again['image'])          # (seed, step) decides
      idx = pipeline.batch_indices(4, step, 3, len(src))
      for image, i in zip(b['image'], idx):
        u8 = np.rint((image + 1) * 127.5).astype(np.uint8)
        found = _find_window(big[i], u8)                  # a window at native resolution
        assert len(found) == 1, (spec, step, i)
        windows.append((int(i), found[0]))
    assert len(set(windows)) == 6, windows                # new windows each step
    held = src.get([1])['image'][0]                       # plain index: the centre window
    assert _find_window(big[1], held) == [((47 - 16 + 1) // 2, (51 - 16 + 1) // 2)]
  small = sources.build_source(data_cfg(source=f'folder:{tmp_path}/small', image_size=16,
                                        channels=1, native_crops=True)).get([0])['image']
  assert small.shape == (1, 16, 16, 1)                    # enlarged to fit, then windowed
  with pytest.raises(UserError, match="native_crops=True reads windows of folder: sources; "
                                      "data.source='embedded:digits'"):
    sources.build_source(data_cfg(native_crops=True))
  from gan_jax.data import two_domain  # pylint: disable=g-import-not-at-top
  for make in (two_domain.paired_source, two_domain.unpaired_source):
    with pytest.raises(UserError, match='native_crops=True is for single-image folder'):
      make(data_cfg(source=f'folder:{tmp_path}/hr', native_crops=True))
