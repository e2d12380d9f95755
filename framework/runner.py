"""One training run from resolved settings: data, model, plugins, the loop, the run directory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.complexity import Complexity, dense_complexity
from nnfw.errors import UsageError
from nnfw.loop import Divergence, History, Trainer
from nnfw.model import build, build_model, plan_targets
from nnfw.registry import Registry
from nnfw.rundir import create_run_dir, save_model_atomic, write_atomic, write_csv, write_json
from nnfw.settings import Settings

if TYPE_CHECKING:
    import keras

    from nnfw.data import Dataset

MAX_PRINTED_PARAMETERS = 20


@dataclass
class RunResult:
    """What a training run produced."""

    settings: Settings
    history: History
    divergence: Divergence | None
    train_seconds: float
    complexity: Complexity
    model: keras.Model
    data: Dataset
    run_dir: Path | None = None

    @property
    def title(self) -> str:
        """A one-line description of the run, for plot titles."""
        choices, scalars = self.settings.choices, self.settings.scalars
        extra = f", {choices['regularizer']}" if choices.get("regularizer") else ""
        return (f"{choices['dataset']}, {choices['optimizer']}, {choices['loss']}{extra}, "
                f"lr {scalars['lr']:g}, {self.history.epochs_run} epochs")

    def summary(self) -> dict[str, Any]:
        """The JSON summary: epochs, final metrics, divergence, timing, weights of tiny models."""
        out: dict[str, Any] = {
            "epochs_run": self.history.epochs_run,
            "final": self.history.final(),
            "diverged": self.divergence is not None,
            "divergence": vars(self.divergence) if self.divergence else None,
            "train_seconds": round(self.train_seconds, 4),
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "complexity": self.complexity.as_dict(),
            "settings": {slot: name for slot, name in self.settings.choices.items()},
        }
        if self.complexity.parameters <= MAX_PRINTED_PARAMETERS:
            out["weights"] = {w.path: w.numpy().tolist() for w in self.model.weights}
        return out


def run_training(settings: Settings, registry: Registry, out: str | Path | None = None,
                 on_chunk: Callable[[History], None] | None = None) -> RunResult:
    """Train as the settings say; write the run directory under ``out`` unless it is None."""
    import tensorflow as tf

    data = build(settings, registry, "dataset")
    targets = plan_targets(data, settings.choices["loss"], registry)
    rows = len(data.x_train)
    batch_size = settings.scalars["batch-size"]
    if batch_size > rows:
        raise UsageError(f"batch-size: {batch_size} is larger than the {rows} training rows "
                         f"of {data.name!r}; accepted: 1..{rows}")
    steps_per_epoch = -(-rows // batch_size)
    tf.random.set_seed(settings.scalars["seed"])
    model = build_model(settings, registry, data.num_features, targets.units)
    schedule = registry.get("schedule", settings.choices["schedule"]).create(
        settings.scalars["lr"], steps_per_epoch, **settings.params["schedule"])
    optimizer = registry.get("optimizer", settings.choices["optimizer"]).create(
        schedule, **settings.params["optimizer"])
    loss = build(settings, registry, "loss")
    trainer = Trainer(model, optimizer, loss, (data.x_train, data.y_train, data.x_test, data.y_test),
                      targets, batch_size, stop_on_nan=settings.scalars["on-nan"] == "stop",
                      jit=settings.scalars["xla"])
    run_dir = create_run_dir(out, f"{settings.choices['dataset']}-{settings.choices['optimizer']}"
                             ) if out is not None else None
    seconds = trainer.fit(settings.scalars["epochs"], on_chunk)
    sizes = [data.num_features, *settings.hidden, targets.units]
    result = RunResult(settings, trainer.history, trainer.divergence, seconds,
                       dense_complexity(sizes, settings.scalars["bias"]), model, data, run_dir)
    if run_dir is not None:
        model.compile(optimizer=optimizer, loss=loss)
        write_run(result)
    return result


def write_run(result: RunResult) -> None:
    """Write the run directory: settings (re-runnable), history, summary and model."""
    import tomli_w

    assert result.run_dir is not None
    write_atomic(result.run_dir / "settings.toml", tomli_w.dumps(result.settings.as_toml_dict()))
    write_csv(result.run_dir / "history.csv", result.history.rows())
    save_model_atomic(result.model, result.run_dir / "model.keras")
    write_plots(result)
    write_json(result.run_dir / "summary.json", result.summary())


def write_plots(result: RunResult) -> None:
    """Loss/accuracy curves; for two-feature classification, the decision boundary."""
    import numpy as np

    from nnfw.plots import plot_boundary, plot_history

    assert result.run_dir is not None
    plot_history(result.history.rows(), result.run_dir / "curves.png", result.title)
    data = result.data
    if data.task == "classification" and data.num_features == 2:
        x = np.concatenate([data.x_train, data.x_test])
        y = np.concatenate([data.y_train, data.y_test])
        plot_boundary(lambda points: result.model(points).numpy(), x, y,
                      result.run_dir / "boundary.png", result.title,
                      feature_names=data.feature_names, class_names=data.class_names)
