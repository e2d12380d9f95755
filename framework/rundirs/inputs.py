"""The files a run reads, identified by content: recorded when it starts, verified on resume.

A plugin entry marks the hyperparameters that name files it reads (``Param(...,
file=True)``, such as the csv data set's ``path``). A new run records each such
file's absolute path, size and SHA-256 in ``provenance.json``; resuming the run
checks them before any plugin opens the file, so a moved, edited or replaced
file (or a path a crafted run directory points elsewhere) is one line, exit 2,
and nothing is trained or written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError
from nnfw.plugin.files import fingerprint

if TYPE_CHECKING:
    from nnfw.config.settings import Settings

FILES = "files"  # the key of provenance.json that holds the fingerprints


def file_settings(settings: Settings) -> dict[str, str]:
    """``slot.param`` -> path of every file the chosen entries read."""
    found = {}
    for slot, choice in settings.chosen.items():
        if choice is None:
            continue
        for param in choice.entry.params:
            value = choice.params.get(param.name)
            if param.file and isinstance(value, str) and value.strip():
                found[f"{slot}.{param.name}"] = value
    return found


def fingerprints(settings: Settings) -> dict[str, dict[str, Any]]:
    """For each file the run reads: its path, size and SHA-256, for ``provenance.json``."""
    return {key: {"path": path, **fingerprint(path)}
            for key, path in file_settings(settings).items()}


def verify_files(settings: Settings, recorded: Any, run: str) -> None:
    """Raise a UsageError unless every file the settings name is the one the run ``run``
    recorded when it started (same path, size and content)."""
    recorded = recorded if isinstance(recorded, dict) else {}
    for key, path in file_settings(settings).items():
        known = recorded.get(key)
        if not isinstance(known, dict) or known.get("path") != path:
            raise UsageError(f"--resume: {run!r} records no fingerprint of {key} {path!r}; "
                             "nnfw resumes only on the data the run started with (start a new "
                             "run to train on this file)")
        try:
            now = fingerprint(path)
        except UsageError as exc:
            raise UsageError(f"--resume: {exc}; the run {run!r} was trained on it") from None
        if now["size"] != known.get("size") or now["sha256"] != known.get("sha256"):
            raise UsageError(f"--resume: {key} {path!r} changed since the run started "
                             f"({known.get('size')} bytes then, {now['size']} now, or other "
                             "content); resume needs the same data, or start a new run")
