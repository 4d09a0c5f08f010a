"""Train-step throughput of DCGAN with G's 4x4 stride-2 transposed convs in
three exact forms: Flax's nn.ConvTranspose, the sub-pixel form (one 3x3 conv
to 4 x features channels and a depth-to-space shuffle; the framework's until
2026-11-23) and the four-phase form the framework uses (models/layers.py).

  python3 bench/train_step_speed.py [--size=32] [--batch=64] [--steps=20]

Prints ms per step for each and the speed-ups. All compute the same function
on the same parameters (tests/test_models.py checks the framework's form).
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


_SUBPIXEL_TAPS = np.array([[0, 2, 4], [4, 1, 3]])  # 4: a zero tap


class SubPixelConvTranspose(nn.Module):
  """The 3x3 sub-pixel form: phase a of a 3-tap correlation over x[i-1 .. i+1]."""
  features: int
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x):
    cin = x.shape[-1]
    kernel = self.param('kernel', self.kernel_init, (4, 4, cin, self.features))
    padded = jax.numpy.pad(kernel, ((0, 1), (0, 1), (0, 0), (0, 0)))
    w3 = padded[_SUBPIXEL_TAPS.T][:, :, _SUBPIXEL_TAPS.T]
    w3 = w3.transpose(0, 2, 4, 1, 3, 5).reshape(3, 3, cin, 4 * self.features)
    y = jax.lax.conv_general_dilated(x, w3, (1, 1), ((1, 1), (1, 1)),
                                     dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    b, h, w, _ = y.shape
    y = y.reshape(b, h, w, 2, 2, self.features).transpose(0, 1, 3, 2, 4, 5)
    y = y.reshape(b, 2 * h, 2 * w, self.features)
    if self.use_bias:
      y = y + self.param('bias', nn.initializers.zeros, (self.features,))
    return y


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
  forms = {'nn.ConvTranspose': flax_conv_transpose,
           'sub-pixel 3x3': lambda f, use_bias, kernel_init, name=None: SubPixelConvTranspose(
               f, use_bias, kernel_init, name=name),
           'four-phase (ours)': None}
  ms = {}
  original = dcgan.ConvTranspose4x4s2
  for name, form in forms.items():
    dcgan.ConvTranspose4x4s2 = form or original
    try:
      ms[name] = time_step(a.size, a.channels, a.batch, a.steps, a.width)
    finally:
      dcgan.ConvTranspose4x4s2 = original
  dev = jax.devices()[0]
  print(f'device: {dev.platform} {getattr(dev, "device_kind", "")} x{jax.device_count()}')
  print(f'DCGAN-{a.size} train step, batch {a.batch}, width {a.width} (median of {a.steps}):')
  ours = ms['four-phase (ours)']
  for name, t in ms.items():
    print(f'  {name:<18}: {t:8.1f} ms/step  (ours {t / ours:.2f}x faster)')


if __name__ == '__main__':
  main()
