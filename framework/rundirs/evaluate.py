"""A finished run's loss and metrics on other rows, computed as training computes them on
its test part every epoch (the same trainer code), with its once-only metrics."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

    from nnfw.plugin.registry import Registry
    from nnfw.rundirs.trained import TrainedRun

PARTS = ("test", "validation", "train")  # the parts of the run's own data set evaluate takes


def evaluate_rows(run: TrainedRun, registry: Registry, x: np.ndarray, y: np.ndarray
                  ) -> dict[str, Any]:
    """The run's loss and metrics on rows ``x`` with targets ``y`` (class ids or values):
    name -> number, or nested lists for a metric such as the confusion matrix."""
    import tensorflow as tf

    from nnfw.config.resolve import chosen_metrics
    from nnfw.plugin.data import Dataset
    from nnfw.rundirs.trained import check_width
    from nnfw.training.complexity import model_complexity
    from nnfw.training.metrics import final_values
    from nnfw.training.network import Targets
    from nnfw.training.plan import Plan, build_trainer

    record, settings = run.record, run.settings
    if not len(x):
        raise UsageError("there are no rows to evaluate")
    check_width(run, x, "the data gives")
    # the rows stand in for every part: the trainer is built only to evaluate them
    data = Dataset(x_train=x, y_train=y, x_test=x, y_test=y, task=record["task"],
                   num_classes=record["num_classes"],
                   feature_names=tuple(record["feature_names"]),
                   class_names=tuple(record["class_names"]),
                   input_shape=tuple(record["input_shape"]))
    targets = Targets(record["units"], record["task"] == "classification", record["one_hot"])
    metrics = chosen_metrics(settings.scalars["metrics"], registry, data.task)
    batch = min(settings.scalars["batch-size"], len(x))
    plan = Plan(replace(settings, scalars={**settings.scalars, "batch-size": batch}), data,
                targets, steps_per_epoch=-(-len(x) // batch),
                complexity=model_complexity(run.model), model=run.model, metrics=metrics)
    trainer = build_trainer(plan, tf.distribute.get_strategy())
    values: dict[str, Any] = trainer.evaluate(data.x_test, data.y_test)
    values.update(final_values(metrics, run.model, data.x_test, data.y_test, binary=run.binary))
    return values


def run_part(run: TrainedRun, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Part ``part`` (see :data:`PARTS`) of the run's data set, made again from its settings
    (the same file, seed and split give the same rows)."""
    data = run.settings.build("dataset")
    parts = {"test": (data.x_test, data.y_test), "validation": (data.x_val, data.y_val),
             "train": (data.x_train, data.y_train)}
    x, y = parts[part]
    if not len(x):
        having = ", ".join(name for name, (rows, _) in parts.items() if len(rows))
        raise UsageError(f"--part: data set {data.name!r} has no {part} rows; parts with "
                         f"rows: {having}")
    return x, y
