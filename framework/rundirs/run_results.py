"""What a run writes in its directory at the end: history, what the data set learnt, model,
figures, TensorBoard's event files, and last the summary that marks the run written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnfw.rundirs.rundir import (
    BOUNDARY,
    CURVES,
    HISTORY_CSV,
    MODEL,
    PREPROCESSING,
    SUMMARY,
    TENSORBOARD,
    metric_figure,
    save_model_atomic,
    write_csv,
    write_json,
)
from nnfw.rundirs.tensorboard import write_tensorboard
from nnfw.rundirs.trained import preprocessing_record

if TYPE_CHECKING:
    from nnfw.training.runner import RunResult


def write_run(result: RunResult) -> None:
    """Write the run directory's results: history, what the data set learnt (to read new
    rows as it did), model, plots and summary."""
    assert result.run_dir is not None
    write_csv(result.run_dir / HISTORY_CSV, result.history.rows())
    write_json(result.run_dir / PREPROCESSING,
               preprocessing_record(result.data, result.settings, result.model))
    save_model_atomic(result.model, result.run_dir / MODEL)
    write_plots(result)
    write_tensorboard(result.run_dir / TENSORBOARD, result.history)
    write_json(result.run_dir / SUMMARY, result.summary())  # last: marks the run written


def write_plots(result: RunResult) -> None:
    """Loss/accuracy curves; for two-feature classification, the decision boundary."""
    import numpy as np

    from nnfw.figures.matrix import plot_matrix
    from nnfw.figures.plots import plot_boundary, plot_history

    assert result.run_dir is not None
    plot_history(result.history.rows(), result.run_dir / CURVES, result.title)
    data = result.data
    for name, value in result.final_metrics.items():
        if np.ndim(value) == 2:
            plot_matrix(value, result.run_dir / metric_figure(name), f"{name}, {result.title}",
                        data.class_names)
    if data.task == "classification" and data.num_features == 2:
        x = np.concatenate([data.x_train, data.x_test])
        y = np.concatenate([data.y_train, data.y_test])
        plot_boundary(lambda points: result.model(points).numpy(), x, y,
                      result.run_dir / BOUNDARY, result.title,
                      feature_names=data.feature_names, class_names=data.class_names)
