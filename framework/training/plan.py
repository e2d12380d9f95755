"""Planning a run and building its parts: data, sizes and model (checked), then its trainer."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nnfw.config.resolve import chosen_metrics, loss_for_task
from nnfw.config.settings import Settings, run_name
from nnfw.errors import UsageError
from nnfw.plugin.entries import Entry
from nnfw.plugin.registry import Registry
from nnfw.rundirs.inputs import file_settings
from nnfw.training.compilation import xla_pays_off
from nnfw.training.complexity import Complexity, model_complexity
from nnfw.training.loop import Trainer
from nnfw.training.memory import check_files_fit, check_memory
from nnfw.training.metrics import per_epoch
from nnfw.training.network import Targets, build_model, plan_targets

if TYPE_CHECKING:
    import keras

    from nnfw.plugin.data import Dataset


@dataclass
class Plan:
    """What a run is, worked out before it trains: its data, sizes, model and arithmetic."""

    settings: Settings  # with ``xla`` as the run does it
    data: Dataset
    targets: Targets
    steps_per_epoch: int
    complexity: Complexity
    model: keras.Model
    metrics: list[Entry]


def start_strategy(settings: Settings) -> Any:
    """The distribution strategy the settings choose; build it before TensorFlow's devices start."""
    return settings.build("strategy")


def plan_run(settings: Settings, registry: Registry, strategy: Any, resumed: bool) -> Plan:
    """The run's data, shape and model (built in the strategy's scope, after seeding
    TensorFlow with the run's seed), checked (the data files' size, before they are read,
    and the model's against the memory there is, the batch size against the rows), and
    whether it compiles with XLA. ``registry`` resolves what depends on the data's task: a
    default loss that does not fit it, and the default metrics."""
    check_files_fit(file_settings(settings))
    data = settings.build("dataset")
    settings = loss_for_task(settings, registry, data.task, data.name)
    targets = plan_targets(data, settings.chosen["loss"].entry)  # type: ignore[union-attr]
    steps_per_epoch = _steps_per_epoch(settings, data)
    metrics = chosen_metrics(settings.scalars["metrics"], registry, data.task)
    model = _model(settings, strategy, data, targets)
    complexity = model_complexity(model)
    check_memory(complexity.parameters, data, settings.scalars["hidden"], settings.scalars["epochs"])
    jit = use_xla(settings, strategy, resumed=resumed,
                  steps=settings.scalars["epochs"] * steps_per_epoch,
                  parameters=complexity.parameters)
    # what the run does; the name is recorded, so that a resume, nnfw runs and the settings
    # file as --config keep the derived one
    settings = replace(settings, scalars={**settings.scalars, "xla": jit,
                                          "name": run_name(settings, data.name)})
    return Plan(settings, data, targets, steps_per_epoch, complexity, model, metrics)


def _steps_per_epoch(settings: Settings, data: Dataset) -> int:
    """Training steps per epoch; refuses a batch larger than the training rows, and patience
    without a validation part to watch."""
    rows = len(data.x_train)
    batch_size = settings.scalars["batch-size"]
    if batch_size > rows:
        rows_text = f"{rows} training row{'s' if rows != 1 else ''}"
        raise UsageError(f"batch-size: {batch_size} is larger than the {rows_text} "
                         f"of {data.name!r}; accepted: 1..{rows}")
    patience = settings.scalars["patience"]
    if patience and not len(data.x_val):
        raise UsageError(f"patience: {patience} stops on the validation loss, but {data.name!r} "
                         "has no validation part; give it one (csv: --dataset.validation_fraction "
                         "0.2) or leave --patience at 0")
    return -(-rows // batch_size)


def _model(settings: Settings, strategy: Any, data: Dataset, targets: Targets) -> keras.Model:
    """The model plugin's model, its variables made in the strategy's scope (kept in step on
    every replica), with every random number seeded by the run's seed."""
    import tensorflow as tf

    with strategy.scope(), seeded(settings.scalars["seed"]):
        try:
            return build_model(settings, data.input_shape, targets.units)
        except tf.errors.ResourceExhaustedError:
            raise UsageError(f"the model ({settings.scalars['hidden'] or 'no'} hidden units) does "
                             "not fit in memory; use smaller --hidden layers") from None


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Inside, TensorFlow's and Keras' random numbers are seeded by ``seed``, so that a model
    whose layers leave their seeds to Keras (its default initializers, dropout) is built the
    same every time; Python's and numpy's global generators, which Keras seeds for that, are
    put back after, so the caller's own random numbers do not change."""
    import random

    import keras
    import numpy as np

    python_state, numpy_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)  # also TensorFlow's global seed, as the lecture sets it
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def use_xla(settings: Settings, strategy: Any, resumed: bool, steps: int,
            parameters: int) -> bool:
    """Whether the run compiles with XLA: fixed when it starts, kept when it is resumed.

    A new run uses XLA where it is allowed (``xla``), not asked to be ``exact``, on
    one device (replicas run as plain graphs) and where it pays off for the run's size.
    A resumed run's settings hold what it started with, which it keeps whatever
    ``epochs`` has become, so that its arithmetic stays the same.
    """
    allowed = (settings.scalars["xla"] and not settings.scalars["exact"]
               and strategy.num_replicas_in_sync == 1)
    return allowed and (resumed or xla_pays_off(steps, parameters))


def build_trainer(plan: Plan, strategy: Any, schedule: Any = None) -> Trainer:
    """The planned run's model with its optimizer and loss, built from their plugins in the
    strategy's scope, in a trainer. ``schedule`` replaces the learning-rate schedule the
    settings choose (the learning-rate finder's)."""
    settings, data, scalars = plan.settings, plan.data, plan.settings.scalars
    with strategy.scope():  # variables made here are kept in step on every replica
        if schedule is None:
            schedule = settings.build("schedule", scalars["lr"], plan.steps_per_epoch,
                                      epochs=scalars["epochs"])
        loss = settings.chosen["loss"]
        assert loss is not None  # not an optional slot
        return Trainer(plan.model, settings.build("optimizer", schedule), loss.build(),
                       (data.x_train, data.y_train, data.x_test, data.y_test), plan.targets,
                       scalars["batch-size"], stop_on_nan=scalars["on-nan"] == "stop",
                       jit=scalars["xla"], strategy=strategy, exact=scalars["exact"],
                       loss_reduction=loss.entry.extras["reduction"],
                       metrics=per_epoch(plan.metrics), validation=(data.x_val, data.y_val),
                       shuffle_seed=scalars["seed"] if scalars["shuffle"] else None,
                       patience=scalars["patience"], restore_best=scalars["restore-best"])
