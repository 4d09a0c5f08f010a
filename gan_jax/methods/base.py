"""The method contract: what every training scheme provides, and the
capabilities a scheme has by type (generating from noise, translating images),
which modes and metrics ask for instead of probing attributes."""

import abc
from typing import ClassVar, Dict, List, Sequence, Tuple

import jax
import jax.numpy as jnp

from gan_jax.data import sources
from gan_jax.data.pipeline import BatchSchedule
from gan_jax.errors import UserError
from gan_jax.methods.phases import Phase, run_phases


class Method(abc.ABC):
  """A training scheme, built from (config, data description).

  init, train_step and the capability methods are pure functions of their
  arguments: the loop jits them; a method never touches files, devices or logs.
  A subclass lists in `reads` the config fields that it reads and that not
  every method reads (see gan_jax/config.py: `check_fields_read`).
  """
  reads: ClassVar[Tuple[str, ...]] = ()
  # Real batches the loop feeds each step (n_critic; WGAN's boosted steps).
  batch_schedule: BatchSchedule = BatchSchedule(1)
  # What a batch holds: images (B, H, W, C) float32, labels (B,) int32.
  batch_keys: ClassVar[Tuple[str, ...]] = ('image', 'label')

  def __init__(self, config, info, assets=None):
    self.config, self.info, self.assets = config, info, assets

  @classmethod
  def load_assets(cls, config):
    """Fixed inputs a method reads from files (a loss network's weights, a style
    image), loaded by the experiment and passed to the constructor, so that the
    method's own functions stay pure. None: it needs none."""
    del config
    return None

  @abc.abstractmethod
  def init(self, rng):
    """The whole TrainState: NetworkStates, step, rng and what the scheme keeps."""

  def initial_state(self, seed: int):
    """init(PRNGKey(seed)) compiled as one XLA program: run op by op, each layer's
    initialiser compiles on its own (StyleGAN2's smoke networks: 15 s on a CPU,
    5 s as one program). Every run and seed starts here, so a lone run and a
    vmapped seed start from the same numbers."""
    return jax.jit(self.init)(jax.random.PRNGKey(seed))

  @abc.abstractmethod
  def phases(self) -> Sequence[Phase]:
    """The train step, phase by phase."""

  @abc.abstractmethod
  def networks(self, state) -> Dict[str, dict]:
    """{name: params} of every network, for --mode=summary."""

  def train_step(self, state, batch):
    """Pure: (state, batch) -> (state, metrics). Keys are fold_in(rng, step)."""
    return self.run_step(self.phases(), state, batch)

  def train_batch_shapes(self) -> Dict[str, jax.ShapeDtypeStruct]:
    """The global batch of a regular train step, as shapes (for compiling ahead)."""
    n = self.config.train.batch_size * self.batch_schedule.per_step
    image = jax.ShapeDtypeStruct((n,) + tuple(self.info.image_shape), jnp.float32)
    label = jax.ShapeDtypeStruct((n,), jnp.int32)
    return {k: image if k.startswith('image') else label for k in self.batch_keys}

  @staticmethod
  def run_step(phases: Sequence[Phase], state, batch):
    rng = jax.random.fold_in(state.rng, state.step)
    state, metrics = run_phases(phases, state, batch, rng)
    return state.replace(step=state.step + 1), metrics

  @classmethod
  def planned_steps(cls, config, num_examples: int):
    """train.num_steps derived from other fields, or None: train.num_epochs epochs
    of num_examples (a method may count otherwise: PGGAN's total_kimg)."""
    if config.train.num_epochs:
      return config.train.num_epochs * -(-num_examples // config.train.batch_size)
    return None

  def start_from(self, state, trained):
    """train.init_from: this run's fresh state, given another run's trained state
    (restored with that run's own config). By default a method cannot."""
    del state, trained
    raise UserError(f'config.train.init_from: method {self.config.method!r} cannot start from '
                    'another run (super_resolution can: SRGAN from SRResNet)')

  # -- what the loop and --mode=summary show ------------------------------------
  def step_note(self, step: int, first: bool = False):
    """A line the loop prints before running `step` (a stage beginning; first: the
    run's first step, fresh or resumed), or None."""
    del step, first
    return None

  def sample_milestones(self):
    """Steps (counted done) after which a sample grid is written besides
    train.sample_every's (the end of each of PGGAN's stages)."""
    return set()

  def summary_notes(self, state) -> str:
    """Lines --mode=summary prints after the networks' parameter counts."""
    del state
    return ''

  @classmethod
  def build_source(cls, data_config):
    """The training data source (a method may read another kind, e.g. two domains)."""
    return sources.build_source(data_config)

  @classmethod
  def check_source(cls, source: str) -> None:
    """Checks config.data.source's name before any compute."""
    sources.check_source_name(source)

  @classmethod
  def check_config(cls, config) -> None:
    """Checks the names this method looks up (losses, data), before any compute."""
    cls.check_source(config.data.source)

  # -- capabilities ------------------------------------------------------------
  @classmethod
  def capabilities(cls) -> List[str]:
    return [cap.describes for cap in CAPABILITIES if issubclass(cls, cap)]

  def preview(self, state, inputs):
    """Images for the sample grids, in [-1, 1]."""
    raise NotImplementedError


class GeneratesFromNoise(Method):
  """Draws images from noise z (and a class label when conditional)."""
  describes = 'generates images from noise'
  conditional: bool = False

  @abc.abstractmethod
  def sample_inputs(self, rng, n: int, labels=None) -> dict:
    """What `generate` consumes for n images: {'z': ..., ['label': ...]}."""

  @abc.abstractmethod
  def generate(self, state, inputs) -> jax.Array:
    """Images in [-1, 1] (EMA weights when kept)."""

  def sampling_state(self, state):
    """The state to draw many samples from, prepared once before `generate` runs
    over their batches (the GAN method's standing statistics); as is by default."""
    return state

  def preview(self, state, inputs):
    return self.generate(state, inputs)


class MixesStyles(GeneratesFromNoise):
  """A style-based generator (StyleGAN2): each image from num_ws style vectors w,
  so styles of different seeds can be mixed and paths in W drawn."""
  describes = 'generates images from noise through per-layer styles'
  num_ws: int = 0
  z_dim: int = 0

  @abc.abstractmethod
  def style_mixing(self, state, row_z, col_z, styles, labels=None) -> jax.Array:
    """(rows + 1) x (cols + 1) images, row by row: a blank, the column seeds; each
    row seed, then it with the column seeds' ws at `styles`."""

  @abc.abstractmethod
  def interpolation(self, state, z0, z1, steps: int, labels=None) -> jax.Array:
    """len(z0) rows of `steps` images from z0[i] to z1[i], linear in W."""


class TranslatesImages(Method):
  """Maps images of one domain to another (a2b, and b2a when unpaired)."""
  describes = 'translates images'
  paired: bool = False
  directions: Tuple[str, ...] = ('a2b', 'b2a')
  preview_per_example = 4   # sample-grid images per held-out example

  @abc.abstractmethod
  def translate(self, state, images, direction: str) -> jax.Array:
    """images (N, H, W, C) in [-1, 1] -> translated images in [-1, 1]."""

  @classmethod
  @abc.abstractmethod
  def held_out(cls, data_config, n=None) -> dict:
    """The held-out examples (first n) the metrics and sample grids use:
    {'a': inputs, 'b': targets or the other domain, ...} in [-1, 1]."""

  def check_direction(self, direction: str) -> None:
    if direction not in self.directions:
      raise UserError(f'--direction={direction!r}; {self.config.method} translates '
                      f'{" and ".join(self.directions)}')


class StylizesImages(TranslatesImages):
  """Translates content images into one style, and measures the style's distance."""
  describes = 'stylises images'

  @abc.abstractmethod
  def style_distance(self, state, images) -> jax.Array:
    """Per image (N,): the style loss of images (in [-1, 1]) against the style."""


class FillsHoles(TranslatesImages):
  """Translates an image with a hole (its mask as an extra channel) into a whole one."""
  describes = 'fills holes in images'

  @abc.abstractmethod
  def with_mask(self, images, hole):
    """The method's input: images (N, H, W, C) in [-1, 1] and hole masks (N, H, W, 1),
    1 = missing."""

  @abc.abstractmethod
  def random_masks(self, key, n: int, h: int, w: int):
    """n hole masks (n, h, w, 1) as training draws them."""


CAPABILITIES = (GeneratesFromNoise, TranslatesImages, StylizesImages, FillsHoles)


def require(method: Method, capability: type, what: str, hint: str = '') -> None:
  """A one-line error when `what` (a mode or metric) needs a capability the method lacks."""
  if not isinstance(method, capability):
    has = ' and '.join(method.capabilities()) or 'has no sampling capability'
    raise UserError(f'{what} needs a method that {capability.describes}; method '
                    f'{method.config.method!r} {has}' + (f': {hint}' if hint else ''))
