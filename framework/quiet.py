"""Importing TensorFlow without its native start-up log lines on the terminal."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null inside the block; Python exceptions still propagate."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and start its CPU device with native logging hidden (CLI only)."""
    if "tensorflow" in sys.modules:
        return
    with native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_logical_devices("CPU")
        tf.constant(0.0) + 1.0
