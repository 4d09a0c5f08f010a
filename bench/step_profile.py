"""Where a train step's time goes, by kind of work, in XLA and in PyTorch: the
per-operation profile behind bench/compare_torch.py's ratios.

  pip install xprof      # reads jax's profiler traces; not a framework requirement
  python3 bench/step_profile.py dcgan32 [--steps=5] [--top=12]
  python3 bench/step_profile.py pix2pix
  python3 bench/step_profile.py inception     # the feature pass, no training

Ours: jax.profiler traces `--steps` steps of the jitted step; every XLA
operation the CPU runtime runs (a fusion, a convolution, a copy) is one event
named after its HLO instruction, which the compiled program's text sorts into a
kind: convolutions and matmuls (also a fusion that contains one), reductions
(BatchNorm's statistics, pooling, loss sums), layout (transposes, copies, pads,
concatenations), random numbers, and the rest, elementwise work, split into what
lies inside the networks (normalisation, activations and their gradients) and
outside (the optimizer's update, losses). PyTorch: torch.profiler's self time of
every aten operation of the same step, sorted the same way; the optimizer's
update is everything under Optimizer.step.

The sums are per step. They are CPU time of the operations, so they can exceed
the step's wall time where operations overlap, and PyTorch's leave out Python's
own overhead between them. XLA's own convolutions (gan_jax's CPU default, see
gan_jax/xla_flags.py) finish asynchronously and are undercounted; the script
says so, and GAN_JAX_CPU_FLAGS=0 gives the complete (YNNPACK) profile.
"""

import argparse
import collections
import glob
import os
import re
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'bench'))

import compare_torch as ct  # noqa: E402  (bench/)
import jax  # noqa: E402

KINDS = ('convolutions and matmuls', 'reductions', 'layout', 'random numbers',
         'elementwise in the networks', 'elementwise outside (optimizer, losses)')
_INSTRUCTION = re.compile(r'^\s*(?:ROOT )?%(\S+) = .*?\s([a-z][\w\-]*)\(')
_CALLS = re.compile(r'calls=%([\w.\-]+)')
_OP_NAME = re.compile(r'op_name="([^"]*)"')
_LAYOUT_OPS = {'transpose', 'copy', 'pad', 'concatenate', 'slice', 'dynamic-slice', 'reverse',
               'dynamic-update-slice', 'bitcast', 'reshape', 'broadcast', 'parameter', 'constant',
               'tuple', 'get-tuple-element'}
_CONTROL = {'while', 'conditional', 'call'}  # their bodies' operations are counted instead


def hlo_kinds(hlo: str, networks=('Generator', 'Discriminator', 'Translator', 'UNet', 'PatchGAN')):
  """{instruction name: kind} for every instruction of a compiled HLO module."""
  bodies, current = collections.defaultdict(list), None
  for line in hlo.splitlines():
    if line and not line.startswith(' ') and line.rstrip().endswith('{'):
      current = line.split()[1 if line.startswith('ENTRY') else 0].lstrip('%')
    elif current and _INSTRUCTION.match(line):
      bodies[current].append(line)

  def opcodes(computation, depth=0):
    ops = set()
    for line in bodies.get(computation, ()):
      ops.add(_INSTRUCTION.match(line).group(2))
      for called in _CALLS.findall(line) if depth < 3 else ():
        ops |= opcodes(called, depth + 1)
    return ops

  kinds = {}
  for lines in bodies.values():
    for line in lines:
      name, opcode = _INSTRUCTION.match(line).groups()
      if opcode in _CONTROL:
        continue
      ops = opcodes(_CALLS.search(line).group(1)) if opcode == 'fusion' else {opcode}
      found = _OP_NAME.search(line)
      op_name = found.group(1) if found else ''
      if ops & {'convolution', 'dot'}:
        kinds[name] = KINDS[0]
      elif ops & {'reduce', 'reduce-window', 'select-and-scatter'}:
        kinds[name] = KINDS[1]
      elif ops <= _LAYOUT_OPS:
        kinds[name] = KINDS[2]
      elif 'rng' in ops or re.search(r'threefry|random_bits|_uniform|_normal', op_name):
        kinds[name] = KINDS[3]
      elif any(n in op_name for n in networks):
        kinds[name] = KINDS[4]
      else:
        kinds[name] = KINDS[5]
  return kinds


def profile_ours(step: 'ct.OursStep', steps: int):
  """({kind: ms per step}, [(ms per step, instruction, kind)]) of our jitted step."""
  from xprof.convert import raw_to_tool_data  # pylint: disable=g-import-not-at-top
  import json  # pylint: disable=g-import-not-at-top
  kinds = hlo_kinds(step.hlo())
  for _ in range(2):
    step()
  logdir = tempfile.mkdtemp(prefix='step_profile_')
  try:
    with jax.profiler.trace(logdir):
      for _ in range(steps):
        step()
    paths = glob.glob(os.path.join(logdir, '**', '*.xplane.pb'), recursive=True)
    trace, _ = raw_to_tool_data.xspace_to_tool_data(paths, 'trace_viewer', {})
  finally:
    shutil.rmtree(logdir, ignore_errors=True)
  events = json.loads(trace)['traceEvents']
  per_op = collections.Counter()
  for e in events:
    if e.get('ph') == 'X' and e.get('name') in kinds:
      per_op[e['name']] += e.get('dur', 0) / 1000 / steps
  totals = collections.Counter()
  for name, ms in per_op.items():
    totals[kinds[name]] += ms
  return totals, [(ms, name, kinds[name]) for name, ms in per_op.most_common()]


def torch_kind(name: str, under_optimizer: bool) -> str:
  if under_optimizer:
    return KINDS[5]
  if re.search(r'conv|addmm|^aten::mm$|bmm|matmul|linear', name):
    return KINDS[0]
  if re.search(r'batch_norm|instance_norm|sum|mean|avg_pool|max_pool|norm$', name):
    return KINDS[1]
  if re.search(r'copy_|clone|contiguous|cat|pad|permute|transpose|slice|as_strided', name):
    return KINDS[2]
  if re.search(r'normal|rand|uniform|bernoulli', name):
    return KINDS[3]
  return KINDS[4]


def profile_torch(step, steps: int):
  """({kind: ms per step}, [(ms per step, aten op, kind)]) of a PyTorch step."""
  import torch  # pylint: disable=g-import-not-at-top
  for _ in range(2):
    step()
  with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
    for _ in range(steps):
      step()
  per_op, kind_of = collections.Counter(), {}
  for e in prof.events():
    if not e.name.startswith('aten::'):
      continue
    parent, under = e.cpu_parent, False
    while parent is not None:
      under = under or parent.name.startswith('Optimizer.step')
      parent = parent.cpu_parent
    key = e.name + (' (optimizer)' if under else '')
    per_op[key] += e.self_cpu_time_total / 1000 / steps
    kind_of[key] = torch_kind(e.name, under)
  totals = collections.Counter()
  for key, ms in per_op.items():
    totals[kind_of[key]] += ms
  return totals, [(ms, key, kind_of[key]) for key, ms in per_op.most_common()]


class OursForward:
  """A jitted function of fixed arguments, called as OursStep is."""

  def __init__(self, fn, *args):
    self.fn, self.args = jax.jit(fn), args

  def __call__(self):
    jax.block_until_ready(self.fn(*self.args))

  def hlo(self) -> str:
    return self.fn.lower(*self.args).compile().as_text()


def inception_pair(batch: int = 32, size: int = 32):
  """FID Inception's feature pass, ours and pytorch-fid's, as compare_torch's
  inception family (bench/inception_speed.py) on the same seeded weights."""
  import torch  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, os.path.join(ROOT, 'tests'))
  sd, variables, images, fn = ct.inception_speed.setup(batch, size)
  ours = OursForward(fn, variables, jax.numpy.asarray(images))
  net = ct.inception_speed.pytorch_fid_net(sd)
  xt = ct.inception_speed.torch_input(images)

  def theirs():
    with torch.no_grad():
      net(xt)
  return ours, theirs


def build(family: str):
  """(our step, the PyTorch step) of a family of bench/compare_torch.py."""
  if family == 'inception':
    return inception_pair()
  if family == 'dcgan32':
    ours = ct.ours_dcgan_step(32, 64, 64)
    return ours, ct.torch_dcgan_step(32, 64, 64, ours.counts)
  if family == 'pix2pix':
    ours = ct.OursStep(ct.experiment_config('pix2pix'), 256)
    return ours, ct.torch_pix2pix_step(ours.counts)
  raise SystemExit(f'unknown family {family!r}; profiled: dcgan32, pix2pix, inception')


def main():
  p = argparse.ArgumentParser()
  p.add_argument('family', nargs='?', default='dcgan32', help='dcgan32, pix2pix or inception')
  p.add_argument('--steps', type=int, default=5)
  p.add_argument('--top', type=int, default=12)
  a = p.parse_args()
  import torch  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(os.cpu_count())
  ours_step, torch_step = build(a.family)
  ours, ours_top = profile_ours(ours_step, a.steps)
  theirs, theirs_top = profile_torch(torch_step, a.steps)
  wall_ours = ct.median_ms(ours_step, a.steps)
  wall_theirs = ct.median_ms(torch_step, a.steps)
  print(f'{a.family}: ms per step by kind of work ({os.cpu_count()} cores, jax '
        f'{jax.__version__}, torch {torch.__version__} with {torch.get_num_threads()} threads)')
  print('| kind | gan_jax (XLA) | PyTorch | ratio |')
  print('|---|---:|---:|---:|')
  for kind in KINDS:
    o, t = ours.get(kind, 0.0), theirs.get(kind, 0.0)
    print(f'| {kind} | {o:.1f} | {t:.1f} | {t / o if o else float("nan"):.2f} |')
  print(f'| sum of operations | {sum(ours.values()):.1f} | {sum(theirs.values()):.1f} | '
        f'{sum(theirs.values()) / sum(ours.values()):.2f} |')
  print(f'| step, wall (median) | {wall_ours:.1f} | {wall_theirs:.1f} | '
        f'{wall_theirs / wall_ours:.2f} |')
  if sum(ours.values()) < 0.8 * wall_ours:
    print(f'\nOnly {sum(ours.values()):.0f} of our {wall_ours:.0f} ms lie in traced operations: '
          'XLA\'s own (Eigen) convolutions, the default with gan_jax/xla_flags.py, finish on '
          'the thread pool after their operation returns, so convolutions are undercounted. '
          'For a complete profile: GAN_JAX_CPU_FLAGS=0 (YNNPACK convolutions, traced whole).')
  for label, top in (('gan_jax', ours_top), ('PyTorch', theirs_top)):
    print(f'\n{label}: the {a.top} slowest operations (ms per step)')
    for ms, name, kind in top[:a.top]:
      print(f'  {ms:7.2f}  {name}  [{kind}]')


if __name__ == '__main__':
  main()
