"""Flax modules: generators, discriminators, feature networks.

A factory registered here takes (model_config, image_shape) and returns a Flax
module. Generators map z of shape (B, z_dim) to images (B, H, W, C) in [-1, 1];
discriminators map images to one raw output per image, shape (B,).
"""

from gan_jax.registry import Registry

GENERATORS = Registry('generator')
DISCRIMINATORS = Registry('discriminator')

# Importing the model files fills the registries.
from gan_jax.models import dcgan, mlp, patchgan, resnet_translator, sngan, unet  # noqa: E402,F401,E501  pylint: disable=g-import-not-at-top
