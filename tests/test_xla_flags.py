"""The measured XLA flags: added once, never over the user's, and in effect."""

import jax
import jax.numpy as jnp

from gan_jax import xla_flags

FLAG = '--xla_cpu_experimental_ynn_fusion_type'


def test_flags_added_unless_the_user_set_them_or_opted_out(monkeypatch):
  monkeypatch.setattr(xla_flags.importlib.metadata, 'version', lambda name: '0.10.2')
  env = {'XLA_FLAGS': '--xla_force_host_platform_device_count=4'}
  assert xla_flags.add_measured_flags(env) == [f'{FLAG}=-individual_convolution']
  assert env['XLA_FLAGS'] == ('--xla_force_host_platform_device_count=4 '
                              f'{FLAG}=-individual_convolution')
  assert xla_flags.add_measured_flags(env) == []  # a second import adds nothing
  mine = {'XLA_FLAGS': f'{FLAG}=+individual_convolution'}
  assert xla_flags.add_measured_flags(mine) == []
  assert mine['XLA_FLAGS'] == f'{FLAG}=+individual_convolution'
  off = {'GAN_JAX_CPU_FLAGS': '0'}
  assert xla_flags.add_measured_flags(off) == [] and 'XLA_FLAGS' not in off


def test_no_flags_for_a_jaxlib_they_were_not_measured_on(monkeypatch):
  # XLA aborts on flags it does not know: another jaxlib gets jax's defaults.
  monkeypatch.setattr(xla_flags.importlib.metadata, 'version', lambda name: '0.11.0')
  env = {}
  assert xla_flags.add_measured_flags(env) == [] and env == {}


def test_convolutions_compile_to_xla_own_kernels_in_this_process():
  # gan_jax was imported before the CPU backend started, so the flag is in effect:
  # a convolution is not handed to YNNPACK, a matrix product still is.
  import gan_jax  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
  conv = lambda x, k: jax.lax.conv_general_dilated(x, k, (1, 1), 'SAME',
                                                   dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
  x, k = jnp.ones((2, 16, 16, 32)), jnp.ones((3, 3, 32, 32))  # a size YNNPACK takes by default
  text = jax.jit(conv).lower(x, k).compile().as_text()
  assert 'convolution(' in text and '__ynn_fusion' not in text
  text = jax.jit(jnp.matmul).lower(jnp.ones((64, 64)), jnp.ones((64, 64))).compile().as_text()
  assert '__ynn_fusion' in text
