"""Resolving settings: plugin defaults, then a TOML file, then command-line options, checked.

This is where plugin names become the entries they name (with the registry); what
comes after uses the :class:`nnfw.config.settings.Choice` objects the settings hold.

Keys mirror the command-line options (``batch-size``, ``output-activation``).
A plugin choice is a name, or a table with ``name`` and the plugin's
hyperparameters::

    optimizer = "adam"          # or
    [optimizer]
    name = "sgdm"
    beta = 0.95

A plugin chosen on the command line (``--optimizer adam``) drops the file's
hyperparameters for that slot: they belonged to the file's plugin. Hyperparameters
meant for whichever plugin ends up in a slot go in the slot's ``any`` table; each
applies to the chosen plugin if it declares that key, and is left out otherwise::

    [optimizer]
    name = "sgd"
    [optimizer.any]             # adagrad, rmsprop and adam declare epsilon; sgd does not
    epsilon = 0.0

Precedence, lowest first: the plugin's default, the ``any`` table, the file's own
hyperparameters of the file's plugin, ``--slot.key`` options. A key in an ``any``
table that no installed plugin of the slot's kind declares is an error (a typo
would otherwise be dropped silently); a value is checked against the plugin it
applies to. The resolved settings (a run's ``settings.toml``) hold the values as
plain hyperparameters of the chosen plugin, with no ``any`` table.

A run's ``name`` (its directory's name and figure titles) is, unless given, the
experiment's name when ``--config`` names one, else the config file's stem
(:func:`nnfw.config.config_file.load_config`), else the data set's name
(:func:`nnfw.config.settings.run_name`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from nnfw.config.config_file import load_config, read_config
from nnfw.config.scalars import SCALARS
from nnfw.config.settings import LISTS, NAME_LIMIT, NONE, SLOTS, Choice, Settings, split_names
from nnfw.errors import UsageError
from nnfw.plugin.entries import Entry
from nnfw.plugin.params import Param, resolve
from nnfw.plugin.registry import Registry
from nnfw.plugin.suggest import unknown_name_message
from nnfw.rundirs.rundir import SETTINGS, slug

RESUMABLE_CHANGES = ("epochs", "strategy")  # settings a resumed run may change
ANY = "any"  # a slot's table of hyperparameters for whichever plugin the slot ends up with


def entry_named(registry: Registry, kind: str, name: str) -> Entry:
    """The entry ``name`` (bare, or ``plugin:name``) of ``kind``; a UsageError says why not."""
    return registry.get(kind, name)


def choose(registry: Registry, kind: str, name: str, given: Mapping[str, Any],
           owner: str | None = None) -> Choice:
    """The entry ``name`` of ``kind`` with hyperparameters ``given`` checked (text parsed),
    their defaults filled in; ``owner`` names the plugin in messages (default: by kind)."""
    return _choice(registry, name, entry_named(registry, kind, name), given, owner)


def _choice(registry: Registry, name: str, entry: Entry, given: Mapping[str, Any],
            owner: str | None = None) -> Choice:
    """``entry``, chosen by ``name``, with hyperparameters ``given`` checked."""
    return Choice(name, entry, resolve(entry.params, dict(given),
                                       owner or f"{entry.kind} {entry.name!r}"),
                  registry.origin(entry))


def split_choice(slot: str, value: Any) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
    """A slot's value from TOML as (plugin name or None, given hyperparameters, the slot's
    ``any`` table: hyperparameters for whichever plugin the slot ends up with)."""
    if isinstance(value, Mapping):
        params = dict(value)
        name = params.pop("name", None)
        if name is not None and not isinstance(name, str):
            raise UsageError(f"{slot}.name: {name!r} is not a plugin name")
        shared = params.pop(ANY, {})
        if not isinstance(shared, Mapping):
            raise UsageError(f"{slot}.{ANY}: {shared!r} is not a table of hyperparameters; "
                             f"write them under [{slot}.{ANY}]")
        return name, params, dict(shared)
    if isinstance(value, str):
        return value, {}, {}
    raise UsageError(f"{slot}: {value!r} is not a plugin name or a table of settings")


def resolve_settings(registry: Registry, config: Mapping[str, Any] | None = None,
                     options: Mapping[str, Any] | None = None,
                     option_params: Mapping[str, Mapping[str, Any]] | None = None) -> Settings:
    """Merge plugin defaults, a config file's settings and command-line options, and check them.

    ``options`` hold plugin names and scalar values (strings are parsed);
    ``option_params`` hold ``--slot.key value`` hyperparameters per slot.
    A plugin chosen on the command line drops the config file's
    hyperparameters for that slot, which belonged to another plugin; the
    slot's ``any`` table still applies (see the module's docstring).
    """
    config = dict(config or {})
    options = {k: v for k, v in (options or {}).items() if v is not None}
    option_params = option_params or {}
    chosen = {slot: _choose(registry, slot, config, options, option_params.get(slot, {}))
              for slot in SLOTS}
    defaulted = {slot for slot in SLOTS if slot not in options and (
        slot not in config or split_choice(slot, config[slot])[0] is None)}
    scalars = {param.name: _scalar(param, options[param.name] if param.name in options
                                   else config[param.name])
               if param.name in options or param.name in config else param.default
               for param in SCALARS}
    scalars["metrics"] = ",".join(
        _entry(registry, "metrics", name).name for name in split_names(scalars["metrics"]))
    if not scalars["out"].strip():
        raise UsageError("out: the folder for run directories is empty; give a folder like 'runs'")
    return Settings(chosen, scalars, frozenset(defaulted))


def _choose(registry: Registry, slot: str, config: Mapping[str, Any], options: Mapping[str, Any],
            given: Mapping[str, Any]) -> Choice | None:
    """The plugin chosen for ``slot`` with its checked hyperparameters; None for an optional
    slot left empty. ``given`` are the slot's command-line hyperparameters."""
    name, params, shared = split_choice(slot, config[slot]) if slot in config else (None, {}, {})
    _check_any(registry, slot, shared)
    if slot in options:
        if options[slot] != name:
            params = {}  # they belonged to the file's plugin
        name = options[slot]
    if name is None:
        name = default_choice(registry, slot)
    params = {**params, **given}
    if name is None or name == NONE:
        if not SLOTS[slot].optional:
            raise UsageError(f"{slot}: a plugin name is needed; accepted: "
                             + ", ".join(registry.names(SLOTS[slot].kind)))
        if params:
            raise UsageError(f"{slot}: hyperparameters {sorted(params)} given but no {slot} chosen")
        return None
    entry = _entry(registry, slot, name)
    declared = {param.name for param in entry.params}
    params = {**{k: v for k, v in shared.items() if k in declared}, **params}
    owner = f"{entry.kind if slot == entry.kind else slot} {entry.name!r}"
    return _choice(registry, name, entry, params, owner)


def _check_any(registry: Registry, slot: str, shared: Mapping[str, Any]) -> None:
    """Refuse a key of the slot's ``any`` table that no installed plugin of its kind declares:
    it would apply to nothing, whichever plugin is chosen (most likely a typo)."""
    if not shared:
        return
    kind = SLOTS[slot].kind
    declared = {param.name for entry in registry.entries(kind) for param in entry.params}
    for key in shared:
        if key not in declared:
            raise UsageError(unknown_name_message(
                f"{slot}.{ANY}: no installed {kind} declares the hyperparameter", key, declared))


def _entry(registry: Registry, slot: str, name: str) -> Entry:
    """The entry ``name`` of the slot's kind; an unknown name's message names the slot too."""
    if not isinstance(name, str):
        raise UsageError(f"{slot}: {name!r} is not a plugin name")
    kind = SLOTS[slot].kind if slot in SLOTS else LISTS[slot]
    try:
        return registry.get(kind, name)
    except UsageError as exc:
        if slot == kind:
            raise
        raise UsageError(f"{slot}: {exc}") from None


def _scalar(param: Param, value: Any) -> Any:
    """A scalar setting from an option or a config file: text is parsed, other values checked."""
    if param.name == "name":
        return _run_name_setting(value)
    if isinstance(value, str) and param.type is not str:
        return param.parse(value)
    return param.check(value)


def _run_name_setting(value: Any) -> str:
    """The ``name`` setting as folder-safe text ('' stays '': the name is derived)."""
    if not isinstance(value, str):
        raise UsageError(f"name: {value!r} is not text")
    named = slug(value, NAME_LIMIT)
    if value.strip() and not named:
        raise UsageError(f"name: {value!r} has no ASCII letter or digit to name a run directory by")
    return named


def default_choice(registry: Registry, slot: str) -> str | None:
    """The plugin name the installed plugins give ``slot`` by default (``register_defaults``),
    or None when none does."""
    found = registry.defaults.get(slot)
    if found is None:
        return None
    value, plugin = found
    if not isinstance(value, str):
        raise UsageError(f"plugin {plugin!r} gives {slot} the default {value!r}, not a plugin name")
    return value


def resume_settings(registry: Registry, run_dir: str | Path, options: Mapping[str, Any],
                    option_params: Mapping[str, Mapping[str, Any]] | None = None) -> Settings:
    """The settings of the run in ``run_dir``, for resuming it.

    Only what does not change the arithmetic may differ from the run's own settings:
    ``epochs`` (train further) and the ``strategy`` (continue on other devices).
    """
    folder = Path(run_dir)
    if not (folder / SETTINGS).is_file():
        raise UsageError(f"--resume: {str(folder)!r} is not a run directory (it has no {SETTINGS})")
    option_params = option_params or {}
    changed = sorted(key for key, value in options.items()
                     if value is not None and key not in RESUMABLE_CHANGES)
    changed += sorted(f"{slot}.*" for slot in option_params if slot not in RESUMABLE_CHANGES)
    if changed:
        raise UsageError(f"--resume continues a run with its own settings; only "
                         f"{' and '.join('--' + key for key in RESUMABLE_CHANGES)} may change, "
                         f"not --{changed[0]}")
    given = {key: options[key] for key in RESUMABLE_CHANGES if options.get(key) is not None}
    file = folder / SETTINGS
    config = read_config(file, run_file=True)
    try:
        return resolve_settings(registry, config, given, option_params)
    except UsageError as exc:  # the run's own settings: say where they are
        raise UsageError(f"--resume: {str(file)!r}: {exc}") from None


def train_settings(registry: Registry, config: str | None, options: Mapping[str, Any],
                   params: Mapping[str, Mapping[str, Any]], resume: str | None) -> Settings:
    """The settings of a training run: from the config file or experiment ``config``,
    ``options`` and ``params`` (see :func:`resolve_settings`); with ``resume``, the settings
    of that run directory (see :func:`resume_settings`)."""
    if resume is not None:
        if config is not None:
            raise UsageError("--resume continues a run with its own settings; drop --config")
        return resume_settings(registry, resume, options, params)
    return resolve_settings(registry, load_config(registry, config), options, params)


def loss_for_task(settings: Settings, registry: Registry, task: str, data_name: str) -> Settings:
    """The settings, with the loss that declares itself the default for ``task``
    (``default_for``) in place of a default loss (one no one chose) that does not fit the
    data ``data_name``; a chosen loss that does not fit is refused, naming those that do."""
    loss = settings.chosen["loss"]
    assert loss is not None  # not an optional slot
    tasks = loss.entry.extras["tasks"]
    if task in tasks:
        return settings
    found = [e for e in registry.entries("loss") if task in e.extras["default_for"]]
    if "loss" in settings.defaulted and len(found) == 1:
        return replace(settings, chosen={**settings.chosen,
                                         "loss": _choice(registry, found[0].name, found[0], {})})
    raise UsageError(f"loss {loss.name!r} fits {' or '.join(tasks)} data, but data set "
                     f"{data_name!r} is {task}; losses that fit: "
                     f"{', '.join(fitting_names(registry, 'loss', task))}")


def fitting_names(registry: Registry, kind: str, task: str) -> list[str]:
    """The names of the entries of ``kind`` (losses, metrics) that fit data of ``task``."""
    return [e.name for e in registry.entries(kind) if task in e.extras["tasks"]]


def chosen_metrics(names: str, registry: Registry, task: str) -> list[Entry]:
    """The metric entries ``names`` (comma-separated) name, each fitting ``task``; for empty
    ``names``, every metric registered as a default that fits ``task``."""
    if not split_names(names):
        return [e for e in registry.entries("metric") if e.extras["default"]
                and task in e.extras["tasks"]]
    chosen = [registry.get("metric", name) for name in split_names(names)]
    for entry in chosen:
        if task not in entry.extras["tasks"]:
            raise UsageError(f"metrics: {entry.name!r} fits {' or '.join(entry.extras['tasks'])} "
                             f"data, but this data set is {task}; metrics that fit: "
                             f"{', '.join(fitting_names(registry, 'metric', task)) or 'none'}")
    return chosen
