"""Checkpoints: the whole training state in one file, written atomically, checked when read.

One ``checkpoint.npz`` (numpy arrays, loaded with ``allow_pickle=False``) holds
every model weight and optimizer variable (its step count included, so the
learning-rate schedule resumes where it was) and a little JSON (names, shapes,
divergence, training seconds, and how much of the history file it covers: the
history is appended to ``checkpoint-history.f64``, see :mod:`nnfw.rundirs.history_log`).
With a validation part it also holds the early-stopping state (``best`` in the JSON:
the best val_loss, its epoch, the epochs since, the epoch training stopped after) and,
with ``restore-best``, the best epoch's weights (``best_0000``, ...).
Training draws no random numbers after the initial weights (shuffling draws each
epoch's order from the seed and the epoch), so this is all the state there is. Being one file replaced by a
rename, a checkpoint is either the old one or the new one, never half of each;
the one it replaces is kept as ``checkpoint-previous.npz``, which a resume falls
back to (with a warning) when the newest cannot be used.

Everything read is checked before it is used: the file's size, each array's
shape and type against the model's, finiteness, the history's length against the
optimizer's step count. A checkpoint that fails is named with what is wrong,
never with what it holds.
"""

from __future__ import annotations

import io
import json
import math
import time
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.errors import NnfwWarning, UsageError
from nnfw.rundirs.history_log import COLUMN_NAME, HistoryLog, read_history
from nnfw.rundirs.rundir import CHECKPOINT, PREVIOUS, json_text, write_atomic
from nnfw.training.best import record_fits
from nnfw.training.divergence import Divergence, is_divergence_record
from nnfw.training.history import History

if TYPE_CHECKING:
    import numpy as np

    from nnfw.training.loop import Trainer

FORMAT = 2
_META_LIMIT = 1 << 20
_HEADER_BYTES = 4096  # what an .npy member holds beside its values, at most


class _Malformed(ValueError):
    """What is wrong with a checkpoint, in words of nnfw's own (numpy's may quote the file)."""


def save_checkpoint(run_dir: Path, trainer: Trainer, train_seconds: float, log: HistoryLog) -> None:
    """Append the epochs since the last checkpoint to the history file (``log`` says what it
    held), then write the trainer's state to ``run_dir/checkpoint.npz``, atomically, keeping
    the checkpoint it replaces as ``checkpoint-previous.npz``."""
    import numpy as np

    log.append(run_dir, trainer.history)
    state = trainer.state
    meta = {
        "format": FORMAT,
        "names": [v.path for v in state],
        "shapes": [list(v.shape) for v in state],
        "epochs": log.rows,
        "history_crc": log.crc,
        "columns": list(trainer.history.columns()),
        "divergence": vars(trainer.divergence) if trainer.divergence else None,
        "train_seconds": train_seconds,
    }
    arrays: dict[str, Any] = {f"state_{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(state)}
    if trainer.tracks_best:
        meta["best"] = trainer.best.record()
        arrays.update({f"best_{i:04d}": np.asarray(v.numpy())
                       for i, v in enumerate(trainer.best.weights)})
    arrays["meta"] = np.frombuffer(json_text(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(run_dir / CHECKPOINT, buffer.getvalue(), keep=run_dir / PREVIOUS)


def saved_epochs(run_dir: Path) -> int:
    """How many epochs the newest checkpoint in ``run_dir`` holds."""
    import numpy as np

    with np.load(run_dir / CHECKPOINT, allow_pickle=False) as saved:
        return int(json.loads(bytes(saved["meta"]).decode())["epochs"])


def load_checkpoint(run_dir: Path, trainer: Trainer) -> tuple[float, HistoryLog]:
    """Restore the trainer from ``run_dir``'s checkpoint; return the training seconds so far
    and what of the history file it covers (for the next save).

    When the newest checkpoint cannot be used (missing after a kill between its two
    renames, unreadable, or failing a check) and the previous one can, the previous
    one is used with a warning. A run stopped before its first checkpoint has none:
    then the trainer keeps the state it was built with, which is the run's initial
    state (the weights come from its seeds), and the run starts again from epoch 0.
    """
    newest, previous = run_dir / CHECKPOINT, run_dir / PREVIOUS
    if not _exists(newest) and not _exists(previous):
        return 0.0, HistoryLog()
    problem = "it is missing"
    if _exists(newest):
        try:
            return _restore(_read(newest, trainer, run_dir), trainer)
        except UsageError as exc:
            if not _exists(previous):
                raise UsageError(f"--resume: {exc}") from None
            problem = str(exc).removeprefix(repr(str(newest))).lstrip(": ")
    try:
        found = _read(previous, trainer, run_dir)
    except UsageError as exc:
        raise UsageError(f"--resume: {newest.name} cannot be used ({problem}), nor can the "
                         f"previous one: {exc}") from None
    warnings.warn(f"{newest} cannot be used ({problem}); resuming from {previous.name}, "
                  f"{found[1].epochs_run} epochs", NnfwWarning, stacklevel=2)
    return _restore(found, trainer)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


# the state, history, divergence, seconds, history file; early-stopping record and best weights
_Found = tuple[list[Any], History, Divergence | None, float, HistoryLog,
               dict[str, Any] | None, list[Any]]


def _restore(found: _Found, trainer: Trainer) -> tuple[float, HistoryLog]:
    values, history, divergence, seconds, log, best, best_weights = found
    for variable, value in zip(trainer.state, values, strict=True):
        variable.assign(value)
    trainer.history = history
    trainer.divergence = divergence
    if trainer.tracks_best:
        if best is not None:
            trainer.best.set_record(best, best_weights)
        elif history.epochs_run:
            warnings.warn(f"the checkpoint of {history.epochs_run} epochs was written by an nnfw "
                          "that kept no best val_loss: the best epoch is chosen among the epochs "
                          "from here on", NnfwWarning, stacklevel=3)
    return seconds, log


def _read(path: Path, trainer: Trainer, run_dir: Path) -> _Found:
    """The checkpoint in ``path``, checked against the trainer; a UsageError says what is wrong."""
    import numpy as np

    from nnfw.plugin.files import read_bytes

    state = trainer.state
    expected = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in state)
    data = read_bytes(path, expected + _META_LIMIT + _HEADER_BYTES * (len(state) + 1),
                      repr(str(path)), links=False)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
        if any(info.compress_type != zipfile.ZIP_STORED for info in members):
            raise _Malformed("it holds compressed members, which nnfw never writes")
        sizes = {info.filename.removesuffix(".npy"): info.file_size for info in members}
        if sizes.get("meta", _META_LIMIT + 1) > _META_LIMIT + _HEADER_BYTES:
            raise _Malformed("no description of its contents")
        with np.load(io.BytesIO(data), allow_pickle=False) as saved:
            meta = json.loads(bytes(saved["meta"]).decode())
            _check_meta(path, meta, trainer)
            values = [_array(saved, sizes, f"state_{i:04d}", v.shape, v.dtype)
                      for i, v in enumerate(state)]
            best = meta.get("best") if trainer.tracks_best else None
            best_weights = [] if best is None else [
                _array(saved, sizes, f"best_{i:04d}", v.shape, v.dtype)
                for i, v in enumerate(trainer.model.weights[:len(trainer.best.weights)])]
    except UsageError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, RecursionError,
            zipfile.BadZipFile) as exc:
        raise UsageError(f"{str(path)!r} cannot be read ({_reason(exc)}); it is not a "
                         "checkpoint nnfw wrote") from None
    log = HistoryLog(meta["epochs"], meta["history_crc"])
    try:
        history = read_history(run_dir, log, meta["columns"])
    except UsageError as exc:  # the history file, or this checkpoint's record of it, was changed
        raise UsageError(f"{str(path)!r} is not usable: {exc}") from None
    _check_values(path, values, history, trainer, best_weights)
    if best is not None and not record_fits(best, history.epochs_run):
        raise UsageError(f"{str(path)!r} is not usable: its early-stopping record (best val_loss, "
                         f"its epoch, where training stopped) does not fit its "
                         f"{history.epochs_run} epochs; the file was edited")
    divergence = Divergence(**meta["divergence"]) if meta["divergence"] else None
    return (values, history, divergence, float(meta["train_seconds"]), log, best, best_weights)


def _check_meta(path: Path, meta: Any, trainer: Trainer) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _Malformed("not of the format this nnfw writes")
    shapes = [list(v.shape) for v in trainer.state]
    if meta.get("shapes") != shapes:
        saved = meta.get("shapes")
        count = len(saved) if isinstance(saved, list) else "?"
        raise UsageError(f"{str(path)!r} belongs to a different model ({count} arrays, this one has "
                         f"{len(shapes)} of other shapes)")
    epochs, seconds = meta.get("epochs"), meta.get("train_seconds")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or not 0 <= epochs < 2**31:
        raise _Malformed("its epoch count is not a whole number of epochs")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not (
            math.isfinite(seconds) and seconds >= 0):
        raise _Malformed("its training time is not a number of seconds")
    crc, columns = meta.get("history_crc"), meta.get("columns")
    if not isinstance(crc, int) or isinstance(crc, bool) or not 0 <= crc < 2**32:
        raise _Malformed("its history checksum is not a CRC-32")
    if not isinstance(columns, list) or not set(columns) >= {"loss", "lr"} or not all(
            isinstance(name, str) and COLUMN_NAME.match(name) for name in columns) or len(
            set(columns)) != len(columns):
        raise _Malformed("its list of history columns is not one nnfw writes")
    if not is_divergence_record(meta.get("divergence")):
        raise _Malformed("its divergence record is malformed")


def _array(saved: Any, sizes: dict[str, int], key: str, shape: Any, dtype: Any) -> np.ndarray:
    """One member, checked for its declared size before it is read, then for shape and type."""
    import numpy as np

    wanted = np.dtype(dtype)
    if sizes.get(key, -1) > int(np.prod(shape)) * wanted.itemsize + _HEADER_BYTES:
        raise _Malformed(f"{key} is larger than the model's variable")
    value = saved[key]
    if value.shape != tuple(shape) or value.dtype != wanted:
        raise _Malformed(f"{key} is {value.dtype} {value.shape}, the model's is {wanted} {tuple(shape)}")
    return value


def _check_values(path: Path, values: list[Any], history: History, trainer: Trainer,
                  best_weights: list[Any]) -> None:
    """The state (and the best epoch's weights) agree with the history (its step count) and
    with how the trainer trains (the history's columns are of equal length by construction:
    rows of one file)."""
    import numpy as np

    epochs = history.epochs_run
    where = next((i for i, v in enumerate(trainer.state) if v is trainer.optimizer.iterations), None)
    steps = int(values[where]) if where is not None else epochs * trainer.steps_per_epoch
    if steps != epochs * trainer.steps_per_epoch:
        raise UsageError(f"{str(path)!r} is not usable: its optimizer took {steps} steps, but its "
                         f"history holds {epochs} epochs of {trainer.steps_per_epoch}; the file "
                         "was cut or edited")
    if trainer.stop_on_nan:  # a run that stops at a non-finite step keeps finite weights
        names = [v.path for v in trainer.state] + [
            f"the best epoch's {w.path}" for w in trainer.model.weights[:len(best_weights)]]
        for name, value in zip(names, [*values, *best_weights], strict=True):
            if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                raise UsageError(f"{str(path)!r} is not usable: {name} holds values "
                                 "that are not finite; this run keeps finite weights (on-nan stop)")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _Malformed):
        return str(exc)
    if isinstance(exc, KeyError):
        return "a part is missing"
    return f"{type(exc).__name__}: not a complete numpy archive"


class Checkpoints:
    """Saves the trainer's state to the run directory, at most every ``interval`` seconds."""

    def __init__(self, run_dir: Path | None, trainer: Trainer, log: HistoryLog,
                 interval: float) -> None:
        self.run_dir, self.trainer, self.log, self.interval = run_dir, trainer, log, interval
        self._last = time.monotonic()
        self.saved_epochs: int | None = None  # epochs in the last checkpoint this run saved

    def maybe_save(self, train_seconds: float) -> None:
        """Save if the interval has passed since the last save."""
        if self.run_dir is not None and time.monotonic() - self._last >= self.interval:
            self.save(train_seconds)

    def save(self, train_seconds: float) -> None:
        """Save now."""
        if self.run_dir is not None:
            save_checkpoint(self.run_dir, self.trainer, train_seconds, self.log)
            self._last = time.monotonic()
            self.saved_epochs = self.trainer.history.epochs_run
