"""Generator and discriminator registries: `config.model.generator` and
`config.model.discriminator` name a factory (model_config, DataInfo) -> Flax
module. Generators map z (B, z_dim) [and labels] to images (B, H, W, C) in
[-1, 1], or images to images (translation); discriminators map images [and
labels] to one raw output per image, or per patch (PatchGAN)."""

from gan_jax.models import (biggan, dcgan, johnson, mlp, patchgan, resnet_translator, sngan,
                            stargan, unet)
from gan_jax.registry import Registry

GENERATORS = Registry('generator', {
    'mlp': mlp.mlp_generator,
    'dcgan': dcgan.dcgan_generator,
    'sngan_resnet': sngan.sngan_generator,
    'wgan_gp_resnet': sngan.wgan_gp_resnet_generator,
    'resnet_9blocks': resnet_translator.resnet_generator(9),
    'resnet_6blocks': resnet_translator.resnet_generator(6),
    'unet_256': unet.unet_generator(8),
    'unet_128': unet.unet_generator(7),
    'unet_64': unet.unet_generator(6),   # small-image variants (embedded demos)
    'unet_32': unet.unet_generator(5),
    'johnson': johnson.johnson_generator,     # style transfer (Johnson et al. 2016)
    'stargan': stargan.stargan_generator,     # images + target labels -> images
    'biggan': biggan.biggan_generator,        # class-conditional (Brock et al. 2019)
})

DISCRIMINATORS = Registry('discriminator', {
    'mlp': mlp.mlp_discriminator,
    'maxout': mlp.maxout_discriminator,   # PacGAN / VEEGAN toy D
    'dcgan': dcgan.dcgan_discriminator,
    'sngan_resnet': sngan.sngan_discriminator,
    'wgan_gp_resnet': sngan.wgan_gp_resnet_discriminator,
    'patchgan': patchgan.patchgan,
    'stargan': stargan.stargan_discriminator,  # (real/fake map, label logits)
    'biggan': biggan.biggan_discriminator,     # projection D
})
