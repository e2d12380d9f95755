"""Testing plugins without installing them: ``nnfw.testing``.

Importing this module does not import TensorFlow; the checks do, when they run.

- :func:`plugin_registry` puts plugin modules into the registry that ``nnfw.train``,
  ``nnfw.optimizer(...)`` and the other functions, and the CLI run in the same process
  (click's ``CliRunner``), use, beside the installed plugins.
- :func:`check_plugin` checks every entry a plugin module registers against its kind's
  contract and raises :class:`PluginCheckError` listing each failure as
  ``KIND NAME: CHECK: what is wrong``.

The checks live in :mod:`nnfw.testing.kinds` (per kind), :mod:`nnfw.testing.saving` (Keras
serialization) and :mod:`nnfw.testing.fresh` (a new Python process).
"""

from __future__ import annotations

import contextlib
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nnfw import api
from nnfw.plugin.entries import Entry
from nnfw.plugin.exception_line import describe
from nnfw.plugin.kinds import KINDS
from nnfw.plugin.loading import Candidate, entry_point_candidates, load_registry
from nnfw.plugin.registry import Registry
from nnfw.testing.fresh import check_in_fresh_process
from nnfw.testing.kinds import Check, kind_checks, label
from nnfw.testing.saving import round_trip, save_in_model

NOT_BUILT = ("strategy",)  # a strategy starts devices (or joins a cluster): train under it instead


class PluginCheckError(AssertionError):
    """A plugin failed some checks; ``failures`` holds one line per failed check."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__("\n".join(failures))


@contextlib.contextmanager
def plugin_registry(*modules: types.ModuleType, strict: bool = True) -> Iterator[Registry]:
    """The installed plugins and ``modules`` (each a plugin named after its module, which
    takes the place of an installed plugin of that name), as the registry everything in
    this process uses until the ``with`` block ends."""
    names = {_plugin_name(m) for m in modules}
    candidates = [*(c for c in entry_point_candidates() if c.name not in names),
                  *(Candidate(_plugin_name(m), lambda m=m: m) for m in modules)]
    registry = load_registry(candidates, strict=strict)
    previous = api._loaded
    api.use_registry(registry)
    try:
        yield registry
    finally:
        api.use_registry(previous)


def check_plugin(*modules: types.ModuleType, fresh_process: bool = True) -> list[str]:
    """Check every entry the plugin ``modules`` register; return notes on checks that could
    not run here.

    For each entry: it builds with its default hyperparameters; its Keras objects survive
    ``get_config``/``from_config`` and, with ``fresh_process``, a save and a load in safe
    mode in a new Python process; an optimizer lowers a small problem's loss; an optimizer,
    a loss and a model train the same on one device and on two replicas (where this
    process has two devices); a loss's ``probabilities`` gives probabilities; a model
    trains on made-up rows of its stand-in shape; a metric gives a finite value in a
    compiled function; a data set's arrays pass ``Dataset``'s checks; a function runs two
    steps of ``nnfw paths`` and is drawn over its range. Importing the module (in a
    new process) must import no TensorFlow. Raises :class:`PluginCheckError` on failures.
    """
    failures: list[str] = []
    notes: list[str] = []
    names = [_plugin_name(m) for m in modules]
    with plugin_registry(*modules, strict=False) as registry, \
            tempfile.TemporaryDirectory(prefix="nnfw-check-") as folder:
        broken = [r for r in registry.plugins if r.name in names and r.status == "error"]
        if broken:
            raise PluginCheckError([f"plugin {r.name!r}: registers: {r.error}" for r in broken])
        saved: dict[str, str] = {}
        for entry in (e for kind in KINDS for e in registry.entries(kind) if e.plugin in names):
            _check_entry(entry, Path(folder), saved, failures, notes)
        if fresh_process:
            check_in_fresh_process(dict(zip(names, modules, strict=True)), saved, failures, notes)
    if failures:
        raise PluginCheckError(failures)
    return notes


def _plugin_name(module: types.ModuleType) -> str:
    """The name of the installed plugin that is this module, else the module's own name."""
    installed = next((c.name for c in entry_point_candidates() if c.target == module.__name__), None)
    return installed or module.__name__.rpartition(".")[2].replace("_", "-")


def _check_entry(entry: Entry, folder: Path, saved: dict[str, str],
                 failures: list[str], notes: list[str]) -> None:
    """Run the checks of one entry, adding a line to ``failures`` for each that fails."""
    required = [p.name for p in entry.params if p.default is None]
    if required or entry.kind in NOT_BUILT:
        why = f"it needs {', '.join(required)}" if required else "strategies are checked by training"
        notes.append(f"{label(entry)}: not built: {why}")
        return
    built: dict[str, Any] = {}

    def build_once() -> Any:
        if "object" not in built:
            built["object"] = entry.build_alone()
        return built["object"]

    checks: list[Check] = [("builds with its defaults", build_once)]
    if KINDS[entry.kind].keras:
        if entry.kind != "model":  # a model's own config is Keras' to keep: saving checks it
            checks.append(("survives get_config / from_config", lambda: round_trip(build_once())))
        checks.append(("saves in a model", lambda: saved.__setitem__(
            label(entry), save_in_model(entry, build_once(), folder))))
    checks.extend(kind_checks(entry, notes))
    for check, run in checks:
        try:
            run()
        except Exception as exc:  # the plugin's fault, whatever it raised: say which check
            failures.append(f"{label(entry)}: {check}: {describe(exc)}")
            if check == "builds with its defaults":
                return
