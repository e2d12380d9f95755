"""The Python API: build any registered thing by name, for your own Keras code, or train.

The CLI is a thin layer over these functions. Nothing here imports TensorFlow;
the factories that return Keras objects do, when they are called. The builders
(``optimizer``, ``loss``, ...) are made from the rows of :data:`nnfw.plugin.kinds.KINDS`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.errors import strict_plugins
from nnfw.plugin.kinds import KINDS, Kind
from nnfw.plugin.loading import allowed_from_env, allowed_in, disabled_from_env, load_registry, names_in

# through the public module, so that it is imported before nnfw/__init__.py binds the name
# nnfw.registry to the function below (a later first import would put the module there)
from nnfw.registry import Registry

if TYPE_CHECKING:
    import keras

    from nnfw.config.settings import Settings
    from nnfw.training.runner import RunResult

_loaded: Registry | None = None
_chosen: dict[str, str] = {}  # what use_plugins was given: "disabled", "allowed"


def registry() -> Registry:
    """The registry of installed plugins, loaded once per process.

    Honours what :func:`use_plugins` was given, else ``NNFW_DISABLE_PLUGINS``,
    ``NNFW_PLUGINS`` (an allow-list) and ``NNFW_STRICT_PLUGINS``.
    """
    global _loaded
    if _loaded is None:
        disabled = names_in(_chosen["disabled"]) if "disabled" in _chosen else disabled_from_env()
        allowed = allowed_in(_chosen["allowed"]) if "allowed" in _chosen else allowed_from_env()
        _loaded = load_registry(disabled=disabled or (), strict=strict_plugins(), allowed=allowed)
    return _loaded


def use_registry(new: Registry | None) -> None:
    """Replace the process-wide registry (None reloads it on next use); for tests and the CLI."""
    global _loaded
    _loaded = new


def use_plugins(disabled: str | None = None, allowed: str | None = None) -> None:
    """Load the plugins again on next use, leaving out the plugins or distributions named in
    ``disabled``, or loading only those in ``allowed`` (comma-separated names; None: as the
    environment says). The CLI's ``--disable-plugins`` and ``--plugins``."""
    _chosen.update({key: names for key, names in (("disabled", disabled), ("allowed", allowed))
                    if names is not None})
    use_registry(None)


def plugins_used() -> dict[str, str]:
    """What :func:`use_plugins` was given, as its keywords (for worker processes to load the
    same plugins)."""
    return dict(_chosen)


def _builder(kind: Kind) -> Callable[..., Any]:
    """The API function that builds an entry of ``kind`` by name: the kind's context
    arguments (by position or keyword), the run's facts it takes, then hyperparameters."""
    from nnfw.config.resolve import choose

    def build(name: str, *context: Any, **given: Any) -> Any:
        if len(context) > len(kind.context):
            raise TypeError(f"{kind.name}() takes {len(kind.context)} context arguments "
                            f"({', '.join(kind.context) or 'none'}) after the name")
        values = list(context)
        for key in kind.context[len(context):]:
            if key not in given and key not in kind.defaults:
                raise TypeError(f"{kind.name}() needs {key}")
            values.append(given.pop(key) if key in given else kind.defaults[key])
        run = {key: given.pop(key) for key in kind.run_keywords if key in given}
        return choose(registry(), kind.name, name, given).build(*values, **run)

    parameters = [inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=str)]
    parameters += [inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                     default=kind.defaults.get(key, inspect.Parameter.empty))
                   for key in kind.context]
    parameters += [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=None)
                   for key in kind.run_keywords]
    parameters.append(inspect.Parameter("hyperparameters", inspect.Parameter.VAR_KEYWORD))
    build.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    build.__name__ = build.__qualname__ = kind.name
    build.__doc__ = (f"{kind.builds[:1].upper()}{kind.builds[1:]}, from the {kind.name} entry "
                     f"``name`` with its hyperparameters as keywords.")
    return build


optimizer = _builder(KINDS["optimizer"])
loss = _builder(KINDS["loss"])
schedule = _builder(KINDS["schedule"])
activation = _builder(KINDS["activation"])
regularizer = _builder(KINDS["regularizer"])
initializer = _builder(KINDS["initializer"])
dataset = _builder(KINDS["dataset"])
metric = _builder(KINDS["metric"])
model = _builder(KINDS["model"])
function = _builder(KINDS["function"])
strategy = _builder(KINDS["strategy"])


def train_settings(config: str | None = None, params: dict[str, dict[str, Any]] | None = None,
                   resume: str | None = None, **options: Any) -> Settings:
    """The settings ``nnfw train`` trains with: from ``config`` (a TOML file or an experiment
    name), ``options`` (the command-line options with underscores: ``batch_size=16``,
    ``optimizer="adam"``) and ``params`` (plugin hyperparameters per setting:
    ``{"optimizer": {"beta": 0.95}}``); with ``resume``, that run directory's own settings
    (only ``epochs`` and ``strategy`` may change)."""
    from nnfw.config.resolve import train_settings as resolved

    given = {key.replace("_", "-"): value for key, value in options.items()}
    return resolved(registry(), config, given, params or {}, resume)


def run_settings(settings: Settings, out: str | None = None, resume: str | None = None, *,
                 strategy: Any = None, on_start: Callable[[], None] | None = None,
                 on_chunk: Callable[[Any], None] | None = None) -> RunResult:
    """Train with resolved ``settings`` (:func:`train_settings`), writing a run directory under
    ``out`` (None: nothing), or continuing the run in ``resume``; see
    :func:`nnfw.training.runner.run_training` for ``strategy``, ``on_start`` and ``on_chunk``."""
    from nnfw.training.runner import run_training

    return run_training(settings, registry(), out=out, resume=Path(resume) if resume else None,
                        strategy=strategy, on_start=on_start, on_chunk=on_chunk)


def train(config: str | None = None, out: str | None = None,
          params: dict[str, dict[str, Any]] | None = None, resume: str | None = None,
          **options: Any) -> RunResult:
    """Train as ``nnfw train`` does and return the result (history, model, summary).

    ``config``, ``params`` and ``options`` are as :func:`train_settings` takes them.
    Nothing is written unless ``out`` names a folder for the run directory.
    ``resume`` continues the run in that directory instead (only ``epochs`` may change).
    """
    settings = train_settings(config or None, params, resume, **options)
    return run_settings(settings, None if resume else out, resume)


def load_model(path: str) -> keras.Model:
    """Load a model that nnfw saved (``RUN_DIR/model.keras``), with its plugins' classes."""
    from nnfw.rundirs.saved import load_model as load

    return load(path, registry())
