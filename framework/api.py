"""The Python API: build any registered thing by name, for your own Keras code.

The CLI is a thin layer over these functions. Nothing here imports TensorFlow;
the factories that return Keras objects do, when they are called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nnfw.errors import strict_from_env
from nnfw.registry import Registry, allowed_from_env, disabled_from_env, load_registry

if TYPE_CHECKING:
    import keras

    from nnfw.data import Dataset
    from nnfw.objective import Objective
    from nnfw.runner import RunResult

_loaded: Registry | None = None


def registry() -> Registry:
    """The registry of installed plugins, loaded once per process.

    Honours ``NNFW_DISABLE_PLUGINS``, ``NNFW_PLUGINS`` (an allow-list) and
    ``NNFW_STRICT_PLUGINS``.
    """
    global _loaded
    if _loaded is None:
        _loaded = load_registry(disabled=disabled_from_env(), strict=strict_from_env(),
                                allowed=allowed_from_env())
    return _loaded


def use_registry(new: Registry | None) -> None:
    """Replace the process-wide registry (None reloads it on next use); for tests and the CLI."""
    global _loaded
    _loaded = new


def optimizer(name: str, learning_rate: float | Any = 0.01, **hyperparameters: Any
              ) -> keras.optimizers.Optimizer:
    """A Keras optimizer from the plugin entry ``name``; ``learning_rate`` may be a schedule."""
    return registry().get("optimizer", name).build(learning_rate, **hyperparameters)


def loss(name: str, **hyperparameters: Any) -> keras.losses.Loss:
    """A Keras loss from the plugin entry ``name``."""
    return registry().get("loss", name).build(**hyperparameters)


def schedule(name: str, learning_rate: float, steps_per_epoch: int = 1, epochs: int | None = None,
             **hyperparameters: Any) -> keras.optimizers.schedules.LearningRateSchedule | float:
    """A learning-rate schedule starting at ``learning_rate``, for epochs of ``steps_per_epoch``;
    ``epochs``, the run's planned length, reaches schedules that ask for it."""
    from nnfw.entries import build_schedule

    entry = registry().get("schedule", name)
    return build_schedule(entry, learning_rate, steps_per_epoch, epochs, entry.resolve(hyperparameters))


def activation(name: str, **hyperparameters: Any) -> Any:
    """An activation function (tensor -> tensor) from the plugin entry ``name``."""
    return registry().get("activation", name).build(**hyperparameters)


def regularizer(name: str, **hyperparameters: Any) -> keras.regularizers.Regularizer:
    """A Keras weight regularizer from the plugin entry ``name``."""
    return registry().get("regularizer", name).build(**hyperparameters)


def initializer(name: str, **hyperparameters: Any) -> keras.initializers.Initializer:
    """A Keras initializer from the plugin entry ``name``."""
    return registry().get("initializer", name).build(**hyperparameters)


def dataset(name: str, **hyperparameters: Any) -> Dataset:
    """The data set from the plugin entry ``name``, split into train and test parts."""
    return registry().get("dataset", name).build(**hyperparameters)


def metric(name: str, **hyperparameters: Any) -> Any:
    """A metric function ``(targets, outputs) -> tensor`` from the plugin entry ``name``."""
    return registry().get("metric", name).build(**hyperparameters)


def model(name: str, context: Any, **hyperparameters: Any) -> keras.Model:
    """A Keras model from the model entry ``name`` for an :class:`nnfw.ModelContext`."""
    return registry().get("model", name).build(context, **hyperparameters)


def function(name: str, **hyperparameters: Any) -> Objective:
    """The objective function (an :class:`nnfw.Objective`) from the plugin entry ``name``."""
    return registry().get("function", name).build(**hyperparameters)


def strategy(name: str, **hyperparameters: Any) -> Any:
    """A ``tf.distribute.Strategy`` from the plugin entry ``name``; build it before any model."""
    return registry().get("strategy", name).build(**hyperparameters)


def train(config: str | None = None, out: str | None = None,
          params: dict[str, dict[str, Any]] | None = None, resume: str | None = None,
          **options: Any) -> RunResult:
    """Train as ``nnfw train`` does and return the result (history, model, summary).

    ``config`` is a TOML file or an experiment name; ``options`` are the
    command-line options with underscores (``batch_size=16``, ``optimizer="adam"``);
    ``params`` holds plugin hyperparameters per setting (``{"optimizer": {"beta": 0.95}}``).
    Nothing is written unless ``out`` names a folder for the run directory.
    ``resume`` continues the run in that directory instead (only ``epochs`` may change).
    """
    from pathlib import Path

    from nnfw.runner import run_training
    from nnfw.settings import load_config, resolve_settings, resume_settings

    loaded = registry()
    given = {key.replace("_", "-"): value for key, value in options.items()}
    if resume is not None:
        settings = resume_settings(loaded, resume, given, params)
        return run_training(settings, loaded, resume=Path(resume))
    settings = resolve_settings(loaded, load_config(loaded, config or None), given, params)
    return run_training(settings, loaded, out=out)


def load_model(path: str) -> keras.Model:
    """Load a model that nnfw saved (``RUN_DIR/model.keras``), with its plugins' classes."""
    from nnfw.saved import load_model as load

    return load(path, registry())
