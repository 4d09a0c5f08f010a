"""A refactor moves no numbers: the final state of every experiment's smoke run
(and of the toolbox options) is bitwise equal to the recorded fingerprint.

Where a change moves numbers on purpose, rerun `python tests/fingerprints.py
--write NAME` and say in the commit which run moved and why.
"""

import jax
import jaxlib
import pytest

import fingerprints


@pytest.mark.parametrize('name', sorted(fingerprints.RUNS))
def test_smoke_run_state_is_bitwise_unchanged(name):
  recorded = fingerprints.recorded()
  if recorded['versions'] != {'jax': jax.__version__, 'jaxlib': jaxlib.__version__}:
    pytest.skip(f'fingerprints were recorded with {recorded["versions"]}; this is jax '
                f'{jax.__version__}: XLA may round differently')
  assert fingerprints.run_fingerprint(fingerprints.RUNS[name]) == recorded['runs'][name]
