"""What a command prints on stdout, kept apart from everything else that runs in it.

While a command runs, stdout (Python's ``sys.stdout`` and file descriptor 1)
goes to stderr; only :func:`echo` writes to the real stdout. So a plugin that
prints, or a native library writing to descriptor 1, can never break what nnfw
prints there (``--json`` output stays valid JSON, tables stay tables).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import IO

import click

_outputs: list[IO[str]] = []  # the real stdout while commands run (innermost last)


def echo(text: str) -> None:
    """Print a line of nnfw's own output on the real stdout."""
    click.echo(text, file=_outputs[-1] if _outputs else None)


@contextlib.contextmanager
def stdout_kept_for_nnfw() -> Iterator[None]:
    """Inside the block, whatever writes to stdout writes to stderr, except :func:`echo`."""
    real = sys.stdout
    own = _descriptor(real)
    restore = None
    if own is not None and _same_file(own, 1):  # Python's stdout is descriptor 1's file
        real.flush()
        restore = os.dup(1)
        real = os.fdopen(os.dup(own), "w", encoding=sys.stdout.encoding, errors="replace")
        os.dup2(2, 1)
    previous, sys.stdout = sys.stdout, sys.stderr
    _outputs.append(real)
    try:
        yield
    finally:
        _outputs.remove(real)
        sys.stdout = previous
        real.flush()
        if restore is not None:
            real.close()
            os.dup2(restore, 1)
            os.close(restore)


def _descriptor(stream: IO[str]) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # a test's capture object has no descriptor
        return None


def _same_file(a: int, b: int) -> bool:
    try:
        return os.path.samestat(os.fstat(a), os.fstat(b))
    except OSError:
        return False
