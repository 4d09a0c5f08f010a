"""Train-step throughput of DCGAN: G's upsampling as Flax's nn.ConvTranspose
against the exact sub-pixel form the framework uses (models/layers.py).

  python3 bench/train_step_speed.py [--size=32] [--batch=64] [--steps=20]

Prints ms per step for each and their ratio. Both forms compute the same
function on the same parameters (tests/test_models.py checks it).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import flax.linen as nn  # noqa: E402
import jax  # noqa: E402
import numpy as np  # noqa: E402

from gan_jax import config as config_lib  # noqa: E402
from gan_jax.data.base import DataInfo  # noqa: E402
from gan_jax.methods.gan import GAN  # noqa: E402
from gan_jax.models import dcgan  # noqa: E402


def flax_conv_transpose(features, use_bias, kernel_init, name=None):
  return nn.ConvTranspose(features, (4, 4), strides=(2, 2), padding='SAME', use_bias=use_bias,
                          kernel_init=kernel_init, name=name)


def time_step(size, channels, batch, steps, width):
  c = config_lib.base_config()
  c.data.image_size, c.data.channels = size, channels
  c.model.g_width = c.model.d_width = width
  method = GAN(c, DataInfo((size, size, channels), 0))
  state = method.init(jax.random.PRNGKey(0))
  step = jax.jit(method.train_step, donate_argnums=(0,))
  images = np.random.default_rng(0).uniform(-1, 1, (batch, size, size, channels)).astype(np.float32)
  b = {'image': jax.numpy.asarray(images), 'label': jax.numpy.zeros((batch,), 'int32')}
  state, m = step(state, b)  # compile
  jax.block_until_ready(m)
  times = []
  for _ in range(steps):
    t = time.perf_counter()
    state, m = step(state, b)
    jax.block_until_ready(m)
    times.append(time.perf_counter() - t)
  return 1000 * float(np.median(times))


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--size', type=int, default=32)
  p.add_argument('--channels', type=int, default=3)
  p.add_argument('--batch', type=int, default=64)
  p.add_argument('--width', type=int, default=64)
  p.add_argument('--steps', type=int, default=20)
  a = p.parse_args()
  subpixel = time_step(a.size, a.channels, a.batch, a.steps, a.width)
  original = dcgan.ConvTranspose4x4s2
  dcgan.ConvTranspose4x4s2 = flax_conv_transpose
  try:
    transpose = time_step(a.size, a.channels, a.batch, a.steps, a.width)
  finally:
    dcgan.ConvTranspose4x4s2 = original
  dev = jax.devices()[0]
  print(f'device: {dev.platform} {getattr(dev, "device_kind", "")} x{jax.device_count()}')
  print(f'DCGAN-{a.size} train step, batch {a.batch}, width {a.width} (median of {a.steps}):')
  print(f'  nn.ConvTranspose : {transpose:8.1f} ms/step')
  print(f'  sub-pixel (ours) : {subpixel:8.1f} ms/step')
  print(f'  speed-up         : {transpose / subpixel:8.2f}x')


if __name__ == '__main__':
  main()
