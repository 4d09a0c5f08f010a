"""User-facing errors.

Anything the user can fix (a bad config value, a missing dataset, a corrupt
checkpoint) raises `UserError`. `launch.py` prints its message on one line and
exits with status 2 instead of showing a stack trace.
"""


class UserError(Exception):
  """An error caused by the user's input; its message says what to change."""


def warn(message: str) -> None:
  """A warning the user should see, on stderr, one line."""
  import sys  # pylint: disable=g-import-not-at-top
  print(f'warning: {message}', file=sys.stderr, flush=True)
