"""Keeping what plugin code prints out of nnfw's own output.

nnfw's commands print their results on stdout (tables, ``--json``); plugin code runs
inside them. While it runs (its import, its hooks, its factories, and training,
which runs the objects it made), stdout, Python's ``sys.stdout`` and file
descriptor 1 alike, goes to stderr: a plugin that prints, or a native library
writing to descriptor 1, can never break ``--json`` output.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import IO


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Inside the block, whatever writes to stdout writes to stderr."""
    own = _descriptor(sys.stdout)
    restore = None
    sys.stdout.flush()
    if own is not None and _same_file(own, 1) and not _same_file(1, 2):
        restore = os.dup(1)  # Python's stdout is descriptor 1's file: move both
        os.dup2(2, 1)
    previous, sys.stdout = sys.stdout, sys.stderr
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout = previous
        if restore is not None:
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
