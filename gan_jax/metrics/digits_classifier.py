"""A calibrated classifier of the embedded 8x8 digits, for judging samples.

A plain classifier is confidently wrong on junk (a small CNN was > 0.9 sure on
89 % of uniform-noise images), so a 'confident' figure from it says nothing.
This one is also trained to give a flat distribution on non-digits: uniform and
Gaussian noise, blurred noise blobs, blank images, and blends of two digits of
different classes. It is trained on the digits' 'train' split (first 1,500)
on first use, in seconds, and cached under $GAN_JAX_CACHE (default
~/.cache/gan_jax). Images of any size are box- or area-resized to 8x8 first;
positives include digits passed through 16 and 32 px and back, as generated
samples are.
"""

import functools
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax import cache
from gan_jax.data.base import conform_batch
from gan_jax.data.embedded import digits_arrays
from gan_jax.data.pipeline import to_float

VERSION = 1
NUM_CLASSES = 10


class DigitsNet(nn.Module):

  @nn.compact
  def __call__(self, x, features=False):  # x: (B, 8, 8, 1) in [0, 1]
    x = nn.relu(nn.Conv(32, (3, 3))(x))
    x = nn.relu(nn.Conv(64, (3, 3), strides=(2, 2))(x))
    x = x.reshape((x.shape[0], -1))
    x = nn.relu(nn.Dense(128)(x))
    logits = nn.Dense(NUM_CLASSES)(x)
    return x if features else logits


def to_8x8(images) -> jnp.ndarray:
  """(B, H, W, C) in [-1, 1] -> (B, 8, 8, 1) grey in [0, 1]."""
  x = (jnp.asarray(images, jnp.float32) + 1.0) / 2.0
  if x.shape[-1] == 3:
    x = x @ jnp.array([0.299, 0.587, 0.114], jnp.float32)[:, None]
  b, h, w, _ = x.shape
  if h % 8 == 0 and w % 8 == 0:
    x = x.reshape(b, 8, h // 8, 8, w // 8, 1).mean(axis=(2, 4))
  else:
    x = jax.image.resize(x, (b, 8, 8, 1), 'linear', antialias=True)
  return jnp.clip(x, 0.0, 1.0)


def _roundtrip(images01: np.ndarray, size: int) -> np.ndarray:
  """8x8 [0, 1] -> size px (bicubic, as the data pipeline does) -> 8x8 box mean."""
  up = conform_batch(list(np.round(images01 * 255).astype(np.uint8)), size, 1)
  up = up.astype(np.float32) / 127.5 - 1.0
  return np.asarray(to_8x8(up))[..., 0]


def _negatives(rng: np.random.Generator, digits: np.ndarray, labels: np.ndarray, n: int):
  kinds = rng.integers(0, 5, n)
  out = np.empty((n, 8, 8), np.float32)
  for i, k in enumerate(kinds):
    if k == 0:    # uniform noise
      out[i] = rng.random((8, 8))
    elif k == 1:  # Gaussian noise around a random grey
      out[i] = rng.normal(rng.random(), rng.uniform(0.1, 0.5), (8, 8))
    elif k == 2:  # smooth blobs: 4x4 noise upsampled
      out[i] = np.kron(rng.random((4, 4)), np.ones((2, 2))) * rng.uniform(0.3, 1.0)
    elif k == 3:  # blank / constant
      out[i] = np.full((8, 8), rng.random() * rng.integers(0, 2))
    else:         # blend of two digits of different classes
      a, b = rng.integers(0, len(digits), 2)
      while labels[b] == labels[a]:
        b = rng.integers(0, len(digits))
      t = rng.uniform(0.35, 0.65)
      out[i] = t * digits[a] + (1 - t) * digits[b]
  return np.clip(out, 0, 1)


def train_classifier(seed: int = 0, steps: int = 3000, batch: int = 256):
  """Trains DigitsNet; returns its params (pure function of the seed)."""
  images, labels = digits_arrays('train')
  digits = images.astype(np.float32) / 255.0
  positives = np.concatenate([digits, _roundtrip(digits, 16), _roundtrip(digits, 32)])
  pos_labels = np.concatenate([labels] * 3)
  rng = np.random.default_rng(seed)
  model = DigitsNet()
  params = model.init(jax.random.PRNGKey(seed), jnp.zeros((1, 8, 8, 1)))['params']
  opt = optax.adam(1e-3)
  opt_state = opt.init(params)

  @jax.jit
  def step(params, opt_state, x, target):
    def loss_fn(p):
      logp = jax.nn.log_softmax(model.apply({'params': p}, x))
      return -jnp.mean(jnp.sum(target * logp, axis=-1))
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = opt.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  half = batch // 2
  for _ in range(steps):
    idx = rng.integers(0, len(positives), half)
    pos = positives[idx] + rng.normal(0, rng.uniform(0, 0.05), (half, 8, 8))
    neg = _negatives(rng, digits, labels, batch - half)
    x = np.clip(np.concatenate([pos, neg]), 0, 1)[..., None].astype(np.float32)
    target = np.concatenate([np.eye(NUM_CLASSES)[pos_labels[idx]],
                             np.full((batch - half, NUM_CLASSES), 1.0 / NUM_CLASSES)])
    params, opt_state, _ = step(params, opt_state, x, target.astype(np.float32))
  return params


def cache_path() -> str:
  return os.path.join(cache.root(), f'digits_classifier_v{VERSION}.npz')


@functools.lru_cache(maxsize=1)
def load_params():
  """Cached params; trained (about 20 s on 2 CPU cores) and saved on first use."""
  path = cache_path()
  template = DigitsNet().init(jax.random.PRNGKey(0), jnp.zeros((1, 8, 8, 1)))['params']
  flat, treedef = jax.tree_util.tree_flatten(template)
  if os.path.exists(path):
    try:
      with np.load(path) as f:
        leaves = [f[f'arr_{i}'] for i in range(len(flat))]
      if all(a.shape == b.shape for a, b in zip(leaves, flat)):
        return jax.tree_util.tree_unflatten(treedef, [jnp.asarray(a) for a in leaves])
    except Exception:  # pylint: disable=broad-except
      pass  # unreadable cache: retrain below
  params = train_classifier()
  os.makedirs(os.path.dirname(path), exist_ok=True)
  tmp = path + f'.tmp{os.getpid()}.npz'
  np.savez(tmp, *[np.asarray(a) for a in jax.tree_util.tree_leaves(params)])
  os.replace(tmp, path)
  return params


@jax.jit
def _probs(params, x8):
  return jax.nn.softmax(DigitsNet().apply({'params': params}, x8))


@jax.jit
def _features(params, x8):
  return DigitsNet().apply({'params': params}, x8, features=True)


def predict_features(images) -> np.ndarray:
  """The 128-d penultimate features, for Frechet distances in the classifier's space."""
  return np.asarray(_features(load_params(), to_8x8(images)))


def predict_probs(images) -> np.ndarray:
  """Class probabilities (B, 10) for images (B, H, W, C) in [-1, 1]."""
  return np.asarray(_probs(load_params(), to_8x8(images)))


def predict_channel_probs(images) -> np.ndarray:
  """Each colour channel classified as its own grey digit (stacked digits):
  (B, H, W, C) in [-1, 1] -> (B, C, 10)."""
  x = jnp.asarray(images, jnp.float32)
  b, h, w, c = x.shape
  probs = predict_probs(x.transpose(0, 3, 1, 2).reshape(b * c, h, w, 1))
  return probs.reshape(b, c, NUM_CLASSES)


def score(probs: np.ndarray, threshold: float = 0.9):
  """confident fraction, class entropy of the argmax histogram, and its ratio to log 10."""
  confident = float(np.mean(probs.max(axis=1) > threshold))
  hist = np.bincount(probs.argmax(axis=1), minlength=NUM_CLASSES) / len(probs)
  nz = hist[hist > 0]
  entropy = float(-(nz * np.log(nz)).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0
  return {'confident': confident, 'class_entropy': entropy,
          'class_entropy_ratio': entropy / float(np.log(NUM_CLASSES))}


@functools.lru_cache(maxsize=8)
def real_test_images(size: int, channels: int) -> np.ndarray:
  """The held-out digits (test split) as the data pipeline would give them."""
  images, _ = digits_arrays('test')
  return to_float(conform_batch(list(images), size, channels))
