"""Converts torchvision's VGG19 (or VGG16) ImageNet weights to the .npz that
gan_jax loads without torch.

  python scripts/convert_vgg19.py vgg19-dcbb9e9d.pth vgg19.npz
  python scripts/convert_vgg19.py vgg16-397923af.pth vgg16.npz

The .pth files are torchvision's (https://download.pytorch.org/models/); a
user downloads one once. Needs torch where it runs; the .npz then works
anywhere. Only the `features` convs are kept (the classifier is not a feature
network). Prints the architecture and the weights fingerprint (the same for the
.pth and the .npz).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gan_jax.errors import UserError  # noqa: E402
from gan_jax.models import vgg  # noqa: E402


def convert(src: str, dst: str):
  """src .pth -> dst .npz; returns (arch, fingerprint)."""
  if not src.endswith('.pth'):
    raise UserError(f'{src!r}: expected a PyTorch .pth state dict (torchvision\'s '
                    f'{" or ".join(vgg.TORCHVISION_FILES.values())})')
  if not dst.endswith('.npz'):
    raise UserError(f'{dst!r}: the output must end in .npz')
  params = vgg.load(src)  # reads, maps and checks every shape
  vgg.save_npz(params, dst)
  return vgg.arch_of(params), vgg.variables_fingerprint(params)


def main(argv) -> int:
  if len(argv) != 3:
    print(__doc__, file=sys.stderr)
    return 2
  try:
    arch, fp = convert(argv[1], argv[2])
  except UserError as e:
    print(f'error: {e}', file=sys.stderr)
    return 2
  print(f'wrote {argv[2]} ({arch}, weights fingerprint {fp})')
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
