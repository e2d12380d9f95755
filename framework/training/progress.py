"""Progress display for training: one live line on a terminal, a line every few seconds otherwise.

It says only what it has measured. Until the first chunk of epochs returns, TensorFlow is tracing
and compiling the training loop, so the display says "compiling". That first chunk's time is
mostly compiling, so speed and time left come from the chunks after it, and count only the epochs
this process ran (a resumed run's history begins with earlier ones). When training ends, its last
state stays on screen.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from nnfw.training.history import History

PLAIN_SECONDS = 5.0  # without a terminal, at most one epoch line this often (the final one apart)
REDRAW_SECONDS = 0.1  # on a terminal, redraw at most this often: many short chunks would flicker
BAR_CELLS = 20
FALLBACK_COLUMNS = 80  # the width to assume when the terminal does not say


class Progress:
    """Shows epochs done, speed, time left and the latest metrics while training runs.

    Use it as a context manager around training and pass :meth:`update` as the loop's
    ``on_chunk``. On a terminal ``stream`` (by default stderr) one line is redrawn in place;
    otherwise a line is written when training starts, at most every :data:`PLAIN_SECONDS`
    after that, and always for the last epoch. With ``quiet`` nothing is written. ``clock``
    (seconds) and ``width`` (columns; by default the terminal's) are there for tests.
    """

    def __init__(self, epochs: int, quiet: bool = False, *, resumed: bool = False,
                 stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 width: int | None = None) -> None:
        self.epochs = epochs
        self.quiet = quiet
        self.resumed = resumed
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.width = width
        self.live = not quiet and self.stream.isatty()
        self._began = clock()
        self._first: tuple[int, float] | None = None  # (epochs in history, time) at the first update
        self._last: tuple[int, float] | None = None  # the same at the latest update
        self._metrics: dict[str, float] = {}
        self._drawn_at: float | None = None  # when the line was last drawn or printed
        self._drawn_epochs = 0  # epochs shown by then
        self._drawn_chars = 0  # length of the line on the terminal, to blank what a shorter one leaves

    def __enter__(self) -> Progress:
        self._began = self.clock()
        if not self.quiet:
            self._show(f"{self._task()}: compiling...")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.quiet:
            return
        if self._last is None:  # no epoch ran (say, a resumed run already complete)
            if self.live:
                self._show("")
                self.stream.write("\r")
            return
        if self.live or self._drawn_epochs != self._last[0]:
            self._show(self._line(final=True))
        if self.live:
            self.stream.write("\n")  # the final state stays; what follows starts on its own line
        self.stream.flush()

    def update(self, history: History) -> None:
        """Called after each chunk of epochs with the whole history so far."""
        if self.quiet or not history.epochs_run:
            return
        now = self.clock()
        self._last = (history.epochs_run, now)
        first = self._first is None
        if first:
            self._first = self._last
        self._metrics = history.final()
        interval = REDRAW_SECONDS if self.live else PLAIN_SECONDS
        if first or self._drawn_at is None or now - self._drawn_at >= interval:
            self._show(self._line(final=False))

    @property
    def seconds_per_epoch(self) -> float | None:
        """Seconds an epoch took in the chunks after the first; None before two chunks ran."""
        if self._first is None or self._last is None:
            return None
        epochs = self._last[0] - self._first[0]
        seconds = self._last[1] - self._first[1]
        return seconds / epochs if epochs > 0 and seconds > 0 else None

    @property
    def seconds_left(self) -> float | None:
        """The remaining epochs at the measured speed; None while there is no measurement."""
        per_epoch = self.seconds_per_epoch
        if per_epoch is None or self._last is None:
            return None
        return max(self.epochs - self._last[0], 0) * per_epoch

    def _task(self) -> str:
        return (f"resuming training to {self.epochs} epochs" if self.resumed
                else f"training {self.epochs} epochs")

    def _line(self, final: bool) -> str:
        """The status line; on a terminal with a bar if that leaves room for all of it."""
        if not self.live:
            return self._status(final, bar=False)
        with_bar = self._status(final, bar=True)
        return with_bar if len(with_bar) < self._columns() else self._status(final, bar=False)

    def _status(self, final: bool, bar: bool) -> str:
        """The line for the latest update: epochs, time, speed or time left, then the metrics."""
        assert self._last is not None
        done, now = self._last
        cells = [_bar(done / max(self.epochs, 1))] if bar else []
        head = " ".join([f"{done}/{self.epochs} epochs", *cells, f"after {_duration(now - self._began)}"])
        per_epoch, left = self.seconds_per_epoch, self.seconds_left
        if per_epoch is None:
            tail = [] if final else ["measuring speed"]
        elif final or not left:
            tail = [f"at {_speed(per_epoch)}"]
        else:
            tail = [f"~{_duration(left)} left at {_speed(per_epoch)}"]
        if final and done < self.epochs:
            tail.append("stopped")
        digits = 4 if self.live else 6  # a terminal line is short of room; a log is read later
        metrics = "  ".join(f"{name} {value:.{digits}g}" for name, value in self._metrics.items())
        return ", ".join([head, *tail]) + (f" | {metrics}" if metrics else "")

    def _show(self, text: str) -> None:
        """Redraw the terminal line as ``text`` (cut to the width), or print it as a line."""
        if self.live:
            text = text[:max(self._columns() - 1, 1)]  # a full-width line would wrap: no redraw
            self.stream.write("\r" + text.ljust(self._drawn_chars))
            self._drawn_chars = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._drawn_at = self.clock()
        self._drawn_epochs = self._last[0] if self._last else 0

    def _columns(self) -> int:
        """The width to draw in: the one given, else :func:`terminal_columns` (asked each
        time: it may change)."""
        return self.width if self.width is not None else terminal_columns(self.stream)


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to: COLUMNS, else what the terminal says,
    else 80 (a terminal may report 0 columns, as a fresh pseudo-terminal does)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):  # not a real terminal file, or closed
        columns = 0
    return columns if columns > 0 else FALLBACK_COLUMNS


def _bar(fraction: float) -> str:
    """A fixed-width bar of ASCII cells, which every terminal encoding can show."""
    filled = round(min(max(fraction, 0.0), 1.0) * BAR_CELLS)
    return "[" + "#" * filled + "." * (BAR_CELLS - filled) + "]"


def _duration(seconds: float) -> str:
    """Seconds as '3.2 s' under a minute, else 'm:ss' or 'h:mm:ss'."""
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _speed(seconds_per_epoch: float) -> str:
    """'412 epochs/s' for fast runs, '2.5 s/epoch' for slow ones."""
    if seconds_per_epoch >= 1:
        return f"{_number(seconds_per_epoch)} s/epoch"
    return f"{_number(1 / seconds_per_epoch)} epochs/s"


def _number(value: float) -> str:
    """Three significant digits, but whole numbers without an exponent from 100 up."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"
