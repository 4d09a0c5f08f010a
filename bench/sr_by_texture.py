"""Where a super-resolution run beats bicubic and where it loses: PSNR-Y of each
held-out crop (the `super_resolution` metric's, border 4), ours and bicubic's,
grouped by how textured the crop is (std of its Y channel in grey levels).

  python bench/sr_by_texture.py --workdir=runs/srresnet_demo [--config=experiments/srresnet.py:demo]
  python bench/sr_by_texture.py --workdir=runs/srgan_demo --config=experiments/srgan.py:demo \
      --config.train.init_from=runs/srresnet_demo
Also writes <workdir>/sr_by_crop.npz (per crop PSNR-Y and LPIPS), to pair runs.
The metric's mean over crops is dominated by near-flat crops, where bicubic
reproduces the 8-bit LR input almost exactly (PSNR 50 to 150 dB) and a network's
error of half a grey level costs it 10 dB or more; this prints that breakdown.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import launch  # noqa: E402
from gan_jax import images as images_lib  # noqa: E402
from gan_jax.experiment import Experiment  # noqa: E402
from gan_jax.methods.super_resolution import bicubic_upscale  # noqa: E402
from gan_jax.metrics import image_quality  # noqa: E402
from gan_jax.metrics.perceptual_metrics import lpips_distance  # noqa: E402
from gan_jax.sampling import translate_arrays  # noqa: E402

BUCKETS = ((0, 4), (4, 8), (8, 16), (16, 32), (32, 256))   # Y std, grey levels


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--workdir', required=True)
  p.add_argument('--config', default=None, help='default: experiments/srresnet.py:demo')
  a, overrides = p.parse_known_args()   # e.g. --config.train.init_from=... as the run had
  spec = a.config or os.path.join(os.path.dirname(launch.EXPERIMENTS), 'experiments',
                                  'srresnet.py:demo')
  config = launch.load_config(['launch.py', f'--config={spec}'] + overrides)
  exp, state, step = Experiment.load_trained(config, a.workdir)
  ex = exp.method.held_out(config.data, config.eval.num_samples)
  scale = config.data.sr_scale
  u8 = lambda x: images_lib.to_uint8(x).astype(np.float64)
  hr = u8(ex['b'])
  ours = translate_arrays(exp.method, state, exp.mesh, ex['a'], 'a2b', config.eval.batch_size)
  p_ours = image_quality.psnr_y(u8(ours), hr, scale)
  p_bic = image_quality.psnr_y(u8(bicubic_upscale(ex['a'], scale)), hr, scale)
  l_ours, l_bic = (np.asarray(lpips_distance(x, ex['b']))
                   for x in (ours, bicubic_upscale(ex['a'], scale)))
  texture = image_quality.rgb_to_y(hr).reshape(len(hr), -1).std(axis=1)
  print(f'{a.workdir} step {step}: {len(hr)} held-out crops, PSNR-Y (dB, border {scale})')
  print('| crops by Y std (grey levels) | crops | PSNR-Y ours | bicubic | ours better on '
        '| LPIPS ours | bicubic | ours better on |')
  print('|---|---:|---:|---:|---:|---:|---:|---:|')
  rows = [(f'{lo} to {hi}', (texture >= lo) & (texture < hi)) for lo, hi in BUCKETS]
  for name, sel in rows + [('all', np.ones(len(hr), bool))]:
    if sel.any():
      print(f'| {name} | {sel.sum()} | {p_ours[sel].mean():.2f} | {p_bic[sel].mean():.2f} | '
            f'{(p_ours[sel] > p_bic[sel]).sum()} | {l_ours[sel].mean():.3f} | '
            f'{l_bic[sel].mean():.3f} | {(l_ours[sel] < l_bic[sel]).sum()} |')
  np.savez(os.path.join(a.workdir, 'sr_by_crop.npz'), psnr_y=p_ours, lpips=l_ours,
           texture=texture, step=step)
  print(f'per crop: {os.path.join(a.workdir, "sr_by_crop.npz")}')


if __name__ == '__main__':
  main()
