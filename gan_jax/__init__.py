"""gan_jax: a JAX/Flax research framework for generative adversarial networks."""
