"""A run's history on disk, appended at each checkpoint instead of rewritten.

``checkpoint-history.f64`` holds one row per epoch of little-endian float64
values: loss, lr, test loss, test accuracy (NaN where the run has no such
metric), then the run's other columns in the order its checkpoints list them. A
checkpoint appends the epochs since the last one and records how many rows it
covers and their CRC-32, so the cost of a checkpoint does not grow with
the run: a run of a million epochs checkpoints as fast as one of a thousand.
Rows beyond what the newest checkpoint covers (a save killed after appending)
are cut off by the next save; a resume reads only the rows its checkpoint covers
and checks their CRC.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nnfw.errors import UsageError
from nnfw.plugin.files import read_prefix
from nnfw.rundirs.rundir import HISTORY_LOG
from nnfw.training.history import STANDARD_COLUMNS, History

if TYPE_CHECKING:
    import numpy as np

ROW_BYTES = 8 * len(STANDARD_COLUMNS)  # a row of a run that records no other columns
COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def row_columns(present: list[str]) -> list[str]:
    """The columns of a row for a run that records ``present``: the standard four, then
    the run's others in order."""
    return [*STANDARD_COLUMNS, *(name for name in present if name not in STANDARD_COLUMNS)]


def _row_bytes(history: History) -> int:
    return 8 * len(row_columns(list(history.columns())))


@dataclass
class HistoryLog:
    """What of a run's history file a checkpoint covers: its first ``rows`` rows, whose
    CRC-32 is ``crc``."""

    rows: int = 0
    crc: int = 0

    def append(self, run_dir: Path, history: History) -> None:
        """Write the epochs of ``history`` after the covered rows and sync them to disk; then
        this log covers the whole history (record it in the checkpoint that follows)."""
        data = rows_bytes(history, self.rows)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        path = run_dir / HISTORY_LOG
        try:
            fd = os.open(path, flags, 0o644)
            try:
                width = _row_bytes(history)
                os.ftruncate(fd, self.rows * width)  # rows no checkpoint covers
                os.pwrite(fd, data, self.rows * width)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:  # a full disk, say: name the file
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        self.rows, self.crc = history.epochs_run, zlib.crc32(data, self.crc)


def rows_bytes(history: History, start: int) -> bytes:
    """The history's epochs from ``start`` on, as rows of the file."""
    import numpy as np

    columns = history.columns()
    names = row_columns(list(columns))
    table = np.full((history.epochs_run - start, len(names)), np.nan, dtype="<f8")
    for index, name in enumerate(names):
        if name in columns:
            table[:, index] = columns[name][start:]
    return table.tobytes()


def read_history(run_dir: Path, log: HistoryLog, present: list[str]) -> History:
    """The first ``log.rows`` epochs of the run's history file, checked against ``log.crc``;
    columns not in ``present`` (metrics the run does not have) are left empty."""
    import numpy as np

    path = run_dir / HISTORY_LOG
    names = row_columns(present)
    data = read_prefix(path, log.rows * 8 * len(names), repr(str(path)), links=False)
    if zlib.crc32(data) != log.crc:
        raise UsageError(f"{str(path)!r} does not hold the history the checkpoint recorded "
                         "(their CRCs differ): one of the two files was changed")
    table: np.ndarray = np.frombuffer(data, dtype="<f8").reshape(log.rows, len(names))
    history = History()
    for index, name in enumerate(names):
        if name in present:
            history.add(name, table[:, index].tolist())
    return history
