"""How a run stops before its end: a signal asks it to (after the current chunk), or
another worker of a multi-worker run is lost; both are one line naming what is kept."""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nnfw.checkpoint import CHECKPOINT
from nnfw.errors import NnfwError


class Interrupted(NnfwError):
    """Training was stopped by SIGINT or SIGTERM after saving its state."""

    def __init__(self, signum: int, epochs: int, run_dir: Path | None) -> None:
        self.exit_code = 128 + signum
        self.args_for_copy = (signum, epochs, run_dir)
        where = (f"; everything is saved: resume with nnfw train --resume {run_dir}"
                 if run_dir else "")
        super().__init__(f"interrupted by {signal.Signals(signum).name} after epoch "
                         f"{epochs - 1}{where}")

    def __reduce__(self) -> tuple[type, tuple[int, int, Path | None]]:
        """Rebuild from the constructor's arguments (crossing processes, as in compare --jobs)."""
        return (Interrupted, self.args_for_copy)


class LostWorker(NnfwError):
    """Another worker of a multi-worker run stopped answering; this one stopped too."""

    exit_code = 5

    def __init__(self, error: Exception, run_dir: Path | None, saved_epochs: int | None) -> None:
        # TensorFlow's message, without its {{function_node ...}} prefixes
        lines = [re.sub(r"\{\{.*?\}\}\s*", "", line).strip() for line in str(error).splitlines()]
        lines = [line for line in lines if line]
        detail = next((line for line in lines if "abort" in line.lower() or "timed out" in line.lower()
                       or "deadline" in line.lower()), lines[-1] if lines else type(error).__name__)
        if run_dir is None:
            kept = "this worker writes nothing; the chief keeps the run's last checkpoint"
        elif not (run_dir / CHECKPOINT).is_file():
            kept = f"no checkpoint was saved yet in {run_dir}"
        else:
            epochs = f" ({saved_epochs} epochs)" if saved_epochs is not None else ""
            kept = (f"the last checkpoint{epochs} in {run_dir} is intact: restart every worker "
                    f"with nnfw train --resume {run_dir}")
        super().__init__(f"lost contact with another worker ({type(error).__name__}: {detail}); "
                         f"{kept}")


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
