"""Name -> code registries, so configs can refer to code by string.

Each registry lives in its own module beside the code it names (e.g.
gan_jax/methods/registry.py) and lists its entries explicitly; `register` adds
one from outside the package (a user's own method or model).
"""

from typing import Callable, Dict, Generic, Mapping, Optional, TypeVar

from gan_jax.errors import UserError

T = TypeVar('T')


class Registry(Generic[T]):
  """A named table of constructors. Unknown names list the known ones."""

  def __init__(self, kind: str, entries: Optional[Mapping[str, T]] = None):
    self.kind = kind
    self._entries: Dict[str, T] = dict(entries or {})

  def register(self, name: str) -> Callable[[T], T]:
    def decorator(obj: T) -> T:
      if name in self._entries:
        raise ValueError(f'{self.kind} {name!r} registered twice')
      self._entries[name] = obj
      return obj
    return decorator

  def unregister(self, name: str) -> None:
    """Removes an entry (tests that register a temporary one)."""
    del self._entries[name]

  def get(self, name: str) -> T:
    if name not in self._entries:
      raise UserError(f'unknown {self.kind} {name!r}; known: '
                      f'{", ".join(sorted(self._entries))}')
    return self._entries[name]

  def names(self):
    return sorted(self._entries)

  def __contains__(self, name: str) -> bool:
    return name in self._entries
