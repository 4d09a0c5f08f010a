"""Timing helpers the bench scripts share."""

import time


def best_rate(fn, n_images, repeats):
  """Images per second of fn() (which processes n_images), best of `repeats` after a
  warm-up call (compilation, caches)."""
  fn()
  times = []
  for _ in range(repeats):
    t = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t)
  return n_images / min(times)


def median_ms(fn, steps, warmup=3):
  """Median milliseconds of fn() over `steps` calls after `warmup` calls."""
  for _ in range(warmup):
    fn()
  times = []
  for _ in range(steps):
    t = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t)
  return 1000 * sorted(times)[len(times) // 2]
