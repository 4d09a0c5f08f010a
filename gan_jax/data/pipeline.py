"""Deterministic batches: the batch of step s depends only on (seed, s).

Sample positions step * B ... step * B + B - 1 run through the epochs of the
dataset, each epoch a fresh permutation seeded by (seed, epoch). A resumed run
therefore sees the very batches an uninterrupted one would, with no iterator
state to checkpoint.
"""

import collections
import concurrent.futures
import functools
import threading
import time

import numpy as np


@functools.lru_cache(maxsize=4)
def _permutation(seed: int, epoch: int, n: int) -> np.ndarray:
  return np.random.default_rng([seed, epoch, 0x5EED]).permutation(n)


def batch_indices(seed: int, step: int, batch_size: int, n: int) -> np.ndarray:
  positions = step * batch_size + np.arange(batch_size)
  epochs, offsets = positions // n, positions % n
  out = np.empty(batch_size, np.int64)
  for epoch in np.unique(epochs):
    sel = epochs == epoch
    out[sel] = _permutation(seed, int(epoch), n)[offsets[sel]]
  return out


def to_float(images_uint8: np.ndarray) -> np.ndarray:
  """uint8 [0, 255] -> float32 [-1, 1], the range of G's tanh output."""
  return images_uint8.astype(np.float32) * (2.0 / 255.0) - 1.0


class BatchSchedule:
  """How many real batches step s reads, and where they start in the stream.

  n per step (n_critic), except `boost` per step for the first `boost_first`
  steps and every `boost_every`-th step: WGAN's critic schedule (Arjovsky et
  al. 2017, martinarjovsky/WassersteinGAN main.py: 100 critic iterations while
  gen_iterations < 25 or gen_iterations % 500 == 0). boost = 0: always n.
  """

  def __init__(self, per_step: int = 1, boost: int = 0, boost_first: int = 0,
               boost_every: int = 0):
    self.per_step, self.boost = per_step, boost
    self.boost_first, self.boost_every = boost_first, boost_every

  def boosted(self, step: int) -> bool:
    return self.boost > 0 and (step < self.boost_first or
                               (self.boost_every > 0 and step % self.boost_every == 0))

  def count(self, step: int) -> int:
    return self.boost if self.boosted(step) else self.per_step

  def resolution_at(self, step: int) -> int:
    """The image size step s trains at; 0: the data's (PGGAN's stages set it)."""
    del step
    return 0

  def first(self, step: int) -> int:
    """Batches read by steps 0 ... step - 1 (closed form: resuming needs no replay)."""
    if self.boost <= 0 or step <= 0:
      return self.per_step * max(step, 0)
    boosted = min(step, self.boost_first)
    if self.boost_every > 0:  # multiples of boost_every in [boost_first, step - 1]
      lo = -(-self.boost_first // self.boost_every)
      boosted += max(0, (step - 1) // self.boost_every - lo + 1)
    return self.per_step * step + (self.boost - self.per_step) * boosted


class Batches:
  """batches(step) -> {'image': float32 (B * n, H, W, C) in [-1, 1], 'label': int32 (B * n,)}
  (translation sources add 'image_b' and 'label_b').

  Images larger than crop_to are randomly cropped to it, and with random_flip
  mirrored half of the time, drawn from (seed, step): the same for A and B of a
  row, or per side where the source says so (unaligned domains).

  When step s reads n > 1 batches (n_critic; see BatchSchedule) they are the
  pipeline's batches first(s) ... first(s) + n - 1, interleaved: row b * n + k
  is sample b of batch k, so that splitting rows over devices gives each device
  its share of every batch.
  """

  def __init__(self, source, batch_size: int, seed: int, random_flip: bool = False,
               per_step=1, rows=None, crop_to: int = 0):
    self.source, self.batch_size, self.seed = source, batch_size, seed
    self.random_flip = random_flip
    self.schedule = per_step if isinstance(per_step, BatchSchedule) else BatchSchedule(per_step)
    # rows(num_rows) -> slice: a process of a multi-process job loads only its rows
    self.rows = rows or (lambda num_rows: slice(None))
    self.crop_to = crop_to

  def __call__(self, step: int):
    n, first = self.schedule.count(step), self.schedule.first(step)
    idx = np.stack([batch_indices(self.seed, first + k, self.batch_size, len(self.source))
                    for k in range(n)], axis=1).reshape(-1)
    idx = self.source.draw(idx, np.random.default_rng([self.seed, step, 0xB1D]))
    rows = self.rows(len(idx))
    draws = {}  # side -> (flip, corner), drawn once per step and side
    out = {}
    for key, value in self.source.get(idx[rows]).items():
      if value.ndim != 4:
        out[key] = value.astype(np.int32)
        continue
      side = 1 if key == 'image_b' and not self.source.sides_share_crop else 0
      if side not in draws:
        draws[side] = (
            np.random.default_rng([self.seed, step, 0xF11F] + [side] * side).random(len(idx)),
            np.random.default_rng([self.seed, step, 0xC409] + [side] * side).random((len(idx), 2)))
      flip, corner = draws[side]
      images = value
      if self.crop_to and images.shape[1] > self.crop_to:
        images = _crop(images, self.crop_to, corner[rows])
      res = self.schedule.resolution_at(step)
      if res and images.shape[1] > res:
        images = box_downsample(images, images.shape[1] // res)
      images = to_float(images) if images.dtype == np.uint8 else images.astype(np.float32)
      if self.random_flip:
        f = flip[rows] < 0.5
        images[f] = images[f, :, ::-1]
      out[key] = images
    return out


def box_downsample(images, factor: int):
  """(N, H, W, C) -> (N, H / f, W / f, C), each pixel the mean of its f x f block,
  as PGGAN's dataset_tool builds each lower resolution (repeated 2x2 averages,
  exact in float32); uint8 images are rounded back to uint8 as it stores them."""
  n, h, w, c = images.shape
  mean = images.reshape(n, h // factor, factor, w // factor, factor, c).mean(
      axis=(2, 4), dtype=np.float32)
  if images.dtype == np.uint8:
    return np.clip(np.rint(mean), 0, 255).astype(np.uint8)
  return mean


def _crop(images, size, corner):
  """Row i: the size x size window at fraction corner[i] of the free range."""
  free_h, free_w = images.shape[1] - size, images.shape[2] - size
  out = np.empty((len(images), size, size, images.shape[3]), images.dtype)
  for i, (fy, fx) in enumerate(corner):
    top, left = int(fy * (free_h + 1)), int(fx * (free_w + 1))
    out[i] = images[i, top:top + size, left:left + size]
  return out


class Prefetcher:
  """Prepares the batches of steps [start, end), in order, `depth` ahead, on
  `workers` host threads (a batch is a pure function of its step, so threads
  change nothing but the rate; decoding JPEGs and resizing release the GIL).
  Counts the images made and the thread-seconds spent: the host's rate."""

  def __init__(self, batches, start: int, end: int, depth: int = 2, workers: int = 1):
    self._batches, self._next, self._end = batches, start, end
    self.workers = max(1, workers)
    self._depth = max(1, depth, self.workers)
    self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, 'gan_jax_data')
    self._lock = threading.Lock()
    self._futures = collections.deque()
    self.images, self.batches_made, self.busy_seconds = 0, 0, 0.0
    self._fill()

  def _make(self, step):
    t = time.perf_counter()
    batch = self._batches(step)
    with self._lock:
      self.busy_seconds += time.perf_counter() - t
      self.images += len(next(iter(batch.values())))
      self.batches_made += 1
    return batch

  def _fill(self):
    while len(self._futures) < self._depth and self._next < self._end:
      self._futures.append((self._next, self._pool.submit(self._make, self._next)))
      self._next += 1

  def host_rate(self) -> float:
    """Images per second the threads can make together (their busy time shared)."""
    with self._lock:
      busy = self.busy_seconds / self.workers
      return self.images / busy if busy > 0 else float('inf')

  def next(self):
    step, future = self._futures.popleft()
    batch = future.result()  # a producer's error is raised here, at its step
    self._fill()
    return step, batch

  def close(self):
    for _, future in self._futures:
      future.cancel()
    self._pool.shutdown(wait=True, cancel_futures=True)
