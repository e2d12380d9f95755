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
    try:
        on_descriptor_1 = real.fileno() == 1
    except (AttributeError, OSError, ValueError):  # a test's capture object has no descriptor
        on_descriptor_1 = False
    saved = None
    if on_descriptor_1:
        real.flush()
        saved = os.dup(1)
        real = os.fdopen(saved, "w", encoding=sys.stdout.encoding, errors="replace",
                         closefd=False)
        os.dup2(2, 1)
    previous, sys.stdout = sys.stdout, sys.stderr
    _outputs.append(real)
    try:
        yield
    finally:
        _outputs.remove(real)
        sys.stdout = previous
        real.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
