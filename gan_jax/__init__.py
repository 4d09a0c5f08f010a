"""gan_jax: a JAX/Flax research framework for generative adversarial networks."""

from gan_jax import xla_flags as _xla_flags

_xla_flags.add_measured_flags()
