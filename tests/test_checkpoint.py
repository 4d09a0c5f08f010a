"""Checkpoint writes and restores: the same values back, and little compiling on a CPU."""

import jax
import numpy as np

from gan_jax import parallel
from gan_jax.checkpoint import Checkpoints

BACKEND_COMPILE = '/jax/core/compile/backend_compile_duration'


def test_a_save_compiles_once_per_shape_not_per_device_and_restores_abstractly(tmp_path):
  """Orbax's CPU default sliced every replicated array once per device, one eager
  compile each (4 devices: 4 x more programs than arrays). Ours copies each array
  once; the restore takes a template of shapes only (Experiment.abstract_state)."""
  mesh = parallel.make_mesh()
  assert mesh.devices.size == 4
  shapes = [(i + 3, 2 * i + 5) for i in range(12)]  # 12 shapes no other test compiled
  state = parallel.replicate({f'w{i}': np.arange(np.prod(s), dtype=np.float32).reshape(s) + i
                              for i, s in enumerate(shapes)}, mesh)
  compiles = []

  def listener(event, duration, **_):
    if event == BACKEND_COMPILE:
      compiles.append(duration)
  jax.monitoring.register_event_duration_secs_listener(listener)
  try:
    checkpoints = Checkpoints(str(tmp_path / 'checkpoints'), keep=2)
    checkpoints.save(7, state)
    checkpoints.wait()
  finally:
    jax.monitoring.unregister_event_duration_listener(listener)
  assert len(compiles) <= len(shapes) + 2, len(compiles)  # the copies, not 4 slices each
  sharding = parallel.replicated(mesh)
  template = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding),
                          state)
  restored, step = checkpoints.restore(template)
  checkpoints.close()
  assert step == 7
  for key, value in state.items():
    assert restored[key].sharding.is_equivalent_to(sharding, 2)
    np.testing.assert_array_equal(np.asarray(restored[key]), np.asarray(value))
