"""Converts pytorch-fid's FID Inception weights to the .npz that gan_jax loads
without torch.

  python scripts/convert_inception.py pt_inception-2015-12-05-6726825d.pth inception_fid.npz

Needs torch where it runs (once); the .npz then works anywhere. Prints the
weights fingerprint that names the reference-statistics cache files (the same
for the .pth and the .npz).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gan_jax.errors import UserError  # noqa: E402
from gan_jax.metrics import inception  # noqa: E402


def convert(src: str, dst: str) -> str:
  if not src.endswith('.pth'):
    raise UserError(f'{src!r}: expected a PyTorch .pth state dict ({inception.WEIGHTS_FILE})')
  if not dst.endswith('.npz'):
    raise UserError(f'{dst!r}: the output must end in .npz')
  variables = inception.load_variables(src)  # reads, maps and checks every shape
  inception.save_npz(variables, dst)
  return inception.variables_fingerprint(variables)


def main(argv) -> int:
  if len(argv) != 3:
    print(__doc__, file=sys.stderr)
    return 2
  try:
    fp = convert(argv[1], argv[2])
  except UserError as e:
    print(f'error: {e}', file=sys.stderr)
    return 2
  print(f'wrote {argv[2]} (weights fingerprint {fp})')
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
