"""The method registry: `config.method` names a training scheme here. A user's
own method registers from its own module (`METHODS.register('name')(Class)`)."""

from gan_jax.methods.cyclegan import CycleGAN
from gan_jax.methods.gan import GAN
from gan_jax.methods.inpainting import Inpainting
from gan_jax.methods.pggan import ProgressiveGAN
from gan_jax.methods.pix2pix import Pix2Pix
from gan_jax.methods.restoration import Restoration
from gan_jax.methods.stargan import StarGAN
from gan_jax.methods.style_transfer import StyleTransfer
from gan_jax.methods.stylegan2 import StyleGAN2
from gan_jax.methods.super_resolution import SuperResolution
from gan_jax.registry import Registry

METHODS = Registry('method', {
    'gan': GAN,
    'pix2pix': Pix2Pix,
    'cyclegan': CycleGAN,
    'style_transfer': StyleTransfer,
    'stargan': StarGAN,
    'pggan': ProgressiveGAN,
    'super_resolution': SuperResolution,
    'inpainting': Inpainting,
    'restoration': Restoration,
    'stylegan2': StyleGAN2,
})
