"""Timing helpers the bench scripts share."""

import time


def _durations(fn, n):
  times = []
  for _ in range(n):
    t = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t)
  return times


def best_rate(fn, n_images, repeats):
  """Images per second of fn() (which processes n_images), best of `repeats` after a
  warm-up call (compilation, caches)."""
  fn()
  return n_images / min(_durations(fn, repeats))


def median_ms(fn, steps, warmup=3):
  """Median milliseconds of fn() over `steps` calls after `warmup` calls."""
  for _ in range(warmup):
    fn()
  times = sorted(_durations(fn, steps))
  return 1000 * times[len(times) // 2]
