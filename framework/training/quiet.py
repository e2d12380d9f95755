"""Importing TensorFlow without its native start-up log lines on the terminal."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_saved_stderr: list[int] = []  # the terminal's stderr, duplicated, while fd 2 is silenced


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null inside the block; Python exceptions still propagate."""
    sys.stderr.flush()
    saved = os.dup(2)
    _saved_stderr.append(saved)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        _saved_stderr.remove(saved)
        os.close(saved)


def terminal_stderr() -> int:
    """The file descriptor of the real stderr, even inside :func:`native_stderr_silenced`."""
    return _saved_stderr[0] if _saved_stderr else 2


def say(line: str) -> None:
    """Print a line on stderr, reaching the terminal even inside :func:`native_stderr_silenced`."""
    if _saved_stderr:
        sys.stderr.flush()
        os.write(_saved_stderr[0], (line + "\n").encode(errors="replace"))
    else:
        print(line, file=sys.stderr, flush=True)


def import_tensorflow_quietly(start: Callable[[], T] | None = None) -> T | None:
    """Import TensorFlow and start its devices with native logging hidden (CLI only).

    TensorFlow's Python warnings (advice for TensorFlow programmers, such as
    retracing or eager-strategy notes) are hidden too; its errors still show.
    ``start`` runs first, before the devices start (it may configure them: a
    distribution strategy does); its result is returned.
    """
    with native_stderr_silenced():
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")

        started = start() if start is not None else None
        tf.config.list_logical_devices("CPU")
        tf.constant(0.0) + 1.0
    return started
