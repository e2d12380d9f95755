"""Training settings: defaults from plugins, then a TOML file, then command-line options.

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
(:func:`load_config`), else the data set's name (:func:`run_name`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfw.entries import Entry
from nnfw.errors import UsageError
from nnfw.files import CONFIG_LIMIT, read_text
from nnfw.params import Param, resolve
from nnfw.registry import Registry
from nnfw.rundir import SETTINGS, slug
from nnfw.suggest import unknown_name_message

# setting -> the plugin kind it chooses from
SLOTS: dict[str, str] = {
    "dataset": "dataset",
    "model": "model",
    "optimizer": "optimizer",
    "loss": "loss",
    "schedule": "schedule",
    "activation": "activation",
    "output-activation": "activation",
    "init": "initializer",
    "bias-init": "initializer",
    "regularizer": "regularizer",
    "strategy": "strategy",
}
LISTS: dict[str, str] = {"metrics": "metric"}  # settings naming several plugins of a kind
SLOT_HELP: dict[str, str] = {
    "dataset": "the data set to train on",
    "model": "the model architecture, built from the layer settings below",
    "optimizer": "the optimizer",
    "loss": "the loss (when none is given and the default does not fit the data's task: the "
            "loss registered as that task's default)",
    "schedule": "the learning-rate schedule",
    "activation": "the activation of hidden layers",
    "output-activation": "the activation of the output layer",
    "init": "the initializer of weights (kernels)",
    "bias-init": "the initializer of biases",
    "regularizer": "the regularizer of weights (never biases), or 'none'",
    "strategy": "where training runs: one device, several, or several machines",
}
OPTIONAL_SLOTS = {"regularizer"}
RESUMABLE_CHANGES = ("epochs", "strategy")  # settings a resumed run may change
INT32_MAX = 2**31 - 1
FLOAT32_TINY = 1.1754943508222875e-38  # float32's smallest normal number
FLOAT32_MAX = 3.4028234663852886e38
NONE = "none"
ANY = "any"  # a slot's table of hyperparameters for whichever plugin the slot ends up with
NAME_LIMIT = 64  # characters of a run's name; the rest of its directory's name must fit too

SCALARS: tuple[Param, ...] = (
    # a float32 that is neither 0 nor infinite, nor so small that it loses precision
    Param("lr", 0.1, "learning rate (the schedule's starting value; a float32, within about "
          "1.2e-38 to 3.4e38)", bounds=f"[{FLOAT32_TINY!r}, {FLOAT32_MAX!r}]"),
    # the training loop counts epochs in int32 tensors
    Param("epochs", 100, "passes over the training data", bounds=f"[1, {INT32_MAX}]"),
    Param("batch-size", 32, "rows per training step", bounds="[1, inf)"),
    Param("shuffle", True, "shuffle the training rows every epoch, with the run's seed; "
          "false: every epoch in the data set's order, as the lecture does"),
    Param("patience", 0, "stop when the validation loss (val_loss) has not been lower than "
          "its best for this many epochs in a row, as Keras' EarlyStopping(monitor='val_loss') "
          "does; the loss, not a metric: it moves every epoch, where accuracy moves in steps. "
          "Needs a validation part (csv: --dataset.validation_fraction 0.2); 0: never stop early",
          bounds=f"[0, {INT32_MAX}]"),
    Param("restore-best", True, "with a validation part, end the run with the weights of the "
          "epoch of lowest val_loss (the test metrics reported are those of these weights); "
          "false: the last epoch's weights"),
    Param("seed", 116, "TensorFlow's global random seed (initial weights)"),
    Param("hidden", "", "hidden layer sizes, comma-separated ('16,8'); empty for none"),
    Param("bias", True, "give every layer a bias"),
    Param("metrics", "", "metrics evaluated on the test (and validation) part, comma-separated "
          "('accuracy,f1'); empty: those the metric plugins give by default for the data's task "
          "(see 'nnfw list metrics')"),
    Param("on-nan", "stop", "when the loss or a weight stops being finite",
          choices=("stop", "continue")),
    Param("out", "runs", "folder that receives the run directories"),
    Param("name", "", "the run's name, in its directory's name and figure titles (lower-case "
          "letters, digits, '.' and '-'); empty: the experiment's name (--config NAME), the "
          "config file's stem, or else the data set's name"),
    Param("checkpoint-seconds", 30.0, "save a checkpoint at most this often (0: after every chunk)",
          bounds="[0, inf)"),
    Param("xla", True, "compile training with XLA where it pays off (long runs, big layers) "
          "and the plugins' operations allow it; false: never. A run directory records "
          "whether the run used it, and a resumed run keeps that"),
    Param("exact", False, "compute exactly what the same operations compute eagerly (the "
          "lecture's own code, bit for bit): never XLA, and no arithmetic rewrites by "
          "TensorFlow's graph optimizer (about 10% slower on small runs)"),
)
SCALAR_BY_NAME = {p.name: p for p in SCALARS}


@dataclass
class Settings:
    """Every training setting, resolved: plugin names with checked hyperparameters, and scalars."""

    choices: dict[str, str | None] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    scalars: dict[str, Any] = field(default_factory=dict)
    # slots whose plugin no one chose (the default's): how settings were resolved, not a setting
    defaulted: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def hidden(self) -> list[int]:
        """The hidden layer sizes."""
        return parse_hidden(self.scalars["hidden"])

    def as_toml_dict(self) -> dict[str, Any]:
        """A dict that, written as TOML, is a config file giving these exact settings."""
        out: dict[str, Any] = dict(self.scalars)
        for slot in SLOTS:
            name = self.choices.get(slot)
            out[slot] = {"name": name or NONE, **self.params.get(slot, {})}
        return out


def parse_hidden(value: Any) -> list[int]:
    """Hidden sizes from '16,8', a list of ints, or '' / [] for none."""
    items = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
    sizes = []
    for item in items:
        try:
            size = int(str(item).strip())
        except ValueError:
            size = 0
        if size < 1 or isinstance(item, bool):
            raise UsageError(f"hidden: {value!r} is not a list of positive layer sizes like '16,8'")
        sizes.append(size)
    return sizes


def split_names(text: str) -> list[str]:
    """Plugin names from comma-separated text ('accuracy, f1'); empty text gives none."""
    return [name.strip() for name in text.split(",") if name.strip()]


def find_config(name: str, registry: Registry) -> Path:
    """The config file ``name`` names: a file path, or else a registered experiment's file."""
    return _config_source(name, registry)[0]


def _config_source(name: str, registry: Registry) -> tuple[Path, str]:
    """The config file ``name`` names, and the name it gives a run: the experiment's, or the
    file's stem."""
    path = Path(name)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path, path.stem
    entry = registry.get("experiment", name)
    return Path(entry.create()), entry.name


def load_config(registry: Registry, config: str | None) -> dict[str, Any]:
    """The settings in the config file or experiment ``config`` names (none for None), their
    ``name`` defaulting to the experiment's name or else the file's stem."""
    if config is None:
        return {}
    path, derived = _config_source(config, registry)
    data = read_config(path)
    if slug(derived, NAME_LIMIT):  # a stem with no letter or digit names nothing
        data.setdefault("name", derived)
    return data


def run_name(settings: Settings, data_name: str) -> str:
    """The run's name, for its directory and figure titles: the ``name`` setting, or else the
    data set's name (``Dataset.name``), or else the data set plugin's, as folder-safe text."""
    return (settings.scalars.get("name") or slug(data_name, NAME_LIMIT)
            or slug(str(settings.choices.get("dataset") or ""), NAME_LIMIT) or "run")


def read_config(path: str | Path, run_file: bool = False) -> dict[str, Any]:
    """The settings in a TOML config file, checked for unknown keys; a run directory's own
    settings (``run_file``) are never read through a link."""
    file = Path(path)
    text = read_text(file, CONFIG_LIMIT, f"config file {str(file)!r}", links=not run_file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {str(file)!r} is not valid TOML: {exc}") from None
    except ValueError:  # Python refuses to read whole numbers of over 4300 digits
        raise UsageError(f"config file {str(file)!r} holds a number too long to read; "
                         "numbers must fit in 64 bits") from None
    known = [*SLOTS, *SCALAR_BY_NAME]
    for key in data:
        if key not in known:
            raise UsageError(unknown_name_message(f"config file {str(file)!r}: unknown setting",
                                                  key, known))
    return data


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
    settings = Settings()
    defaulted = set()
    for slot in SLOTS:
        name, params = _choose(registry, slot, config, options, option_params.get(slot, {}))
        settings.choices[slot] = name
        if name is not None:
            settings.params[slot] = params
        if slot not in options and (slot not in config or split_choice(slot, config[slot])[0]
                                    is None):
            defaulted.add(slot)
    settings.defaulted = frozenset(defaulted)
    for param in SCALARS:
        if param.name in options:
            settings.scalars[param.name] = _scalar(param, options[param.name])
        elif param.name in config:
            settings.scalars[param.name] = _scalar(param, config[param.name])
        else:
            settings.scalars[param.name] = param.default
    settings.scalars["metrics"] = ",".join(
        _entry(registry, "metrics", name).name for name in split_names(settings.scalars["metrics"]))
    if not settings.scalars["out"].strip():
        raise UsageError("out: the folder for run directories is empty; give a folder like 'runs'")
    return settings


def _choose(registry: Registry, slot: str, config: Mapping[str, Any], options: Mapping[str, Any],
            given: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The plugin chosen for ``slot`` and its checked hyperparameters; (None, {}) for an
    optional slot left empty. ``given`` are the slot's command-line hyperparameters."""
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
        if slot not in OPTIONAL_SLOTS:
            raise UsageError(f"{slot}: a plugin name is needed; accepted: "
                             + ", ".join(registry.names(SLOTS[slot])))
        if params:
            raise UsageError(f"{slot}: hyperparameters {sorted(params)} given but no {slot} chosen")
        return None, {}
    entry = _entry(registry, slot, name)
    declared = {param.name for param in entry.params}
    params = {**{k: v for k, v in shared.items() if k in declared}, **params}
    return name, resolve(entry.params, params, owner=_owner(slot, entry))


def _check_any(registry: Registry, slot: str, shared: Mapping[str, Any]) -> None:
    """Refuse a key of the slot's ``any`` table that no installed plugin of its kind declares:
    it would apply to nothing, whichever plugin is chosen (most likely a typo)."""
    if not shared:
        return
    kind = SLOTS[slot]
    declared = {param.name for entry in registry.entries(kind) for param in entry.params}
    for key in shared:
        if key not in declared:
            raise UsageError(unknown_name_message(
                f"{slot}.{ANY}: no installed {kind} declares the hyperparameter", key, declared))


def _entry(registry: Registry, slot: str, name: str) -> Entry:
    """The entry ``name`` of the slot's kind; an unknown name's message names the slot too."""
    if not isinstance(name, str):
        raise UsageError(f"{slot}: {name!r} is not a plugin name")
    kind = SLOTS.get(slot) or LISTS[slot]
    try:
        return registry.get(kind, name)
    except UsageError as exc:
        if slot == kind:
            raise
        raise UsageError(f"{slot}: {exc}") from None


def _owner(slot: str, entry: Entry) -> str:
    """How hyperparameter messages name the plugin: by kind, or by slot where they differ."""
    return f"{entry.kind if slot == entry.kind else slot} {entry.name!r}"


def _scalar(param: Param, value: Any) -> Any:
    """A scalar setting from an option or a config file: text is parsed, other values checked."""
    if param.name == "name":
        return _run_name_setting(value)
    if param.name == "hidden":
        if not isinstance(value, list | str):
            raise UsageError(f"hidden: {value!r} is not a list of positive layer sizes "
                             "like '16,8' or [16, 8]")
        return ",".join(str(size) for size in parse_hidden(value))
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
