"""A refactor moves no numbers: the final state of every experiment's smoke run
(and of the toolbox options) is bitwise equal to the recorded fingerprint.

Where a change moves numbers on purpose, rerun `python tests/fingerprints.py
--write NAME` and say in the commit which run moved and why.
"""

import warnings

import pytest

import fingerprints


# The experiments' ':digits,smoke' runs are checked where test_train.py runs them,
# the translation smoke runs where test_translation.py (test_stargan.py) does.
CHECKED_IN_TEST_TRAIN = ('gan_mnist', 'dcgan_mnist', 'dcgan_cifar10', 'cgan_mnist', 'wgan_mnist',
                         'wgan_gp_cifar10', 'sngan_cifar10', 'cgan_pd_cifar10')
CHECKED_IN_TEST_TRANSLATION = ('cyclegan_digits', 'pix2pix_demo', 'stargan_digits')
CHECKED_IN_TEST_BIGGAN = ('biggan_digits', 'biggan_imagenet128')
CHECKED_IN_TEST_PGGAN = ('pggan', 'srresnet')  # and test_srgan.py
CHECKED_IN_TEST_RESTORATION = ('inpainting', 'restore_photos')  # their own test files
CHECKED_IN_TEST_STYLEGAN2 = ('stylegan2_digits', 'stylegan2_cifar10')


def assert_state_recorded(checkpoint_dir: str, name: str) -> None:
  """A run's final state is bitwise the recorded one. On another jax or CPU (which
  round differently) a warning instead of a skip, so the rest of the test runs."""
  recorded = fingerprints.recorded()
  if fingerprints.recorded_versions(name, recorded) != fingerprints.versions():
    warnings.warn(f'{name}: fingerprints were recorded on '
                  f'{fingerprints.recorded_versions(name, recorded)}, this is '
                  f'{fingerprints.versions()}; the bitwise check is left out')
    return
  assert fingerprints.state_fingerprint(checkpoint_dir) == recorded['runs'][name], name


def check_versions(name: str) -> str:
  """The recorded fingerprint of `name`; a skip on another jax or CPU."""
  recorded = fingerprints.recorded()
  where = fingerprints.recorded_versions(name, recorded)
  if where != fingerprints.versions():
    pytest.skip(f'fingerprints were recorded with {where}; this is '
                f'{fingerprints.versions()}: XLA may round differently (re-record on this '
                'machine from the last commit: python tests/fingerprints.py --write)')
  return recorded['runs'][name]


@pytest.mark.parametrize('name', sorted(set(fingerprints.RUNS) - set(CHECKED_IN_TEST_TRAIN)
                                         - set(CHECKED_IN_TEST_TRANSLATION)
                                         - set(CHECKED_IN_TEST_BIGGAN)
                                         - set(CHECKED_IN_TEST_PGGAN)
                                         - set(CHECKED_IN_TEST_RESTORATION)
                                         - set(CHECKED_IN_TEST_STYLEGAN2)))
def test_smoke_run_state_is_bitwise_unchanged(name):
  assert fingerprints.run_fingerprint(fingerprints.RUNS[name]) == check_versions(name)
