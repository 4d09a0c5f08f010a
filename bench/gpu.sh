#!/usr/bin/env bash
# The GPU bench (issue 16, item 6): every family of bench/compare_torch.py on one
# GPU, gan_jax (jax's GPU backend) against PyTorch on CUDA, at the specification's
# batches and at 4x them, then the table of images/s and s/kimg that the first
# run prints. Needs jax[cuda] (requirements-gpu.txt) and a CUDA PyTorch with
# torchvision and pytorch-fid (requirements-ci.txt's).
#
#   bash bench/gpu.sh [--steps=50]       # about 10 minutes on an H100, then StyleGAN2
#
# Record the output in bench/RESULTS.md with the GPU's name (the first line).
set -euo pipefail
cd "$(dirname "$0")/.."
export XLA_PYTHON_CLIENT_PREALLOCATE=false   # jax and PyTorch share the GPU's memory
steps="${1:---steps=50}"
python3 - <<'PY'
import sys
import jax
import torch
if jax.default_backend() != 'gpu':
  sys.exit(f'bench/gpu.sh: jax runs on {jax.default_backend()}, not a GPU '
           '(pip install -r requirements-gpu.txt)')
if not torch.cuda.is_available():
  sys.exit('bench/gpu.sh: PyTorch sees no GPU (install a CUDA build of torch)')
print(f'GPU: {torch.cuda.get_device_name()}; jax {jax.__version__} ({jax.devices()[0].device_kind}), '
      f'torch {torch.__version__}, CUDA {torch.version.cuda}')
PY
echo "## the specification's batches"
python3 bench/compare_torch.py --device=cuda "$steps" --repeats=10
echo "## GPU-sized batches (4x; the translation models keep the official batch 1)"
python3 bench/compare_torch.py --device=cuda "$steps" --repeats=10 --batch_scale=4 \
    dcgan32 sngan32 inception vgg16
echo "## StyleGAN2-ADA: the cifar (batch 64) and paper256 (batch 64) configs, every phase"
echo "## (the reference's README: paper256 on 1 V100, about 24 s/kimg)"
python3 bench/stylegan2_speed.py cifar paper256 --steps=32
