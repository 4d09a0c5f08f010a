"""Bad input: one line naming the value and what is allowed, exit status 2,
no stack trace, and nothing already in the workdir destroyed."""

import os

import pytest

from conftest import experiment

SMOKE = experiment('dcgan_mnist.py') + ':digits,smoke'


def assert_one_line_error(code, err, *fragments):
  assert code == 2
  assert 'Traceback' not in err
  last = err.strip().splitlines()[-1]
  assert last.startswith('error: ')
  for f in fragments:
    assert f in last, last


@pytest.mark.parametrize('override,fragments', [
    ('--config.train.foo=1',
     ["unknown config key 'train.foo'", 'batch_size, boost_every, boost_steps, checkpoint_every']),
    ('--config.trian.lr=1',
     ["unknown config key 'trian.lr'", 'keys of config: augment, data, ema']),
    ('--config.train.batch_size=abc', ['--config.train.batch_size=abc', 'invalid literal']),
    ('--config.method=wgan_xx',
     ["unknown method 'wgan_xx'",
      'known: cyclegan, gan, inpainting, pggan, pix2pix, restoration, stargan, style_transfer, '
      'stylegan2, super_resolution']),
    ('--config.model.generator=resnet', ["unknown generator 'resnet'", 'dcgan, johnson, mlp']),
    ('--config.loss.adversarial=bce', ["unknown adversarial loss 'bce'", 'hinge']),
    ('--config.eval.metrics=("fid50k",)',
     ["unknown metric 'fid50k'", 'digits_score, digits_translation, domain_translation, fid']),
    ('--config.eval.resize=bicubic', ["config.eval.resize='bicubic'", 'pil_bicubic']),
    ('--config.data.source=hf:mnist', ["unknown data source kind 'hf'", 'embedded, folder, tfds']),
    ('--config.data.image_size=28', ['data.image_size=28', '8, 16, 32, 64']),
    ('--config.data.channels=4', ['config.data.channels=4', 'allowed: 1, 3 (images)']),
    ('--config.data.channels=2', ['data.channels=2 for images', 'allowed: 1 (grey), 3 (RGB)']),
    ('--config.loss.label_smoothing=1.5', ['label_smoothing=1.5', '[0, 1)']),
    ('--config.train.batch_size=6', ['batch_size=6 is not divisible by the 4 devices']),
    ('--config.optim.g.name=adagrad', ["optim.g.name='adagrad'", 'adam, rmsprop, sgd']),
    ('--config.model.upsample=bicubic', ["model.upsample='bicubic'", 'bilinear, nearest']),
    ('--config.eval.metrics=("kid",)', ['kid_subset_size=1000 is larger than the 16 images']),
])
def test_bad_config_values(launch, tmp_path, override, fragments):
  code, _, err = launch(f'--config={SMOKE}', f'--workdir={tmp_path}/w', override)
  assert_one_line_error(code, err, *fragments)
  assert not os.path.exists(tmp_path / 'w' / 'checkpoints')


def test_unknown_experiment_option(launch):
  code, _, err = launch(f'--config={experiment("gan_mnist.py")}:digitz', '--mode=summary')
  assert_one_line_error(code, err, "unknown experiment option(s) ['digitz']", "'digits', 'smoke'")


def test_missing_and_empty_folders(launch, tmp_path):
  code, _, err = launch(f'--config={SMOKE}', f'--workdir={tmp_path}/w',
                        f'--config.data.source=folder:{tmp_path}/nope')
  assert_one_line_error(code, err, f"data folder '{tmp_path}/nope' does not exist")
  (tmp_path / 'empty').mkdir()
  code, _, err = launch(f'--config={SMOKE}', f'--workdir={tmp_path}/w',
                        f'--config.data.source=folder:{tmp_path}/empty')
  assert_one_line_error(code, err, 'holds no images')


def test_workdir_of_another_config_is_refused_and_kept(launch, tmp_path):
  wd = str(tmp_path / 'run')
  assert launch(f'--config={SMOKE}', f'--workdir={wd}')[0] == 0
  before = {p: os.path.getmtime(os.path.join(wd, p)) for p in ('config.json', 'metrics.jsonl')}
  ckpts = sorted(os.listdir(os.path.join(wd, 'checkpoints')))
  code, _, err = launch(f'--config={SMOKE}', f'--workdir={wd}', '--config.model.g_width=4')
  assert_one_line_error(code, err, 'holds a run of a different config',
                        "model.g_width: 8 in the workdir, 4 now")
  assert {p: os.path.getmtime(os.path.join(wd, p)) for p in before} == before
  assert sorted(os.listdir(os.path.join(wd, 'checkpoints'))) == ckpts
  # Loop-control fields may change: a longer run of the same config resumes.
  code, out, err = launch(f'--config={SMOKE}', f'--workdir={wd}', '--config.train.num_steps=6')
  assert code == 0, err
  assert 'resuming from step 4' in out


def test_eval_and_sample_need_a_checkpoint(launch, tmp_path):
  code, _, err = launch(f'--config={SMOKE}', f'--workdir={tmp_path}/none', '--mode=eval')
  assert_one_line_error(code, err, 'no checkpoint in', 'train first')
  code, _, err = launch(f'--config={SMOKE}', '--mode=eval')
  assert_one_line_error(code, err, '--workdir is required for --mode=eval')


def test_sample_label_on_unconditional_model(launch, tmp_path):
  wd = str(tmp_path / 'run')
  assert launch(f'--config={SMOKE}', f'--workdir={wd}')[0] == 0
  code, _, err = launch(f'--config={SMOKE}', f'--workdir={wd}', '--mode=sample', '--label=3',
                        f'--output={tmp_path}/o')
  assert_one_line_error(code, err, '--label=3 given, but this model is unconditional')


def test_config_fields_added_later_keep_old_workdirs_compatible():
  from gan_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  current = config_lib.to_dict(config_lib.base_config())
  saved = config_lib.to_dict(config_lib.base_config())
  del saved['augment']                     # a run written before DiffAugment existed
  del saved['loss']['r1_gamma']
  assert config_lib.config_differences(saved, current) == {}
  current['loss']['r1_gamma'] = 1.0        # but a new field set away from its default differs
  assert config_lib.config_differences(saved, current) == {'loss.r1_gamma': (0.0, 1.0)}
  # A field the framework dropped (an old run's stray model.batchnorm) does not block resuming.
  saved['model']['batchnorm'] = True
  assert config_lib.config_differences(saved, current) == {'loss.r1_gamma': (0.0, 1.0)}


def test_missing_inception_weights_fail_before_training(launch, tmp_path):
  workdir = tmp_path / 'run'
  code, _, err = launch(f'--config={experiment("dcgan_mnist.py")}:digits,smoke',
                        f'--workdir={workdir}', "--config.eval.metrics=('fid',)",
                        '--config.eval.every=2',
                        f'--config.eval.inception_weights={tmp_path}/no.pth')
  assert code == 2
  assert 'no.pth' in err and 'no such file' in err and 'pt_inception-2015-12-05' in err
  assert not workdir.exists()


def test_inception_weights_error_names_the_file_and_the_ways_around_it(launch, tmp_path):
  """The message names the file to download and two overrides that train without it;
  both overrides, as printed, do train."""
  cfg = f'--config={experiment("dcgan_mnist.py")}:digits,smoke'
  fid = ["--config.eval.metrics=('fid',)", "--config.eval.main_metric=fid",
         "--config.eval.main_mode=min"]
  code, _, err = launch(cfg, *fid, '--config.eval.every=2', f'--workdir={tmp_path}/a')
  assert code == 2 and len(err.strip().splitlines()) == 1
  assert 'pt_inception-2015-12-05-6726825d.pth' in err and 'GAN_JAX_INCEPTION_WEIGHTS' in err
  assert "--config.eval.every=0" in err and "--config.eval.metrics='()'" in err
  for ways, wd in (([*fid, '--config.eval.every=0'], 'b'),
                   (['--config.eval.metrics=()', '--config.eval.every=2'], 'c')):
    code, out, err = launch(cfg, *ways, f'--workdir={tmp_path}/{wd}')
    assert code == 0, err
    assert sorted(os.listdir(tmp_path / wd / 'checkpoints')) == ['2', '4']
