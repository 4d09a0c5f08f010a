"""`stargan` (Choi et al. 2018, yunjey/stargan solver.py): one generator for
many domains, told the target domain by a label vector, and one discriminator
with a real/fake head and a domain-classification head.

A batch's 'label' is each image's domain: with model.label_mode='multi' the
bitmask of its binary attributes (bit i = data.attributes[i]; CelebA's hair
colours, Male, Young), with 'single' a class index (RaFD's expressions). The
target of each image is the label of another image of the batch (a random
permutation, as the official code), so targets follow the data's own mix.

Per step (train.n_critic D updates, each on its own real batch, then one G
update on the last, as the official loop updates G every n_critic iterations):
  D: -E[src(x)] + E[src(G(x, c'))] + cls_weight * cls(x, c) + gp * GP
  G: -E[src(G(x, c'))] + cls_weight * cls(G(x, c'), c')
     + cycle_weight * |G(G(x, c'), c) - x|_1
     + cycle_weight * identity_weight * |G(x, c) - x|_1   (0 in the paper)
The identity term, CycleGAN's (Zhu et al. 2017, section 5.2) and not StarGAN's,
asks G to leave an image that already is in the target domain unchanged; the
cycle loss alone is met as well by a G that negates its input's strokes twice
(bench/RESULTS.md, StarGAN on the digit domains).
cls: the classification loss of D's label logits, binary cross-entropy summed
over attributes and averaged over images for 'multi' (the official CelebA
loss), softmax cross-entropy for 'single'. GP: WGAN-GP on the real/fake map
summed per image. Learning rates: constant for the first half of the run, then
linear to 0 (the paper; the official code's decrement, lr / num_iters_decay
every 1,000 iterations, lowers them by only 0.1 %).
"""

import flax
import jax
import jax.numpy as jnp
import optax

from gan_jax import losses
from gan_jax.data import sources
from gan_jax.data.pipeline import BatchSchedule
from gan_jax.errors import UserError
from gan_jax.methods.base import TranslatesImages
from gan_jax.methods.network import NetworkState
from gan_jax.methods.optimizers import make_optimizer
from gan_jax.methods.phases import Phase
from gan_jax.models.registry import DISCRIMINATORS, GENERATORS

LABEL_MODES = ('multi', 'single')


@flax.struct.dataclass
class StarGANState:
  step: jax.Array
  rng: jax.Array
  g: NetworkState
  d: NetworkState


def classification_loss(logits, targets, mode: str):
  """D's domain-classification loss: 'multi' BCE with logits summed over the
  attributes, mean over images (F.binary_cross_entropy_with_logits(...,
  size_average=False) / batch); 'single' softmax cross-entropy with one-hot targets."""
  if mode == 'multi':
    return jnp.mean(jnp.sum(optax.sigmoid_binary_cross_entropy(logits, targets), axis=-1))
  return jnp.mean(optax.softmax_cross_entropy(logits, targets))


def label_vectors(labels, num_labels: int, mode: str):
  """Domain labels (B,) int -> the generator's target vectors (B, num_labels) float32."""
  if mode == 'multi':
    return ((labels[:, None] >> jnp.arange(num_labels)) & 1).astype(jnp.float32)
  return jax.nn.one_hot(labels, num_labels, dtype=jnp.float32)


class StarGAN(TranslatesImages):
  reads = ('model.label_mode', 'data.attributes', 'loss.cls_weight', 'loss.cycle_weight',
           'loss.gradient_penalty', 'train.n_critic', 'model.g_blocks', 'loss.identity_weight')
  batch_keys = ('image', 'label')
  preview_per_example = 5  # input, then 4 targets

  def __init__(self, config, info, assets=None):
    super().__init__(config, info, assets)
    self.mode = config.model.label_mode
    if self.mode not in LABEL_MODES:
      raise UserError(f'config.model.label_mode={self.mode!r}; allowed: {", ".join(LABEL_MODES)}')
    self.names = tuple(n.strip() for n in config.data.attributes.split(',') if n.strip())
    if not self.names:
      raise UserError('stargan needs config.data.attributes: the names of the domain labels, '
                      'comma-separated (bit i of a multi label, class i of a single one)')
    if self.mode == 'multi' and info.num_classes and info.num_classes > 2 ** len(self.names):
      raise UserError(f'{info.num_classes} domain codes do not fit the {len(self.names)} '
                      f'attributes of config.data.attributes={config.data.attributes!r}')
    if self.mode == 'single' and info.num_classes and info.num_classes != len(self.names):
      raise UserError(f'config.data.attributes names {len(self.names)} domains; the source '
                      f'has {info.num_classes}')
    self.num_labels = len(self.names)
    self.directions = ('none',) + self.names if self.mode == 'multi' else self.names
    self.generator = GENERATORS.get(config.model.generator)(config.model, info)
    self.discriminator = DISCRIMINATORS.get(config.model.discriminator)(
        config.model, info._replace(num_classes=self.num_labels))
    tc = config.train
    self.n_critic = tc.n_critic
    self.batch_schedule = BatchSchedule(tc.n_critic)
    self.cls_weight, self.rec_weight = config.loss.cls_weight, config.loss.cycle_weight
    self.gp_weight = config.loss.gradient_penalty
    self.identity_weight = config.loss.identity_weight
    self.g_opt = make_optimizer(config.optim.g, 'g', tc.num_steps)
    self.d_opt = make_optimizer(config.optim.d, 'd', tc.num_steps * tc.n_critic)

  # -- state -------------------------------------------------------------------
  def init(self, rng) -> StarGANState:
    kg, kd, kr = jax.random.split(rng, 3)
    x = jnp.zeros((1,) + tuple(self.info.image_shape), jnp.float32)
    c = jnp.zeros((1, self.num_labels), jnp.float32)
    return StarGANState(
        step=jnp.zeros((), jnp.int32), rng=kr,
        g=NetworkState.create(self.generator.init(kg, x, c), self.g_opt),
        d=NetworkState.create(self.discriminator.init(kd, x), self.d_opt))

  def networks(self, state):
    return {'generator': state.g.params, 'discriminator': state.d.params}

  # -- translation ---------------------------------------------------------------
  def target_vector(self, target: str):
    """'thick,tinted' (multi: the attributes switched on; 'none' for none) or a
    domain name (single) -> its label vector (num_labels,)."""
    names = [n.strip() for n in target.split(',') if n.strip()]
    unknown = [n for n in names if n not in self.directions]  # 'none' only for multi
    if unknown or not names or (self.mode == 'single' and len(names) != 1):
      allowed = ', '.join(self.directions)
      how = ('attributes to switch on, comma-separated, or none' if self.mode == 'multi'
             else 'one domain')
      raise UserError(f'--target={target!r}; {self.config.method} needs {how}, from: {allowed}')
    return jnp.asarray([float(n in names) for n in self.names], jnp.float32)

  def check_direction(self, direction: str) -> None:
    self.target_vector(direction)

  def translate(self, state, images, direction: str):
    c = jnp.broadcast_to(self.target_vector(direction), (images.shape[0], self.num_labels))
    return self.generate(state.g.params, images, c)

  def generate(self, g_params, images, targets):
    return self.generator.apply({'params': g_params}, images, targets)

  @classmethod
  def held_out(cls, data_config, n=None):
    held = data_config.copy_and_resolve_references()
    held.split = 'test'
    src = sources.build_source(held)
    idx = list(range(len(src)))
    if n is not None:  # spread over the split, whose examples come grouped by domain
      idx = idx[::max(1, len(idx) // n)][:n]
    ex = src.get(idx)
    return {'a': ex['image'].astype('float32') / 127.5 - 1, 'label': ex['label']}

  def preview(self, state, inputs):
    """Rows of (input, then the input translated to each of 4 targets)."""
    x = inputs['a']
    targets = self._preview_targets()
    out = [x] + [self.translate(state, x, t) for t in targets]
    return jnp.stack(out, axis=1).reshape((-1,) + x.shape[1:])

  def _preview_targets(self):
    if self.mode == 'single':
      return [self.names[i % len(self.names)] for i in range(4)]
    return ([n for n in self.names] + ['none', ','.join(self.names)])[:4]

  # -- training ------------------------------------------------------------------
  def phases(self):
    return [Phase('d', 'd', self._d_loss, repeats=self.n_critic),
            Phase('g', 'g', self._g_loss)]

  def _batch(self, batch, k, key):
    """The k-th of the step's real batches (rows interleaved as the GAN method's),
    its label vectors and the targets: the labels of a random permutation."""
    n = self.n_critic
    images = batch['image']
    b = images.shape[0] // n
    real = images.reshape((b, n) + images.shape[1:])[:, k]
    labels = batch['label'].reshape((b, n))[:, k]
    c_org = label_vectors(labels, self.num_labels, self.mode)
    c_trg = c_org[jax.random.permutation(key, b)]
    return real, c_org, c_trg

  def _d_keys(self, rng, index):
    """(permutation key, GP key) of the D update at this run index."""
    return jax.random.split(jax.random.fold_in(rng, index))

  def _d_loss(self, state, inp):
    k_perm, k_gp = self._d_keys(inp.rng, inp.index)
    real, c_org, c_trg = self._batch(inp.batch, inp.repeat, k_perm)
    fake = jax.lax.stop_gradient(self.generate(state.g.params, real, c_trg))
    d = lambda x: self.discriminator.apply({'params': state.d.params}, x)
    src_real, cls_real = d(real)
    src_fake, _ = d(fake)
    adv = -jnp.mean(src_real) + jnp.mean(src_fake)
    cls = classification_loss(cls_real, c_org, self.mode)
    per_image = lambda x: jnp.sum(d(x)[0].reshape(x.shape[0], -1), axis=1)
    gp = losses.gradient_penalty(per_image, real, fake, k_gp)
    loss = adv + self.cls_weight * cls + self.gp_weight * gp
    metrics = {'d_loss': loss, 'd_adv': adv, 'd_cls': cls, 'gp': gp}
    return loss, (state, metrics, inp.carry)

  def _g_loss(self, state, inp):
    # the last D update's batch and targets (the official G step follows that D step)
    k_perm, _ = self._d_keys(inp.rng, inp.index - 1)
    real, c_org, c_trg = self._batch(inp.batch, self.n_critic - 1, k_perm)
    fake = self.generate(state.g.params, real, c_trg)
    src_fake, cls_fake = self.discriminator.apply({'params': state.d.params}, fake)
    adv = -jnp.mean(src_fake)
    cls = classification_loss(cls_fake, c_trg, self.mode)
    rec = jnp.mean(jnp.abs(real - self.generate(state.g.params, fake, c_org)))
    loss = adv + self.cls_weight * cls + self.rec_weight * rec
    metrics = {'g_loss': loss, 'g_adv': adv, 'g_cls': cls, 'rec_l1': rec}
    if self.identity_weight > 0:
      idt = jnp.mean(jnp.abs(real - self.generate(state.g.params, real, c_org)))
      loss = loss + self.rec_weight * self.identity_weight * idt
      metrics.update(g_loss=loss, idt_l1=idt)
    return loss, (state, metrics, inp.carry)

  @classmethod
  def check_config(cls, config) -> None:
    super().check_config(config)
    GENERATORS.get(config.model.generator)
    DISCRIMINATORS.get(config.model.discriminator)
