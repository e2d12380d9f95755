"""Past runs, found and read from their run directories, without TensorFlow.

A run directory (``YYYYmmdd-HHMMSS-<dataset>-<optimizer>``, see ``nnfw.rundirs.rundir``)
is finished when it holds ``summary.json``, which is written last; only that file
and ``settings.toml`` are read. A directory with some run files but no summary,
or a time-stamped one with nothing in it yet, is an unfinished run (still
training, or stopped). A directory that is no run but holds runs (a comparison,
usually with ``comparison.json``) contributes its runs, named ``COMPARISON/RUN``.
A learning-rate range test's directory (``lr-find.json``) is no run. Anything else is not
a run and is skipped. A run with a summary but fewer epochs than its settings ask for (and
no divergence) was interrupted.
"""

from __future__ import annotations

import difflib
import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfw.config.settings import SLOTS
from nnfw.errors import UsageError
from nnfw.plugin.files import CONFIG_LIMIT, read_text
from nnfw.rundirs.run_summary import RunSummary, read_summary
from nnfw.rundirs.rundir import (
    COMPARISON,
    HISTORY_CSV,
    LR_FIND_JSON,
    MODEL,
    SETTINGS,
    SUMMARY,
    read_provenance,
)

RUN_FILES = (SETTINGS, HISTORY_CSV, MODEL)
STAMP = re.compile(r"^(\d{8}-\d{6})(?:-|$)")

FINISHED, DIVERGED, INTERRUPTED = "finished", "diverged", "interrupted"
UNFINISHED, UNREADABLE = "unfinished", "unreadable"


@dataclass
class Run:
    """One run directory as read from disk: its summary and settings, and how complete it is.

    ``status`` is ``finished``, ``diverged``, ``interrupted`` (fewer epochs than
    asked for), ``unfinished`` (no summary yet) or ``unreadable`` (a summary that is
    not a JSON object); ``problem`` says what is wrong or missing, in a few words.
    """

    path: Path
    name: str
    comparison: str | None
    status: str
    summary: RunSummary = field(default_factory=RunSummary)
    settings: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @property
    def provenance(self) -> dict[str, Any]:
        """What produced the run (versions, each plugin's distribution), as ``provenance.json``
        records it; empty when it is missing or unreadable (runs of older nnfw versions)."""
        try:
            return read_provenance(self.path)
        except UsageError:
            return {}

    def choice(self, slot: str) -> str | None:
        """The plugin chosen for a slot (None for 'none' or when unknown)."""
        table = self.settings.get(slot)
        name = table.get("name") if isinstance(table, dict) else None
        if name is None:
            name = (self.summary.settings or {}).get(slot)
        return None if name in (None, "none") else str(name)

    def hyperparameters(self, slot: str) -> dict[str, Any]:
        """The chosen plugin's hyperparameters, as settings.toml records them."""
        table = self.settings.get(slot)
        return {k: v for k, v in table.items() if k != "name"} if isinstance(table, dict) else {}

    def scalars(self) -> dict[str, Any]:
        """The settings that are not plugin choices (lr, epochs, batch-size, ...)."""
        return {k: v for k, v in self.settings.items() if not isinstance(v, dict)}

    def files(self) -> list[str]:
        """The names in the directory (folders end in '/'), hidden temporary files left out."""
        try:
            entries = sorted(self.path.iterdir())
        except OSError:
            return []
        return [p.name + ("/" if p.is_dir() else "") for p in entries if not p.name.startswith(".")]

    def record(self) -> dict[str, Any]:
        """The one-line facts ``nnfw runs --json`` prints: key settings and final metrics."""
        return {
            "name": self.name, "path": str(self.path), "comparison": self.comparison,
            "status": self.status, "problem": self.problem,
            **{slot: self.choice(slot) for slot in ("dataset", "optimizer", "loss")},
            "lr": self.settings.get("lr"), "epochs": self.settings.get("epochs"),
            "epochs_run": self.summary.epochs_run, "final": self.summary.final,
            "diverged": self.summary.diverged, "divergence": self.summary.divergence,
            "train_seconds": self.summary.train_seconds,
        }

    def details(self) -> dict[str, Any]:
        """Everything ``nnfw show --json`` prints: summary.json with the full settings and files."""
        settings = self.settings or {slot: {"name": self.choice(slot) or "none"} for slot in SLOTS}
        return {"name": self.name, "path": str(self.path), "comparison": self.comparison,
                "status": self.status, "problem": self.problem, **self.summary.data,
                "settings": settings, "provenance": self.provenance, "files": self.files()}

    @property
    def sort_key(self) -> tuple[str, float, str]:
        """Start time (from the name's stamp, else the folder's time), end time, name."""
        match = STAMP.match(self.path.name)
        finished = _mtime(self.path / SUMMARY) or _mtime(self.path)
        started = match.group(1) if match else time.strftime("%Y%m%d-%H%M%S",
                                                             time.localtime(_mtime(self.path)))
        return started, finished, self.name


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def read_run(path: Path, name: str | None = None, comparison: str | None = None) -> Run | None:
    """The run in ``path``, finished or not; None when the folder is not a run (or is a comparison)."""
    name = name or path.name
    summary_file = path / SUMMARY
    if summary_file.exists() or summary_file.is_symlink():
        run = Run(path, name, comparison, FINISHED)
        try:
            run.summary = read_summary(path)
        except UsageError as exc:
            run.status, run.problem = UNREADABLE, _relative(str(exc), path)
    elif is_comparison(path) or (path / LR_FIND_JSON).exists():  # a range test trains no run
        return None
    elif any((path / f).exists() for f in RUN_FILES) or STAMP.match(path.name):
        run = Run(path, name, comparison, UNFINISHED,
                  problem=f"no {SUMMARY} (still training, or stopped before the end)" + _resume(path))
    else:
        return None
    _read_settings(run)
    if run.summary.data:
        run.status, run.problem = _outcome(run)
    return run


def _relative(message: str, folder: Path) -> str:
    """A file's message with the run directory's path left out (the row names the run)."""
    return message.replace(f"{folder}/", "")


def _outcome(run: Run) -> tuple[str, str | None]:
    """Finished, diverged or interrupted, from the summary and the planned epochs."""
    planned = run.settings.get("epochs")
    if run.summary.diverged:
        return DIVERGED, run.problem
    done = run.summary.epochs_run
    if isinstance(done, int) and isinstance(planned, int) and done < planned:
        return INTERRUPTED, f"{done} of {planned} epochs run" + _resume(run.path)
    return FINISHED, run.problem


def _resume(path: Path) -> str:
    return f"; resume with: nnfw train --resume {path}" if (path / SETTINGS).is_file() else ""


def _read_settings(run: Run) -> None:
    file = run.path / SETTINGS
    if not file.is_file():
        if run.status != UNFINISHED:
            run.problem = run.problem or f"no {SETTINGS}"
        return
    try:
        run.settings = tomllib.loads(read_text(file, CONFIG_LIMIT, SETTINGS, links=False))
    except UsageError as exc:
        run.problem = run.problem or str(exc)
    except tomllib.TOMLDecodeError as exc:
        run.problem = run.problem or f"{SETTINGS}: not valid TOML ({exc})"
    except ValueError:  # Python refuses whole numbers of over 4300 digits
        run.problem = run.problem or f"{SETTINGS}: holds a number too long to read"


def is_comparison(path: Path) -> bool:
    """A folder that is no run itself but holds runs (or says it is a comparison)."""
    if (path / SUMMARY).exists():
        return False
    if (path / COMPARISON).is_file():
        return True
    return any(any((child / f).exists() for f in (SUMMARY, *RUN_FILES)) for child in _subfolders(path))


def _subfolders(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def find_runs(root: str | Path) -> list[Run]:
    """Every run under ``root`` (and in its comparisons), oldest first."""
    folder = Path(root)
    if not folder.is_dir():
        raise UsageError(f"out: {str(folder)!r} is not a folder (no runs there yet?)")
    own = read_run(folder)
    if own is not None:
        return [own]
    found = []
    for child in _subfolders(folder):
        run = read_run(child)
        if run is not None:
            found.append(run)
        elif is_comparison(child):
            found.extend(run for sub in _subfolders(child)
                         if (run := read_run(sub, f"{child.name}/{sub.name}", child.name)) is not None)
    return sorted(found, key=lambda r: r.sort_key)


def find_run(root: str | Path, query: str) -> Run:
    """The run ``query`` names: a run directory's path, or a name under ``root``, or a unique
    prefix or suffix of one (such as its time stamp)."""
    path = Path(query)
    if path.is_dir():
        run = read_run(path)
        if run is not None:
            return run
        if is_comparison(path):
            names = [r.name for r in find_runs(path)]
            raise UsageError(f"{query!r} is a comparison of {len(names)} runs; show one of them: "
                             + ", ".join(names))
        raise UsageError(f"{query!r} is not a run directory (it has no {SUMMARY} or {SETTINGS})")
    runs = find_runs(root)
    wanted = query.rstrip("/")
    tests = (lambda r: r.name == wanted, lambda r: r.path.name == wanted,
             lambda r: any(n.startswith(wanted) or n.endswith(wanted) for n in (r.name, r.path.name)))
    for test in tests:
        matches = [r for r in runs if test(r)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise UsageError(f"run {query!r} is ambiguous under {str(root)!r}: it matches "
                             + ", ".join(r.name for r in matches) + "; give more of the name")
    if not runs:
        raise UsageError(f"no run {query!r}: there are no runs under {str(root)!r}")
    closest = difflib.get_close_matches(wanted, [r.name for r in runs], n=3, cutoff=0.0)
    raise UsageError(f"no run {query!r} under {str(root)!r}; closest: " + ", ".join(closest))
