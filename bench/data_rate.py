"""Host data rate of each source kind, with 1, 2 and 4 prefetch threads: the
figure a run prints at its first log line ('data: N img/s from K host threads').

  python3 bench/data_rate.py [--steps=40]

Sources: embedded digits (16 px, batch 64), a folder of 600 JPEGs of 300 x 300
read at 256 px (batch 16; decoded, resized and cropped on the host), and the
CycleGAN digits pairs (batch 1 of two domains). Prints images per second of
wall time over --steps batches, after two warm-up batches.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from gan_jax import config as config_lib  # noqa: E402
from gan_jax.data import sources, two_domain  # noqa: E402
from gan_jax.data.pipeline import Batches, Prefetcher  # noqa: E402


def rate(source, batch, steps, workers):
  batches = Batches(source, batch, seed=0, random_flip=True, crop_to=0)
  p = Prefetcher(batches, 0, steps + 2, depth=max(2, workers), workers=workers)
  p.next(), p.next()
  start = time.perf_counter()
  images = 0
  for _ in range(steps):
    _, b = p.next()
    images += len(b['image'])
  p.close()
  return images / (time.perf_counter() - start)


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument('--steps', type=int, default=40)
  args = ap.parse_args()
  rng = np.random.default_rng(0)
  with tempfile.TemporaryDirectory() as tmp:
    for i in range(600):
      pixels = (rng.random((75, 75, 3)) * 255).astype(np.uint8)  # smooth-ish: a 4x upsample
      Image.fromarray(pixels).resize((300, 300), Image.BICUBIC).save(
          os.path.join(tmp, f'{i:04d}.jpg'), quality=90)
    data = config_lib.base_config().data
    kinds = []
    d = data.copy_and_resolve_references()
    d.source, d.image_size, d.channels = 'embedded:digits', 16, 1
    kinds.append(('embedded:digits, 16 px', sources.build_source(d), 64))
    d = data.copy_and_resolve_references()
    d.source, d.image_size, d.channels = f'folder:{tmp}', 256, 3
    kinds.append(('folder of JPEGs, 256 px', sources.build_source(d), 16))
    d = data.copy_and_resolve_references()
    d.source, d.image_size, d.channels = 'embedded:digits2digits_m', 16, 3
    kinds.append(('embedded:digits2digits_m (unpaired)', two_domain.unpaired_source(d), 1))
    print('| source | batch | 1 thread | 2 threads | 4 threads |')
    print('|---|---|---|---|---|')
    for name, src, batch in kinds:
      figures = [rate(src, batch, args.steps, w) for w in (1, 2, 4)]
      print(f'| {name} | {batch} | ' + ' | '.join(f'{f:,.0f} img/s' for f in figures) + ' |',
            flush=True)


if __name__ == '__main__':
  main()
