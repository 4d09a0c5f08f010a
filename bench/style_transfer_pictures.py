"""The three style-transfer ways side by side on held-out content crops: content,
Johnson et al. (trained network), the fusion (network + style-patch D), Gatys et
al. (optimisation per image); style distance (Gram loss to the style image) and
LPIPS to the content, each way on the same images; a picture for a person to look at.

  python launch.py --config=experiments/style_transfer.py:demo --workdir=runs/johnson_demo
  python launch.py --config=experiments/style_transfer.py:demo,fusion --workdir=runs/fusion_demo
  python bench/style_transfer_pictures.py [--n=24 --gatys_steps=30 --show=6]
Writes bench/out/style_transfer.png (rows: images; columns: content, Johnson,
fusion, Gatys) and prints one table.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402

import launch  # noqa: E402
from gan_jax import images as images_lib  # noqa: E402
from gan_jax import stylize  # noqa: E402
from gan_jax.experiment import Experiment  # noqa: E402
from gan_jax.metrics.perceptual_metrics import lpips_distance  # noqa: E402


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--johnson', default='runs/johnson_demo')
  p.add_argument('--fusion', default='runs/fusion_demo')
  p.add_argument('--n', type=int, default=24)
  p.add_argument('--show', type=int, default=6)
  p.add_argument('--gatys_steps', type=int, default=30)
  a = p.parse_args()
  spec = os.path.join(os.path.dirname(launch.EXPERIMENTS), 'experiments', 'style_transfer.py')
  runs = {}
  for name, wd, opts in (('Johnson', a.johnson, ':demo'), ('fusion', a.fusion, ':demo,fusion')):
    config = launch.load_config(['launch.py', f'--config={spec}{opts}'])
    runs[name] = Experiment.load_trained(config, wd)
  exp, state, _ = runs['Johnson']
  method, sc = exp.method, exp.config.style
  content = method.held_out(exp.config.data, a.n)['a']
  outputs = {'content': content}
  for name, (e, s, _) in runs.items():
    outputs[name] = np.asarray(jax.jit(e.method.translate)(s, content))
  style01 = np.asarray(state.style_image + 1) / 2
  start, gatys = time.time(), []
  for x in content:
    img, _ = stylize.stylize((x + 1) / 2, style01, state.vgg, content_weight=1.0,
                             style_weight=100.0, tv_weight=1e-4, steps=a.gatys_steps)
    gatys.append(img * 2 - 1)
  outputs['Gatys'] = np.stack(gatys)
  gatys_s = (time.time() - start) / len(content)
  distance = jax.jit(method.style_distance)
  print(f'{a.n} held-out content crops at {content.shape[1]} px, style {sc.image}; '
        f'Gatys {a.gatys_steps} L-BFGS steps ({gatys_s:.1f} s per image)')
  print('| way | style distance (lower: more of the style) | LPIPS to the content |')
  print('|---|---|---|')
  for name, x in outputs.items():
    style = float(np.mean(np.asarray(distance(state, x))))
    lp = float(np.mean(lpips_distance(x, content))) if name != 'content' else 0.0
    print(f'| {name} | {style:.2f} | {lp:.3f} |')
  k = min(a.show, a.n)
  grid = np.stack([outputs[n][:k] for n in outputs], axis=1).reshape((-1,) + content.shape[1:])
  big = np.asarray(jax.image.resize(grid, (len(grid), 96, 96, 3), 'nearest'))
  out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'out', 'style_transfer.png')
  os.makedirs(os.path.dirname(out), exist_ok=True)
  cols = len(outputs)
  cells = images_lib.to_uint8(big).reshape(k, cols, 96, 96, 3)
  image = np.concatenate([np.concatenate(list(row), axis=1) for row in cells], axis=0)
  images_lib.save_png(out, image)
  print(f'picture: {out} (rows: images; columns: {", ".join(outputs)})')


if __name__ == '__main__':
  main()
