"""Data parallelism: one device mesh with a 'data' axis.

Parameters and optimizer state are replicated (PartitionSpec()); batches are
split along their first axis over 'data'. The train step is jitted over these
shardings, so XLA averages gradients and computes batch statistics across all
devices, and the same global batch gives the same result on any device count.
"""

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from gan_jax.errors import UserError


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


def shard_batch(batch, mesh):
  """Host numpy batch (global) -> jax arrays split over the 'data' axis."""
  sharding = batch_sharded(mesh)
  return jax.tree.map(lambda x: jax.device_put(x, sharding), batch)


def replicate(tree, mesh):
  return jax.device_put(tree, replicated(mesh))
