"""Finding plugins through entry points and loading each safely into a registry.

A plugin that fails to import, implements an unknown hook, raises in a hook or
registers something invalid is recorded with its error and left out; the rest
keep working. With ``strict=True`` the original exception propagates instead.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from nnfw import hookspecs
from nnfw.errors import NnfwWarning, PluginError
from nnfw.plugin.entries import Entry, make_entry
from nnfw.plugin.exception_line import describe
from nnfw.plugin.isolation import contained
from nnfw.plugin.kinds import HOOKS
from nnfw.plugin.registry import BUILT_IN, DISABLE_ENV, PluginRecord, Registry
from nnfw.plugin.suggest import closest

GROUP = "nnfw"
ALLOW_ENV = "NNFW_PLUGINS"


@dataclass
class Candidate:
    """A plugin to load: its name, where it comes from, and how to get its object."""

    name: str
    load: Callable[[], object]
    distribution: str | None = None
    version: str | None = None
    target: str | None = None  # what the entry point names: "module" or "module:attribute"



def entry_point_candidates() -> list[Candidate]:
    """The plugins installed in the entry-point group ``nnfw``."""
    found = []
    named: dict[int, tuple[str | None, str | None]] = {}  # a distribution's metadata, parsed once
    for ep in metadata.entry_points(group=GROUP):
        dist = getattr(ep, "dist", None)
        if dist is not None and id(dist) not in named:
            fields = dist.metadata
            named[id(dist)] = (fields["Name"], fields["Version"])
        name, version = named[id(dist)] if dist is not None else (None, None)
        found.append(Candidate(ep.name, ep.load, name, version, ep.value))
    return found


def disabled_from_env() -> set[str]:
    """Plugin or distribution names listed in ``NNFW_DISABLE_PLUGINS`` (comma-separated)."""
    return names_in(os.environ.get(DISABLE_ENV, ""))


def allowed_from_env() -> set[str] | None:
    """The allow-list in ``NNFW_PLUGINS`` (comma-separated plugin or distribution names), if set."""
    return allowed_in(os.environ.get(ALLOW_ENV, ""))


def names_in(text: str) -> set[str]:
    """The plugin or distribution names in comma-separated ``text``, as they are compared."""
    return {_norm(n) for n in text.split(",") if n.strip()}


def allowed_in(text: str) -> set[str] | None:
    """The allow-list comma-separated ``text`` gives; None (no list) when it is blank."""
    return names_in(text) if text.strip() else None


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def load_registry(candidates: Iterable[Candidate] | None = None, disabled: Iterable[str] = (),
                  strict: bool = False, allowed: Iterable[str] | None = None) -> Registry:
    """Load plugins (by default the installed ones) and collect what they register.

    A plugin is left out (status ``disabled``) when its name or distribution is in
    ``disabled``, or when ``allowed`` is given and holds neither.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    off = {_norm(n) for n in disabled}
    only = None if allowed is None else {_norm(n) for n in allowed}
    records: list[PluginRecord] = []
    entries: list[Entry] = []
    defaults: dict[str, list[tuple[Any, str]]] = {}
    found_candidates = entry_point_candidates() if candidates is None else candidates
    # sorted, so output is stable; of two plugins of one name the built-in loads first, and the
    # other is the one reported as taking a name already used
    order = sorted(found_candidates, key=lambda c: (c.name, c.distribution != BUILT_IN, c.distribution or ""))
    for cand in order:
        record = PluginRecord(cand.name, cand.distribution, cand.version)
        records.append(record)
        names = {_norm(cand.name), _norm(cand.distribution or "")}
        if names & off or (only is not None and not names & only):
            record.status = "disabled"
            continue
        found, given = _load_plugin(manager, cand, record, strict)
        entries.extend(found)
        for key, value in given:
            defaults.setdefault(key, []).append((value, cand.name))
        for entry in found:
            record.provides.setdefault(entry.kind, []).append(entry.name)
    registry = Registry(records, entries, _agree(defaults, records))
    registry.mark_clashes()
    return registry


def _load_plugin(manager: pluggy.PluginManager, cand: Candidate, record: PluginRecord,
                 strict: bool) -> tuple[list[Entry], list[tuple[str, Any]]]:
    """Load one plugin and call its hooks: its entries and the defaults it gives; nothing,
    with its error in ``record``, when it fails (raised as it is, in strict mode)."""
    plugin = None
    try:
        with contained(f"plugin {cand.name!r}"):
            plugin = _load_timed(cand, record)
            if manager.has_plugin(cand.name):
                raise PluginError(f"the name {cand.name!r} is already used by another plugin")
            manager.register(plugin, name=cand.name)
            return _collect(manager, plugin, cand.name)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a plugin may raise anything; keep the rest
        if strict:  # the error itself, with its traceback, and which plugin raised it
            exc.add_note(f"(in plugin {cand.name!r}"
                         + (f" of {cand.distribution} {cand.version})" if cand.distribution else ")"))
            raise
        record.status, record.error = "error", describe(exc)
        if plugin is not None and manager.is_registered(plugin):
            manager.unregister(plugin)
        return [], []


HEAVY_MODULES = ("tensorflow", "keras", "torch", "jax")
SLOW_IMPORT_SECONDS = 3.0  # a plugin still importing after this long is named while it loads


def _load_timed(cand: Candidate, record: PluginRecord) -> object:
    """Import a plugin; warn on its record when that imported a heavy module (and how long it
    took), since every command, ``nnfw --help`` included, then waits for it."""
    before = {name for name in HEAVY_MODULES if name in sys.modules}
    start = time.perf_counter()
    origin = f" ({cand.distribution} {cand.version})" if cand.distribution else ""
    notice = threading.Timer(SLOW_IMPORT_SECONDS, warnings.warn, args=(
        f"loading plugin {cand.name!r}{origin} is taking more than {SLOW_IMPORT_SECONDS:g} s; "
        f"if it never ends, disable it with {DISABLE_ENV}={cand.name}", NnfwWarning))
    notice.daemon = True
    notice.start()
    try:
        plugin = cand.load()
    finally:
        notice.cancel()
    seconds = time.perf_counter() - start
    heavy = [name for name in HEAVY_MODULES if name in sys.modules and name not in before]
    if heavy:
        record.warning = (f"imported {', '.join(heavy)} when loaded ({seconds:.1f} s, which every "
                          "nnfw command now waits for): import it inside the factories")
    return plugin


def _collect(manager: pluggy.PluginManager, plugin: object,
             plugin_name: str) -> tuple[list[Entry], list[tuple[str, Any]]]:
    """Call each hook this plugin implements with a register callback of its own."""
    found: list[Entry] = []
    given: list[tuple[str, Any]] = []
    for caller in manager.get_hookcallers(plugin) or []:
        if caller.spec is None:
            guess = closest(caller.name, [*HOOKS, "register_defaults"])
            hint = f"; did you mean {guess!r}?" if guess else ""
            raise PluginError(f"implements unknown hook {caller.name!r}{hint}")
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            if caller.name == "register_defaults":
                impl.function(register=lambda key, value: given.append((key, value)))
                continue
            impl.function(register=_register_callback(HOOKS[caller.name], plugin_name, found))
    return found, given


def _register_callback(kind: str, plugin_name: str, found: list[Entry]) -> Callable[..., None]:
    """The ``register`` a plugin's hook of ``kind`` is called with: it checks each call and
    adds the entry to ``found``; it takes only the documented parameters (any other keyword is
    one of the kind's extras, or refused)."""
    seen: set[str] = set()

    def register(name: Any, factory: Any, *, description: Any = None, params: Any = (),
                 formula: Any = None, notes: Any = None, keras_objects: Any = None,
                 **extras: Any) -> None:
        try:
            entry = make_entry(kind, plugin_name, name, factory, description, params, formula,
                               extras, notes, keras_objects)
        except ValueError as exc:
            raise PluginError(str(exc)) from exc
        if entry.name in seen:
            raise PluginError(f"registers {kind} {entry.name!r} twice")
        seen.add(entry.name)
        found.append(entry)

    return register


def _agree(given: dict[str, list[tuple[Any, str]]],
           records: list[PluginRecord]) -> dict[str, tuple[Any, str]]:
    """Defaults that all plugins giving them agree on; disagreements are marked as clashes."""
    agreed: dict[str, tuple[Any, str]] = {}
    by_name = {r.name: r for r in records}
    for key, values in given.items():
        if len({repr(v) for v, _ in values}) == 1:
            agreed[key] = values[0]
            continue
        who = ", ".join(f"{p} says {v!r}" for v, p in values)
        for _, plugin in values:
            by_name[plugin].status = "clash"
            by_name[plugin].error = f"default {key!r} disagrees ({who}); no default is used"
    return agreed
