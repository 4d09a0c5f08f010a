"""Metrics of translation methods (pix2pix, CycleGAN), on the held-out split.

digits_translation (embedded:digits2digits_m): does the digit survive? The
  digits classifier reads b2a translations of the held-out digits_m images and
  is scored against their source labels (`label_kept_b2a`), beside the same
  classifier on the untranslated digits_m images turned grey
  (`label_kept_b2a_baseline`); `label_kept_a2b` likewise for digits -> digits_m.
  `cycle_l1_a` / `cycle_l1_b`: mean |F(G(x)) - x| on held-out images ([-1, 1]).
paired_l1_psnr: mean L1 and PSNR (dB, images in [0, 1]) of G(A) against the
  target B, beside the identity baseline (output = input).
"""

import numpy as np

from gan_jax.metrics import digits_classifier as dc
from gan_jax.sampling import translate_arrays


def _held_out(ctx):
  return ctx.method.held_out(ctx.config.data)


def psnr(x, y) -> float:
  """Mean over images of PSNR in dB for images in [-1, 1], on the [0, 1] scale."""
  mse = np.mean(((np.asarray(x) - np.asarray(y)) / 2.0) ** 2, axis=(1, 2, 3))
  return float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-12))))


def digits_translation(images, ctx):
  del images
  ex = _held_out(ctx)
  run = lambda x, d: translate_arrays(ctx.method, ctx.state, ctx.mesh, x, d,
                                      ctx.config.eval.batch_size)
  b2a, a2b = run(ex['b'], 'b2a'), run(ex['a'], 'a2b')
  kept = lambda imgs, labels: float(np.mean(dc.predict_probs(imgs).argmax(-1) == labels))
  return {
      'label_kept_b2a': kept(b2a, ex['label_b']),
      'label_kept_b2a_baseline': kept(ex['b'], ex['label_b']),
      'label_kept_a2b': kept(a2b, ex['label']),
      'cycle_l1_a': float(np.mean(np.abs(run(a2b, 'b2a') - ex['a']))),
      'cycle_l1_b': float(np.mean(np.abs(run(b2a, 'a2b') - ex['b']))),
  }


def paired_l1_psnr(images, ctx):
  del images
  ex = _held_out(ctx)
  out = translate_arrays(ctx.method, ctx.state, ctx.mesh, ex['a'], 'a2b',
                         ctx.config.eval.batch_size)
  return {'test_l1': float(np.mean(np.abs(out - ex['b']))), 'test_psnr': psnr(out, ex['b']),
          'identity_l1': float(np.mean(np.abs(ex['a'] - ex['b']))),
          'identity_psnr': psnr(ex['a'], ex['b'])}
