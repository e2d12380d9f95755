"""A run directory as a run starts it: new (settings, lock, provenance) or resumed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnfw.config.settings import Settings
from nnfw.rundirs.inputs import FILES
from nnfw.rundirs.rundir import LOCK, PROVENANCE, SETTINGS, SUMMARY, create_run_dir, json_text, write_atomic


def open_run_dir(settings: Settings, out: str | Path | None, resume: Path | None,
                 files: dict[str, Any]) -> Path | None:
    """The directory a run writes: a new one under ``out`` (None: none), named by the run's
    name (see :func:`nnfw.config.settings.run_name`) and its optimizer, holding its settings,
    lock and provenance (with the fingerprints ``files`` of what it reads); or the resumed
    one, whose settings then say the new target and whose summary goes until the run ends
    again."""
    if resume is not None:
        write_atomic(resume / SETTINGS, settings_text(settings))
        (resume / SUMMARY).unlink(missing_ok=True)  # until rewritten, the run is unfinished
        return resume
    if out is None:
        return None
    return create_run_dir(out, f"{settings.scalars['name']}-{settings.choices['optimizer']}",
                          {SETTINGS: settings_text(settings), LOCK: "",
                           PROVENANCE: json_text({**provenance(settings), FILES: files},
                                                 indent=2)})


def provenance(settings: Settings) -> dict[str, Any]:
    """What produces a run: Python, TensorFlow, Keras and nnfw versions, and for each chosen
    plugin its entry, plugin, distribution and version."""
    import platform

    import keras
    import tensorflow as tf

    import nnfw

    plugins = {}
    for slot, choice in settings.chosen.items():
        if choice is not None:
            distribution, version = choice.origin
            plugins[slot] = {"entry": choice.entry.name, "plugin": choice.entry.plugin,
                             "distribution": distribution, "version": version}
    return {"versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                         "keras": keras.__version__, "nnfw": nnfw.__version__},
            "plugins": plugins}


def settings_text(settings: Settings) -> str:
    """The resolved settings as TOML, a config file that gives this run again."""
    import tomli_w

    return tomli_w.dumps(settings.as_toml_dict())
