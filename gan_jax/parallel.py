"""Data parallelism: one device mesh with a 'data' axis, on one or many hosts.

Parameters and optimizer state are replicated (PartitionSpec()); batches are
split along their first axis over 'data'. The train step is jitted over these
shardings, so XLA averages gradients and computes batch statistics across all
devices, and the same global batch gives the same result on any device count.

Many hosts: `initialize()` joins the job before JAX touches a device; the mesh
spans every process's devices (each process's devices are contiguous in it);
each process loads only its rows of the global batch and hands them to
`from_process_rows`.
"""

import os

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding, PartitionSpec as P

from gan_jax.errors import UserError


def initialize(coordinator_address=None, num_processes=None, process_id=None) -> bool:
  """jax.distributed.initialize for an explicit or a SLURM multi-process job.

  Returns True if this is a multi-process run. Must run before any JAX
  computation. CPU processes exchange data through gloo.
  """
  explicit = coordinator_address is not None or num_processes is not None
  slurm = int(os.environ.get('SLURM_NTASKS', '1')) > 1 and 'SLURM_JOB_ID' in os.environ
  if not (explicit or slurm):
    return False
  if explicit and (coordinator_address is None or num_processes is None or process_id is None):
    raise UserError('a multi-process run needs --coordinator_address, --num_processes and '
                    '--process_id together (or a SLURM job with several tasks)')
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  if explicit:
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id)
  else:
    jax.distributed.initialize()  # reads the SLURM environment
  return True


def is_main_process() -> bool:
  return jax.process_index() == 0


def make_mesh(devices=None) -> jax.sharding.Mesh:
  devices = np.array(devices if devices is not None else jax.devices())
  return jax.sharding.Mesh(devices, ('data',))


def replicated(mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def batch_sharded(mesh) -> NamedSharding:
  return NamedSharding(mesh, P('data'))


def check_batch_size(batch_size: int, mesh, what: str = 'train.batch_size') -> None:
  n = mesh.devices.size
  if batch_size % n:
    raise UserError(f'config.{what}={batch_size} is not divisible by the {n} devices; '
                    f'use a multiple of {n}')


def process_rows(num_rows: int):
  """The slice of a global batch's rows that this process loads."""
  per = num_rows // jax.process_count()
  start = jax.process_index() * per
  return slice(start, start + per)


def from_process_rows(local_batch, mesh):
  """This process's rows (numpy) -> global arrays split over the 'data' axis."""
  sharding = batch_sharded(mesh)
  return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, x), local_batch)


def shard_batch(batch, mesh):
  """A global batch that every process holds in full -> arrays split over 'data'."""
  host = jax.tree.map(np.asarray, jax.device_get(batch))
  return from_process_rows(jax.tree.map(lambda x: x[process_rows(len(x))], host), mesh)


def replicate(tree, mesh):
  """Host or single-device values (equal on every process) -> replicated global arrays."""
  return jax.device_put(jax.device_get(tree), replicated(mesh))


def to_host(x) -> np.ndarray:
  """A global array, gathered from every process if need be."""
  if jax.process_count() > 1 and not x.is_fully_replicated:
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
  return np.asarray(jax.device_get(x))


def padded_batches(array, batch_size: int, mesh):
  """Yields (batch, real_rows): float32 slices of `array` in batches of a multiple of
  the device count (at most batch_size, at least one row per device), the last one
  padded with zeros to the same size so one compiled function serves them all."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  n, n_dev = len(array), mesh.devices.size
  batch = max(n_dev, min(batch_size, -(-n // n_dev) * n_dev) // n_dev * n_dev)
  for first in range(0, n, batch):
    x = np.asarray(array[first:first + batch], np.float32)
    real = len(x)
    if real < batch:
      x = np.concatenate([x, np.zeros((batch - real,) + x.shape[1:], np.float32)])
    yield x, real
