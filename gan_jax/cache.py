"""What gan_jax keeps between runs, under $GAN_JAX_CACHE (default
~/.cache/gan_jax): the digits classifier's weights and the XLA compilation
cache.

The compilation cache is jax's persistent one: a program compiled once (a
train step, a sampler, the Inception pass) is written to disk, and a resumed
run, a second sweep point or `--mode=eval` of the same config loads it instead
of compiling again; at most 4 GiB, least recently used entries deleted first.
GAN_JAX_XLA_CACHE=0 turns it off; GAN_JAX_XLA_CACHE=/some/folder puts it there
instead (the tests share one fresh folder per session, so a resumed or repeated
run in a later test reads its programs instead of compiling them again).
`watch()` tells whether a piece of work compiled or read the cache, for the
run's first lines.
"""

import contextlib
import os
import time

MIN_COMPILE_SECONDS = 0.5  # programs that compile faster are not worth a file
MAX_BYTES = 4 * 2**30      # then the least recently used entries are deleted

_events = {'hits': 0, 'misses': 0}
_state = {'dir': None, 'listening': False}


def root() -> str:
  return os.environ.get('GAN_JAX_CACHE', os.path.expanduser('~/.cache/gan_jax'))


def _count(event: str, **_):
  if event == '/jax/compilation_cache/cache_hits':
    _events['hits'] += 1
  elif event == '/jax/compilation_cache/cache_misses':
    _events['misses'] += 1


def enable_compilation_cache():
  """Turns on jax's persistent cache (before the first compile) under root()/xla,
  or the folder GAN_JAX_XLA_CACHE names; returns its folder, or None when
  GAN_JAX_XLA_CACHE=0."""
  import jax  # pylint: disable=g-import-not-at-top
  setting = os.environ.get('GAN_JAX_XLA_CACHE', '1')
  if setting.lower() in ('0', 'off', 'false', 'no'):
    return None
  path = setting if os.sep in setting else os.path.join(root(), 'xla')
  jax.config.update('jax_compilation_cache_dir', path)
  # jax's own variables, where set, win (the tests keep every program, eviction off).
  jax.config.update('jax_persistent_cache_min_compile_time_secs', float(
      os.environ.get('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', MIN_COMPILE_SECONDS)))
  jax.config.update('jax_compilation_cache_max_size', int(
      os.environ.get('JAX_COMPILATION_CACHE_MAX_SIZE', MAX_BYTES)))
  if not _state['listening']:
    jax.monitoring.register_event_listener(_count)
    _state['listening'] = True
  _state['dir'] = path
  return path


class Watch:
  seconds = 0.0
  hits = 0
  misses = 0

  def describe(self) -> str:
    """'12.3 s (compiled; cached for the next run)' or '0.8 s (read from the XLA cache)'."""
    if self.hits and not self.misses:
      how = 'read from the XLA cache'
    elif self.misses:
      how = ('compiled; cached for the next run' if self.seconds >= MIN_COMPILE_SECONDS
             else 'compiled')
    else:
      how = 'compiled' if _state['dir'] is None else 'already compiled in this process'
    return f'{self.seconds:.1f} s ({how})'


@contextlib.contextmanager
def watch():
  """Times a block and counts the compilation-cache hits and misses within it."""
  w, before, start = Watch(), dict(_events), time.perf_counter()
  try:
    yield w
  finally:
    w.seconds = time.perf_counter() - start
    w.hits, w.misses = _events['hits'] - before['hits'], _events['misses'] - before['misses']
