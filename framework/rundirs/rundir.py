"""Run directories: the name of every file in one (and in a comparison's directory), created
exclusively (never overwritten), held by one writer, checked before a resume, files written
atomically."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nnfw.errors import UsageError
from nnfw.plugin.files import CONFIG_LIMIT, read_text

SETTINGS = "settings.toml"  # every resolved setting of a run; in its directory from the start
PROVENANCE = "provenance.json"  # what produced the run: versions, and each plugin's distribution
SUMMARY = "summary.json"  # written last: a run with one is finished (or stopped and saved)
HISTORY_CSV, MODEL = "history.csv", "model.keras"  # one row per epoch; the trained model
CURVES, BOUNDARY = "curves.png", "boundary.png"  # loss/accuracy curves; the decision boundary
TENSORBOARD = "tensorboard"  # the folder of TensorBoard event files
LR_FIND_JSON, LR_FIND_PNG = "lr-find.json", "lr-find.png"  # a learning-rate range test
PREPROCESSING = "preprocessing.json"  # what the data set learnt, to read new rows as it did
SAVED_MODEL = "saved-model"  # the folder nnfw export writes the model to, by default
CHECKPOINT = "checkpoint.npz"  # the whole training state (see nnfw.training.checkpoint)
PREVIOUS = "checkpoint-previous.npz"  # the checkpoint the newest replaced, a resume's fallback
HISTORY_LOG = "checkpoint-history.f64"  # the history, appended at each checkpoint (nnfw.rundirs.history_log)
LOCK = ".lock"  # held by the one process that writes a run directory
RESULT_FILES = (HISTORY_CSV, MODEL, CURVES, BOUNDARY)  # written at the end of every run
# a comparison's directory: its runs (one folder each), and about them
COMPARISON = "comparison.json"  # what was compared, each run's row, with seeds the statistics
TABLE_CSV, TABLE_MD = "table.csv", "table.md"  # the runs' table, for programs and for people
LOSS_FIGURE, ACCURACY_FIGURE = "loss.png", "accuracy.png"  # every run's curves in one figure
SENSITIVITY_FIGURE = "sensitivity.png"  # with repeated seeds: the tuned options' sensitivity
EXPERIMENT = "hparams"  # the folder with the experiment's description for TensorBoard's HParams


def metric_figure(metric: str) -> str:
    """The file a matrix-valued metric of the final model is drawn in (confusion-matrix.png)."""
    return f"{metric}.png"


def slug(text: str, limit: int | None = None) -> str:
    """``text`` as a part of a folder name: lower-case ASCII letters and digits, with a single
    '.' or '-' between them; any other character, and any run of two or more that are not
    letters or digits ('/../'), becomes one '-'; none at either end ('' when nothing is left);
    at most ``limit`` characters."""
    return re.sub(r"[^a-z0-9]{2,}|[^a-z0-9.-]", "-", text.lower())[:limit].strip("-.")


def create_run_dir(parent: str | Path, label: str, files: Mapping[str, str] | None = None) -> Path:
    """A new directory under ``parent`` named so that runs sort by time; never an existing one.

    ``files`` (name -> text) are in it from the moment it exists: it is filled as a hidden
    folder and then renamed into place, so no one ever sees it without them (a run killed
    at any moment leaves either no run directory or one with its settings).
    """
    root = Path(parent)
    if root.exists() and not root.is_dir():
        raise UsageError(f"out: {str(root)!r} is a file, not a folder; give a folder for the runs")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"out: cannot create {str(root)!r}: {exc.strerror or exc}") from None
    try:
        staged = Path(tempfile.mkdtemp(dir=root, prefix=".new-run-"))
    except OSError as exc:
        raise UsageError(f"out: cannot write in {str(root)!r}: {exc.strerror or exc}") from None
    try:
        staged.chmod(0o777 & ~_umask())  # mkdtemp makes owner-only folders; use normal ones
        for name, text in (files or {}).items():
            write_atomic(staged / name, text)
        stem = time.strftime("%Y%m%d-%H%M%S") + "-" + slug(label)
        for attempt in range(1, 1000):
            path = root / (stem if attempt == 1 else f"{stem}-{attempt}")
            if path.exists():
                continue
            try:
                staged.rename(path)  # fails if a folder of that name appeared meanwhile (and is not empty)
            except OSError:
                continue
            return path
        raise UsageError(f"out: too many runs named {stem!r} in {str(root)!r}")
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run directory for writing: a second writer (two resumes of one run) gets a
    UsageError naming the process that holds it. The lock is the kernel's (``flock``), so a
    killed holder releases it; the lock file is opened without following links."""
    import fcntl

    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(run_dir / LOCK, flags, 0o666 & ~_umask())
    except OSError as exc:
        raise UsageError(f"{run_dir}: cannot hold the run for writing ({exc.strerror or exc})"
                         ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            who = f"process {holder}" if holder.isdigit() else "another process"
            raise UsageError(f"{run_dir} is being written by {who} (another nnfw train or "
                             "--resume of this run); wait for it to end or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def check_writable(run_dir: Path) -> None:
    """Refuse a run directory to resume where a folder stands in the place of a file the run
    writes (a link is fine: it is replaced by the file written in its place)."""
    for name in (*RESULT_FILES, SETTINGS, SUMMARY, CHECKPOINT, PREVIOUS, HISTORY_LOG):
        path = run_dir / name
        if path.is_dir() and not path.is_symlink():
            raise UsageError(f"--resume: {path} is a folder where the run writes a file; move "
                             "it away first")


def write_atomic(path: Path, data: str | bytes, keep: Path | None = None) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename.

    The temporary file gets a new name, created exclusively (never a file or link that
    was there). With ``keep``, the file being replaced is first renamed to ``keep``.
    """
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes owner-only files; use normal ones
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if keep is not None and (path.exists() or path.is_symlink()):
            os.replace(path, keep)
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, say: name the file the run could not write
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_text(value: Any, indent: int | None = None) -> str:
    """Strict JSON: NaN and infinities (which JSON lacks) become null."""
    return json.dumps(_finite(value), indent=indent, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_json(path: Path) -> Any:
    """A run file's JSON value (a regular file, not a link, at most 1 MiB); a UsageError names
    the file and what is wrong with it (never what it holds)."""
    text = read_text(path, CONFIG_LIMIT, str(path), links=False)
    try:
        return json.loads(text)
    except RecursionError:
        raise UsageError(f"{path}: nested too deeply to be a file nnfw wrote") from None
    except ValueError as exc:  # not JSON, or a number of over 4300 digits
        position = f" (line {exc.lineno}, column {exc.colno})" if isinstance(
            exc, json.JSONDecodeError) else ""
        raise UsageError(f"{path}: not valid JSON{position}") from None


def read_provenance(run_dir: Path) -> dict[str, Any]:
    """A run directory's provenance.json: empty when it has none (runs of older versions) or
    holds no JSON object; a UsageError when it cannot be read (see :func:`read_json`)."""
    path = run_dir / PROVENANCE
    if not (path.exists() or path.is_symlink()):
        return {}
    found = read_json(path)
    return found if isinstance(found, dict) else {}


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as indented strict JSON, atomically."""
    write_atomic(path, json_text(value, indent=2) + "\n")


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write rows (dicts with the same keys) as CSV with a header, atomically."""
    write_atomic(path, csv_text(list(rows[0]), [list(row.values()) for row in rows])
                 if rows else "")


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    """``rows`` under ``header`` as CSV text (lines end in a newline)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def save_model_atomic(model: Any, path: Path) -> None:
    """Save a Keras model as ``.keras`` through a temporary file, then rename it into place.

    The temporary file gets a new name, created exclusively: a file or link planted under
    a predictable name is never written through, and two writers never share one.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp.keras")
    os.close(fd)
    tmp = Path(name)
    try:
        model.save(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
