"""Stopping a run between chunks when SIGINT or SIGTERM asks it to (the error it then
raises, :class:`nnfw.errors.Interrupted`, is with the other errors)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


class StopRequest:
    """Set by a signal handler: the signal that asked the run to stop (None: none did)."""

    signum: int | None = None


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Turn SIGINT and SIGTERM into a request to stop after the current chunk."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum: int, frame: Any) -> None:
        request.signum = signum

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for sig, old in previous.items():  # None: a handler set outside Python (TensorFlow's)
            signal.signal(sig, signal.SIG_DFL if old is None else old)
