"""Inpainting and old-photo restoration side by side with their classical
baselines, on the held-out crops the metrics use: a picture for a person to look
at, and the metric's table.

  python launch.py --config=experiments/inpainting.py:demo --workdir=runs/inpaint_demo
  python launch.py --config=experiments/restore_photos.py:demo --workdir=runs/restore_demo
  python bench/restoration_pictures.py inpainting [--workdir=runs/inpaint_demo --show=6]
  python bench/restoration_pictures.py restore_photos [--workdir=runs/restore_demo]
Writes bench/out/<experiment>.png. Columns: inpainting: input with its hole
(white), ours, biharmonic, original; restoration: degraded input, ours, TV,
NL-means, original.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402

import launch  # noqa: E402
from gan_jax import images as images_lib  # noqa: E402
from gan_jax.experiment import Experiment  # noqa: E402
from gan_jax.metrics import perceptual_metrics as pm  # noqa: E402
from gan_jax.sampling import translate_arrays  # noqa: E402

CELL = 96


def main():
  p = argparse.ArgumentParser()
  p.add_argument('experiment', choices=['inpainting', 'restore_photos'])
  p.add_argument('--workdir', default=None)
  p.add_argument('--show', type=int, default=6)
  a = p.parse_args()
  workdir = a.workdir or {'inpainting': 'runs/inpaint_demo',
                          'restore_photos': 'runs/restore_demo'}[a.experiment]
  spec = os.path.join(os.path.dirname(launch.EXPERIMENTS), 'experiments', f'{a.experiment}.py')
  config = launch.load_config(['launch.py', f'--config={spec}:demo'])
  exp, state, step = Experiment.load_trained(config, workdir)
  ex = exp.method.held_out(config.data, config.eval.num_samples)
  ours = translate_arrays(exp.method, state, exp.mesh, ex['a'], 'a2b', config.eval.batch_size)
  if a.experiment == 'inpainting':
    columns = {'input': ex['a'][..., :-1], 'ours': ours, 'biharmonic': pm.biharmonic_fill(ex)}
  else:
    columns = {'degraded': ex['a'], 'ours': ours, **pm.denoised(ex)}
  columns['original'] = ex['b']
  print(f'{workdir} step {step}, {len(ex["b"])} held-out crops of {ex["b"].shape[1]} px')
  print('| | PSNR | SSIM | L1 | LPIPS |')
  print('|---|---|---|---|---|')
  for name, x in columns.items():
    if name in ('input', 'original'):
      continue
    s = pm.full_reference(name, x, ex['b'])
    print(f'| {name} | {s[name + "_psnr"]:.2f} | {s[name + "_ssim"]:.3f} | '
          f'{s[name + "_l1"]:.4f} | {s[name + "_lpips"]:.3f} |')
  k = min(a.show, len(ex['b']))
  grid = np.stack([np.asarray(columns[n][:k]) for n in columns], axis=1)
  grid = grid.reshape((-1,) + ex['b'].shape[1:])
  big = np.asarray(jax.image.resize(grid, (len(grid), CELL, CELL, grid.shape[-1]), 'nearest'))
  cells = images_lib.to_uint8(big).reshape(k, len(columns), CELL, CELL, grid.shape[-1])
  image = np.concatenate([np.concatenate(list(row), axis=1) for row in cells], axis=0)
  out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'out', f'{a.experiment}.png')
  os.makedirs(os.path.dirname(out), exist_ok=True)
  images_lib.save_png(out, image)
  print(f'picture: {out} (rows: crops; columns: {", ".join(columns)})')


if __name__ == '__main__':
  main()
