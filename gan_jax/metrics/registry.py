"""The metric registry: `config.eval.metrics` names entries here. Each entry is
the metric function and the method capability it needs: sampled images
(GeneratesFromNoise), a translator to run on held-out data (TranslatesImages),
or a style transfer (StylizesImages)."""

from typing import Callable, NamedTuple

from gan_jax.methods.base import GeneratesFromNoise, StylizesImages, TranslatesImages
from gan_jax.metrics import digit_domains
from gan_jax.metrics import perceptual_metrics as pm
from gan_jax.metrics import sample_metrics as sm
from gan_jax.metrics import sr_benchmark as srb
from gan_jax.metrics import translation
from gan_jax.registry import Registry


class Metric(NamedTuple):
  compute: Callable   # (images or None, EvalContext) -> {name: float}
  needs: type         # the capability (a gan_jax.methods.base class) the method must have


METRICS = Registry('metric', {
    'fid': Metric(sm.fid, GeneratesFromNoise),
    'is': Metric(sm.inception_score, GeneratesFromNoise),
    'kid': Metric(sm.kid, GeneratesFromNoise),
    'pr': Metric(sm.precision_recall, GeneratesFromNoise),
    'digits_score': Metric(sm.digits_score, GeneratesFromNoise),
    'digits_fd': Metric(sm.digits_frechet_distance, GeneratesFromNoise),
    'stacked_digits': Metric(sm.stacked_digits_modes, GeneratesFromNoise),
    'modes_ring8': Metric(sm.mode_metric('ring8'), GeneratesFromNoise),
    'modes_grid25': Metric(sm.mode_metric('grid25'), GeneratesFromNoise),
    'pacgan_ring': Metric(sm.pacgan_mode_metric('pacgan_ring'), GeneratesFromNoise),
    'pacgan_grid': Metric(sm.pacgan_mode_metric('pacgan_grid'), GeneratesFromNoise),
    'digits_translation': Metric(translation.digits_translation, TranslatesImages),
    'paired_l1_psnr': Metric(translation.paired_l1_psnr, TranslatesImages),
    'domain_translation': Metric(digit_domains.domain_translation, TranslatesImages),
    'lpips': Metric(pm.lpips_metric, TranslatesImages),
    'super_resolution': Metric(pm.super_resolution, TranslatesImages),
    'sr_benchmark': Metric(srb.sr_benchmark, TranslatesImages),
    'inpainting': Metric(pm.inpainting, TranslatesImages),
    'restoration': Metric(pm.restoration, TranslatesImages),
    'style_content': Metric(pm.style_content, StylizesImages),
})
