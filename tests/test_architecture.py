"""The shape of the package: no import cycles, one method contract chosen by
type, phases (lazy regularisation as StyleGAN2 has it), per-method config
fields, and a new method added by registering one class and one experiment."""

import ast
import json
import os
import subprocess
import sys
import textwrap

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from conftest import ROOT, experiment, subprocess_env
from gan_jax import config as config_lib
from gan_jax.methods.base import GeneratesFromNoise
from gan_jax.methods.network import NetworkState
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.phases import Phase, run_phases
from gan_jax.methods.registry import METHODS

PACKAGE = os.path.join(ROOT, 'gan_jax')


def modules():
  out = []
  for folder, _, files in os.walk(PACKAGE):
    for f in sorted(files):
      if f.endswith('.py'):
        rel = os.path.relpath(os.path.join(folder, f), ROOT)[:-3].replace(os.sep, '.')
        out.append(rel[:-len('.__init__')] if rel.endswith('.__init__') else rel)
  return sorted(out)


def internal_imports(name):
  """(module-level, function-level) gan_jax modules that module `name` imports."""
  path = os.path.join(ROOT, *name.split('.'))
  path = os.path.join(path, '__init__.py') if os.path.isdir(path) else path + '.py'
  tree = ast.parse(open(path).read())
  top, nested = set(), set()
  for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith('gan_jax'):
      targets = {f'{node.module}.{a.name}' for a in node.names}
      targets = {t if t in ALL else node.module for t in targets}
    elif isinstance(node, ast.Import):
      targets = {a.name for a in node.names if a.name.startswith('gan_jax')}
    else:
      continue
    (top if node.col_offset == 0 else nested).update(targets)
  return top, nested


ALL = set(modules())


def test_no_import_cycles_and_no_hidden_internal_imports():
  graph = {}
  for name in ALL:
    top, nested = internal_imports(name)
    assert not nested, f'{name} imports {sorted(nested)} inside a function (a hidden cycle?)'
    graph[name] = {t for t in top if t in ALL and t != name}
  state = {}

  def visit(node, path):
    state[node] = 'open'
    for nxt in graph[node]:
      assert state.get(nxt) != 'open', f'import cycle: {" -> ".join(path + [nxt])}'
      if nxt not in state:
        visit(nxt, path + [nxt])
    state[node] = 'done'
  for name in sorted(graph):
    if name not in state:
      visit(name, [name])


def test_every_module_imports_on_its_own():
  """Each module imported first, in a process where no gan_jax module is loaded yet."""
  code = textwrap.dedent(f'''
      import importlib, sys
      bad = []
      for name in {sorted(ALL)!r}:
        for m in [m for m in sys.modules if m == 'gan_jax' or m.startswith('gan_jax.')]:
          del sys.modules[m]
        try:
          importlib.import_module(name)
        except Exception as e:
          bad.append(f'{{name}}: {{type(e).__name__}}: {{e}}')
      print('\\n'.join(bad) or 'ok')
  ''')
  out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                       env=subprocess_env(), cwd=ROOT, timeout=300)
  assert out.stdout.strip() == 'ok', out.stdout + out.stderr[-2000:]


@pytest.mark.parametrize('flag', ['--help', '--helpfull'])
def test_help_prints_the_flags(flag):
  out = subprocess.run([sys.executable, 'launch.py', flag], capture_output=True, text=True,
                       env=subprocess_env(), cwd=ROOT, timeout=60)
  assert out.returncode == 0, out.stderr
  assert '--workdir' in out.stdout and '--mode' in out.stdout and 'python launch.py' in out.stdout


def test_missing_experiment_file_lists_the_experiments(launch):
  code, out, err = launch('--config=experiments/dcgan_mnsit.py:digits', '--workdir=/tmp/x')
  assert code == 2 and len(err.strip().splitlines()) == 1, err
  assert "no file 'experiments/dcgan_mnsit.py'" in err and 'dcgan_mnist.py' in err


@pytest.mark.parametrize('exp, override, field, readers', [
    ('cyclegan.py:digits,smoke', '--config.ema.decay=0.999', 'ema.decay', 'gan, pggan'),
    ('cyclegan.py:digits,smoke', '--config.train.n_critic=5', 'train.n_critic', 'gan, stargan'),
    ('cyclegan.py:digits,smoke', '--config.augment.policy=color', 'augment.policy',
     'gan, stylegan2'),
    ('pix2pix.py:demo,smoke', '--config.train.pool_size=10', 'train.pool_size', 'cyclegan'),
    ('pix2pix.py:demo,smoke', '--config.model.conditional=True', 'model.conditional',
     'gan, stylegan2'),
    ('dcgan_mnist.py:digits,smoke', '--config.loss.cycle_weight=5', 'loss.cycle_weight',
     'cyclegan, stargan'),
])
def test_a_field_the_method_does_not_read_is_an_error(launch, tmp_path, exp, override, field,
                                                      readers):
  code, out, err = launch(f'--config={experiment(exp)}', override, f'--workdir={tmp_path}/r')
  assert code == 2, err
  assert f'config.{field}=' in err and f'is read by {readers}, not by method' in err
  assert not os.path.exists(tmp_path / 'r')


def test_pix2pix_experiment_sets_only_fields_pix2pix_reads():
  import launch as launch_mod
  for arg in ('', ':demo', ':colorize', ':smoke'):
    config_lib.check_fields_read(launch_mod.load_config(
        ['launch.py', f'--config={experiment("pix2pix.py")}{arg}']))


def test_mode_a_method_cannot_serve_is_one_line(launch, tmp_path):
  # (--mode=sample on a trained pix2pix: test_translation's pix2pix smoke test.)
  wd = str(tmp_path / 'run')
  code, out, err = launch(f'--config={experiment("dcgan_mnist.py")}:digits,smoke',
                          '--config.eval.metrics=("paired_l1_psnr",)', f'--workdir={wd}2')
  assert code == 2 and "'paired_l1_psnr' needs a method that translates images" in err


# -- phases --------------------------------------------------------------------------

@flax.struct.dataclass
class ToyState:
  step: jax.Array
  rng: jax.Array
  w: NetworkState


def test_phases_gain_interval_repeats_by_hand():
  """SGD lr 0.5 on loss |p|^2 / 2 (gradient p): each run halves p; a phase with gain
  k takes the gradient k p; an interval-2 phase runs on even steps only; repeats
  run consecutively, each with its own index."""
  calls = []

  def half_square(state, inp):
    calls.append((inp.index, inp.repeat))
    p = state.w.params['p']
    return 0.5 * jnp.sum(p ** 2), (state, {'p_before': p[0]}, inp.carry)

  phases = [Phase('main', 'w', half_square, repeats=2),
            Phase('reg', 'w', half_square, interval=2, gain=0.25)]
  state = ToyState(jnp.zeros((), jnp.int32), jax.random.PRNGKey(0),
                   NetworkState.create({'params': {'p': jnp.array([8.0])}}, optax.sgd(0.5)))
  step = jax.jit(lambda s: run_phases(phases, s, {}, s.rng))
  s1, m1 = step(state)
  # step 0: main twice (8 -> 4 -> 2), reg with gain 0.25: 2 - 0.5 * 0.25 * 2 = 1.75
  assert float(s1.w.params['p'][0]) == pytest.approx(1.75)
  assert float(m1['main_grad_norm']) == pytest.approx((8 + 4) / 2)
  assert float(m1['reg_grad_norm']) == pytest.approx(0.25 * 2)
  s2, m2 = step(s1.replace(step=s1.step + 1))
  # step 1: main twice (1.75 -> 0.875 -> 0.4375); reg not due: zeros in its metrics
  assert float(s2.w.params['p'][0]) == pytest.approx(0.4375)
  assert float(m2['reg_grad_norm']) == 0.0 and float(m2['p_before']) == 0.0
  assert sorted(set(calls)) == [(0, 0), (1, 1), (2, 0)]


def test_lazy_regularisation_adjusts_adam_as_stylegan2():
  """Interval 16: lr x 16/17 and betas ** (16/17) (training_loop.py)."""
  cfg = config_lib.base_config().optim.d
  cfg.lr, cfg.b1, cfg.b2 = 0.0025, 0.0, 0.99
  lazy = make_optimizer(cfg, 'd', 100, lazy_interval=16)
  c = 16 / 17
  ref = optax.adam(0.0025 * c, b1=0.0 ** c, b2=0.99 ** c, eps=cfg.eps)
  params = {'w': jnp.array([1.0, -2.0, 3.0])}
  s_lazy, s_ref = lazy.init(params), ref.init(params)
  for i in range(3):
    g = {'w': jnp.array([0.1, -0.3, 0.2]) * (i + 1)}
    u_lazy, s_lazy = lazy.update(g, s_lazy, params)
    u_ref, s_ref = ref.update(g, s_ref, params)
    np.testing.assert_allclose(u_lazy['w'], u_ref['w'], rtol=1e-7)
  assert make_optimizer(cfg, 'd', 100, lazy_interval=1).update  # not lazy: the plain Adam


def test_lazy_r1_is_its_own_phase_every_k_steps(launch, tmp_path):
  wd = str(tmp_path / 'run')
  code, out, err = launch(f'--config={experiment("dcgan_mnist.py")}:digits,smoke',
                          '--config.model.d_batchnorm=False', '--config.loss.r1_gamma=1.0',
                          '--config.loss.r1_every=2', '--config.train.log_every=1',
                          f'--workdir={wd}')
  assert code == 0, err
  rows = [json.loads(line) for line in open(os.path.join(wd, 'metrics.jsonl'))]
  r1 = [r['r1'] for r in rows]  # steps 1..4 log the steps 0..3 just run
  assert r1[0] > 0 and r1[2] > 0 and r1[1] == 0 and r1[3] == 0
  assert all(r['d_reg_grad_norm'] > 0 for r in rows[::2])


# -- a new method: one class, one experiment, no edit elsewhere -------------------------

class MeanMatching(GeneratesFromNoise):
  """A toy scheme: a linear-tanh generator trained to match the data's mean image."""
  reads = ('model.z_dim',)

  def __init__(self, config, info):
    super().__init__(config, info)
    self.net = nn.Dense(int(np.prod(info.image_shape)))
    self.tx = optax.adam(config.optim.g.lr)

  def init(self, rng):
    k1, k2 = jax.random.split(rng)
    v = self.net.init(k1, jnp.zeros((1, self.config.model.z_dim)))
    return ToyState(jnp.zeros((), jnp.int32), k2, NetworkState.create(v, self.tx))

  def networks(self, state):
    return {'generator': state.w.params}

  def sample_inputs(self, rng, n, labels=None):
    return {'z': jax.random.normal(rng, (n, self.config.model.z_dim))}

  def generate(self, state, inputs):
    out = jnp.tanh(self.net.apply({'params': state.w.params}, inputs['z']))
    return out.reshape((-1,) + tuple(self.info.image_shape))

  def phases(self):
    def loss(state, inp):
      fake = self.generate(state, self.sample_inputs(inp.rng, inp.batch['image'].shape[0]))
      err = jnp.mean((fake.mean(0) - inp.batch['image'].mean(0)) ** 2)
      return err, (state, {'g_loss': err}, inp.carry)
    return [Phase('g', 'w', loss)]


EXPERIMENT = '''
from gan_jax import config as config_lib

def get_config(arg=None):
  c = config_lib.base_config()
  c.method = 'mean_matching_test'
  c.data.image_size = 8
  c.model.z_dim = 4
  c.optim.g.lr = 0.05
  c.train.batch_size = 32
  config_lib.set_schedule(c, 60, log_every=20, checkpoint_every=60)
  c.train.sample_grid = 4
  c.eval.num_samples, c.eval.batch_size = 64, 32
  return c
'''


@pytest.fixture
def mean_matching_registered():
  METHODS.register('mean_matching_test')(MeanMatching)
  yield
  METHODS.unregister('mean_matching_test')  # other tests list the known methods


def test_a_new_method_trains_through_launch(launch, tmp_path, mean_matching_registered):
  del mean_matching_registered
  exp = tmp_path / 'mean_matching.py'
  exp.write_text(EXPERIMENT)
  wd = str(tmp_path / 'run')
  code, out, err = launch(f'--config={exp}', f'--workdir={wd}')
  assert code == 0, err
  rows = [json.loads(line) for line in open(os.path.join(wd, 'metrics.jsonl'))]
  assert rows[-1]['g_loss'] < 0.2 * rows[0]['g_loss']
  assert os.path.exists(os.path.join(wd, 'samples', 'step_000060.png'))
  code, out, err = launch(f'--config={exp}', f'--workdir={wd}', '--mode=summary')
  assert code == 0 and 'generator total: 320 parameters' in out   # (4 + 1) x 64
  code, out, err = launch(f'--config={exp}', f'--workdir={wd}', '--mode=eval')
  assert code == 0 and 'digits_confident' in out.splitlines()[-1]
