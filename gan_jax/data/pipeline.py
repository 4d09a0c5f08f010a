"""Deterministic batches: the batch of step s depends only on (seed, s).

Sample positions step * B ... step * B + B - 1 run through the epochs of the
dataset, each epoch a fresh permutation seeded by (seed, epoch). A resumed run
therefore sees the very batches an uninterrupted one would, with no iterator
state to checkpoint.
"""

import functools
import queue
import threading

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


class Batches:
  """batches(step) -> {'image': float32 (B * n, H, W, C) in [-1, 1], 'label': int32 (B * n,)}.

  With per_step n > 1 (n_critic real batches per step) the n batches of step s
  are the pipeline's batches s * n ... s * n + n - 1, interleaved: row b * n + k
  is sample b of batch k, so that splitting rows over devices gives each device
  its share of every batch.
  """

  def __init__(self, source, batch_size: int, seed: int, random_flip: bool = False,
               per_step: int = 1, rows: slice = slice(None)):
    self.source, self.batch_size, self.seed = source, batch_size, seed
    self.random_flip, self.per_step = random_flip, per_step
    self.rows = rows  # a process of a multi-process job loads only its rows

  def __call__(self, step: int):
    n = self.per_step
    idx = np.stack([batch_indices(self.seed, step * n + k, self.batch_size, len(self.source))
                    for k in range(n)], axis=1).reshape(-1)
    flip = np.random.default_rng([self.seed, step, 0xF11F]).random(len(idx)) < 0.5
    idx, flip = idx[self.rows], flip[self.rows]
    b = self.source.get(idx)
    images = b['image']
    images = to_float(images) if images.dtype == np.uint8 else images.astype(np.float32)
    if self.random_flip:
      images[flip] = images[flip, :, ::-1]
    return {'image': images, 'label': b['label'].astype(np.int32)}


class Prefetcher:
  """Prepares batches for steps [start, end) on a host thread, in order."""

  def __init__(self, batches, start: int, end: int, depth: int = 2):
    self._queue = queue.Queue(maxsize=max(1, depth))
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, args=(batches, start, end), daemon=True)
    self._thread.start()

  def _run(self, batches, start, end):
    for step in range(start, end):
      if self._stop.is_set():
        return
      try:
        item = (step, batches(step), None)
      except Exception as e:  # pylint: disable=broad-except
        item = (step, None, e)
      while not self._stop.is_set():
        try:
          self._queue.put(item, timeout=0.1)
          break
        except queue.Full:
          continue
      if item[2] is not None:
        return

  def next(self):
    step, batch, error = self._queue.get()
    if error is not None:
      raise error
    return step, batch

  def close(self):
    self._stop.set()
    self._thread.join(timeout=5)
