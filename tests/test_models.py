"""Model shapes, ranges and exact parameter counts (computed by hand)."""

import jax
import jax.numpy as jnp
import ml_collections
import pytest

from gan_jax.errors import UserError
from gan_jax.inference import count_params
from gan_jax.data.base import DataInfo
from gan_jax.models.registry import DISCRIMINATORS, GENERATORS


def model_cfg(**kw):
  from gan_jax.config import base_config  # pylint: disable=g-import-not-at-top
  c = base_config().model.to_dict()  # every field a model factory may read
  c.update(dict(z_dim=100, g_width=64, d_width=64, leaky_slope=0.2, init_std=0.02,
                g_batchnorm=True, d_batchnorm=True, spectral_norm=False, conditional=False,
                depth=1, tanh_output=True))
  c.update(kw)
  return ml_collections.ConfigDict(c)


def info(shape, num_classes=0):
  return DataInfo(tuple(shape), num_classes)


def init(module, x):
  return module.init(jax.random.PRNGKey(0), x, train=False)


def test_dcgan_64_rgb_matches_reference_count():
  # The reference PyTorch DCGAN (nz 100, ngf = ndf = 64, 3 channels, no biases):
  # G: 100*512*16 + 512*256*16 + 256*128*16 + 128*64*16 + 64*3*16 + 2*(512+256+128+64)
  #    = 819200 + 2097152 + 524288 + 131072 + 3072 + 1920 = 3,576,704
  # D: 3*64*16 + 64*128*16 + 128*256*16 + 256*512*16 + 512*16 + 2*(128+256+512)
  #    = 3072 + 131072 + 524288 + 2097152 + 8192 + 1792 = 2,765,568
  cfg = model_cfg()
  g = GENERATORS.get('dcgan')(cfg, info((64, 64, 3)))
  d = DISCRIMINATORS.get('dcgan')(cfg, info((64, 64, 3)))
  assert count_params(init(g, jnp.zeros((2, 100)))['params']) == 3_576_704
  assert count_params(init(d, jnp.zeros((2, 64, 64, 3)))['params']) == 2_765_568


@pytest.mark.parametrize('size,channels', [(8, 1), (16, 1), (32, 3)])
def test_dcgan_shapes_and_range(size, channels):
  cfg = model_cfg(g_width=8, d_width=8, z_dim=16)
  g = GENERATORS.get('dcgan')(cfg, info((size, size, channels)))
  d = DISCRIMINATORS.get('dcgan')(cfg, info((size, size, channels)))
  z = jax.random.normal(jax.random.PRNGKey(1), (3, 16))
  gv = init(g, z)
  x = g.apply(gv, z * 100, train=False)
  assert x.shape == (3, size, size, channels)
  assert float(jnp.abs(x).max()) <= 1.0
  out = d.apply(init(d, x), x, train=False)
  assert out.shape == (3,)


def test_dcgan_rejects_bad_size():
  with pytest.raises(UserError, match='image_size=28'):
    GENERATORS.get('dcgan')(model_cfg(), info((28, 28, 1)))


def test_mlp_counts_by_hand():
  # G: 100*128 + 128 + 128*784 + 784 = 114,064 ; D: 784*128 + 128 + 128 + 1 = 100,609
  cfg = model_cfg(g_width=128, d_width=128, leaky_slope=0.01, init_std=0.0)
  g = GENERATORS.get('mlp')(cfg, info((28, 28, 1)))
  d = DISCRIMINATORS.get('mlp')(cfg, info((28, 28, 1)))
  gv = init(g, jnp.zeros((2, 100)))
  assert count_params(gv['params']) == 114_064
  assert count_params(init(d, jnp.zeros((2, 28, 28, 1)))['params']) == 100_609
  x = g.apply(gv, jnp.ones((2, 100)) * 50)
  assert x.shape == (2, 28, 28, 1) and float(jnp.abs(x).max()) <= 1.0


def test_four_phase_conv_transpose_equals_flax_conv_transpose():
  import flax.linen as nn  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from gan_jax.models.layers import ConvTranspose4x4s2  # pylint: disable=g-import-not-at-top
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 7, 3))
  ref = nn.ConvTranspose(4, (4, 4), strides=(2, 2), padding='SAME')
  ours = ConvTranspose4x4s2(4)
  params = ref.init(jax.random.PRNGKey(1), x)
  params = jax.tree.map(lambda p: p + 0.1, params)  # a non-zero bias too
  np.testing.assert_allclose(ours.apply(params, x), ref.apply(params, x), rtol=1e-5, atol=1e-5)
  assert ours.apply(params, x).shape == (2, 10, 14, 4)
  loss = lambda m: jax.grad(lambda p, x: jnp.sum(jnp.sin(m.apply(p, x))), argnums=(0, 1))
  for a, b in zip(jax.tree.leaves(loss(ours)(params, x)), jax.tree.leaves(loss(ref)(params, x))):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('k,pad', [(3, (1, 2)), (4, (2, 2))])
def test_phase_conv_transpose_equals_flax_conv_transpose(k, pad):
  # CycleGAN's ResNet (k 3, PyTorch output_padding 1) and pix2pix's U-Net (k 4).
  import flax.linen as nn  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from gan_jax.models.layers import ConvTransposeS2  # pylint: disable=g-import-not-at-top
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 6, 3))
  ref = nn.ConvTranspose(4, (k, k), (2, 2), padding=(pad, pad))
  ours = ConvTransposeS2(4, k, pad[0])
  params = jax.tree.map(lambda p: p + 0.1, ref.init(jax.random.PRNGKey(1), x))
  assert ours.apply(params, x).shape == ref.apply(params, x).shape == (2, 10, 12, 4)
  np.testing.assert_allclose(ours.apply(params, x), ref.apply(params, x), rtol=1e-5, atol=1e-5)
  loss = lambda m: jax.grad(lambda p, x: jnp.sum(jnp.sin(m.apply(p, x))), argnums=(0, 1))
  for a, b in zip(jax.tree.leaves(loss(ours)(params, x)), jax.tree.leaves(loss(ref)(params, x))):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('k,pad', [(3, (1, 2)), (4, (2, 2))])
def test_phase_conv_transpose_as_matmul_equals_flax_conv_transpose(k, pad):
  # Few positions and many channels: ConvTransposeS2 takes its matrix-product form.
  import flax.linen as nn  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from gan_jax.models.layers import ConvTransposeS2, weights_dominate  # pylint: disable=g-import-not-at-top
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 2, 3, 5))
  assert weights_dominate(2 * 2 * 3, 16)
  ref = nn.ConvTranspose(16, (k, k), (2, 2), padding=(pad, pad))
  ours = ConvTransposeS2(16, k, pad[0])
  params = jax.tree.map(lambda p: p + 0.1, ref.init(jax.random.PRNGKey(1), x))
  assert ours.apply(params, x).shape == ref.apply(params, x).shape == (2, 4, 6, 16)
  assert 'convolution' not in jax.jit(ours.apply).lower(params, x).as_text()
  np.testing.assert_allclose(ours.apply(params, x), ref.apply(params, x), rtol=1e-5, atol=1e-5)
  loss = lambda m: jax.grad(lambda p, x: jnp.sum(jnp.sin(m.apply(p, x))), argnums=(0, 1))
  for a, b in zip(jax.tree.leaves(loss(ours)(params, x)), jax.tree.leaves(loss(ref)(params, x))):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('size,features,matmul', [(4, 16, True), (8, 2, False)])
def test_strided_conv_equals_flax_conv_in_both_forms(size, features, matmul):
  import flax.linen as nn  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from gan_jax.models.layers import strided_conv  # pylint: disable=g-import-not-at-top

  class Ours(nn.Module):
    @nn.compact
    def __call__(self, x):
      return strided_conv(x, features, 4, 2, 1, name='Conv_0')

  x = jax.random.normal(jax.random.PRNGKey(0), (2, size, size, 3))
  ref = nn.Conv(features, (4, 4), (2, 2), padding=((1, 1), (1, 1)), name='Conv_0')
  params = {'params': {'Conv_0': jax.tree.map(
      lambda p: p + 0.1, ref.init(jax.random.PRNGKey(1), x)['params'])}}
  ours = Ours()
  assert jax.tree.map(jnp.shape, ours.init(jax.random.PRNGKey(1), x)) == \
      jax.tree.map(jnp.shape, params)
  ref_apply = lambda p, x: ref.apply({'params': p['params']['Conv_0']}, x)
  out = ours.apply(params, x)
  assert out.shape == (2, size // 2, size // 2, features)
  np.testing.assert_allclose(out, ref_apply(params, x), rtol=1e-5, atol=1e-5)
  # the form taken: the matmul form holds no convolution
  text = jax.jit(ours.apply).lower(params, x).as_text()
  assert ('convolution' not in text) == matmul
  grads = [jax.grad(lambda p, x: jnp.sum(jnp.sin(f(p, x))), argnums=(0, 1))(params, x)
           for f in (ours.apply, ref_apply)]
  for a, b in zip(jax.tree.leaves(grads[0]), jax.tree.leaves(grads[1])):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
