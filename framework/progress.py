"""Progress display for training: a tqdm bar on a terminal, a few plain lines otherwise."""

from __future__ import annotations

import sys
from typing import Any

from nnfw.loop import History

PLAIN_LINES = 10  # lines printed over a whole run when stderr is not a terminal


class Progress:
    """Shows epochs done and the latest metrics; silent when ``quiet``."""

    def __init__(self, epochs: int, quiet: bool = False) -> None:
        self.epochs = epochs
        self.quiet = quiet
        self._bar: Any = None
        self._next_line = 0

    def __enter__(self) -> Progress:
        if not self.quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=self.epochs, unit="epoch", file=sys.stderr, leave=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self, history: History) -> None:
        """Called after each chunk of epochs with the whole history so far."""
        if self.quiet or not history.loss:
            return
        last = history.epochs_run - 1
        metrics = history.final()
        if self._bar is not None:
            self._bar.update(history.epochs_run - self._bar.n)
            self._bar.set_postfix({k: f"{v:.4g}" for k, v in metrics.items()}, refresh=True)
            return
        if history.epochs_run >= self._next_line or history.epochs_run == self.epochs:
            shown = "  ".join(f"{k} {v:.6g}" for k, v in metrics.items())
            print(f"epoch {last}: {shown}", file=sys.stderr, flush=True)
            self._next_line = history.epochs_run + max(1, self.epochs // PLAIN_LINES)
