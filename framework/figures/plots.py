"""Figures of runs as files: history, schedules, activations, decision boundaries, comparisons.

The decision boundary's figure is built in :mod:`nnfw.figures.boundary`, the others here.

Pure functions of plain Python and numpy data: nothing here imports TensorFlow,
and matplotlib is imported only when a figure is built. Each ``*_figure``
function builds a :class:`matplotlib.figure.Figure` that pyplot does not track
(so nothing leaks between calls); each ``plot_*`` function builds one and
writes it atomically to a file whose suffix picks the format (``.png``, the
default when there is no suffix, ``.svg`` or ``.pdf``), then returns the path.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfw.figures.boundary import boundary_figure
from nnfw.figures.style import (
    CLASS_COLOURS,
    DOUBLE_SIZE,
    LABEL_PT,
    LINE_STYLES,
    SINGLE_SIZE,
    Rows,
    draw_curve,
    figure_path,
    literal,
    log_scale_if_wide,
    metric_column,
    new_figure,
    put_labels,
    put_legend,
    put_note,
    put_title,
    run_colours,
    save_figure,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_history(rows: Rows, path: str | Path, title: str, *, show: bool = False) -> Path:
    """Plot a run's history (rows as in history.csv) to ``path``; see :func:`history_figure`.

    ``show=True`` also opens the figure with pyplot's current backend after writing it.
    """
    target = figure_path(path)
    return save_figure(history_figure(rows, title), target, show)


def plot_boundary(predict: Callable[[np.ndarray], Any], x: np.ndarray, y: np.ndarray, path: str | Path,
                  title: str, feature_names: Sequence[str] = ("x1", "x2"),
                  class_names: tuple[str, ...] = (), resolution: int = 200, *,
                  show: bool = False) -> Path:
    """Plot a 2-feature classifier's decision boundary and data to ``path``; see :func:`boundary_figure`.

    Raises ValueError when ``x`` does not have exactly 2 columns.
    """
    target = figure_path(path)
    figure = boundary_figure(predict, x, y, title, feature_names, class_names, resolution)
    return save_figure(figure, target, show)


def plot_schedule(steps_or_epochs: np.ndarray, lrs: np.ndarray, path: str | Path, title: str,
                  xlabel: str = "epoch", *, show: bool = False) -> Path:
    """Plot a learning rate against epoch (or step) to ``path``; see :func:`schedule_figure`."""
    target = figure_path(path)
    return save_figure(schedule_figure(steps_or_epochs, lrs, title, xlabel), target, show)


def plot_activations(curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]], path: str | Path,
                     title: str, *, show: bool = False) -> Path:
    """Plot activation functions and their derivatives to ``path``; see :func:`activations_figure`."""
    target = figure_path(path)
    return save_figure(activations_figure(curves, title), target, show)


def plot_comparison(runs: Mapping[str, Rows], path_loss: str | Path, path_accuracy: str | Path | None,
                    title: str, *, diverged: Collection[str] = (), show: bool = False) -> list[Path]:
    """Plot several runs' training loss (and test accuracy) curves; see :func:`comparison_figures`.

    Returns the paths written: the loss figure, then the accuracy figure if one was
    drawn (some run has test accuracy and ``path_accuracy`` is given).
    """
    loss_target = figure_path(path_loss)
    accuracy_target = None if path_accuracy is None else figure_path(path_accuracy)
    loss_figure, accuracy_figure = comparison_figures(runs, title, diverged=diverged,
                                                      accuracy=accuracy_target is not None)
    written = [save_figure(loss_figure, loss_target, show)]
    if accuracy_figure is not None and accuracy_target is not None:
        written.append(save_figure(accuracy_figure, accuracy_target, show))
    return written


def history_figure(rows: Rows, title: str) -> Figure:
    """Loss against epoch (training, and test if present), and test accuracy in a second panel if present.

    ``rows`` are dicts with ``epoch``, ``loss`` and optionally ``test_loss``,
    ``test_accuracy``, ``lr`` (numbers, or strings as read from a CSV). Non-finite
    values leave gaps; the first epoch whose loss is not finite is marked as the
    divergence. The loss axis is logarithmic when its values span over 2 decades.
    """
    epochs = metric_column(rows, "epoch")
    if epochs is None:
        epochs = np.arange(len(rows), dtype=float)
    accuracy = metric_column(rows, "test_accuracy")
    figure, axes = new_figure(DOUBLE_SIZE if accuracy is not None else SINGLE_SIZE,
                               2 if accuracy is not None else 1)
    ax = axes[0]
    series = [(label, values) for label, values in
              (("training loss", metric_column(rows, "loss")),
               ("test loss", metric_column(rows, "test_loss")))
              if values is not None]
    for index, (label, values) in enumerate(series):
        draw_curve(ax, epochs, values, label=label, color=CLASS_COLOURS[index], linestyle=LINE_STYLES[index])
    train_loss = series[0][1] if series else None
    if train_loss is not None and not np.isfinite(train_loss).all():
        first_bad = float(epochs[int(np.argmin(np.isfinite(train_loss)))])
        ax.axvline(first_bad, color="0.35", linestyle=":", linewidth=1.5,
                   label=f"diverged at epoch {first_bad:g}")
    if not rows:
        put_note(ax, "no epochs recorded")
    log = log_scale_if_wide(ax, [values for _, values in series])
    put_labels(ax, "epoch", "loss (dimensionless, log scale)" if log else "loss (dimensionless)")
    put_legend(ax)
    if accuracy is None:
        put_title(ax, title, SINGLE_SIZE[0])
        return figure
    ax.set_title("loss", fontsize=LABEL_PT)
    acc_ax = axes[1]
    draw_curve(acc_ax, epochs, accuracy, label="test accuracy", color=CLASS_COLOURS[2])
    acc_ax.set_ylim(-0.03, 1.03)
    put_labels(acc_ax, "epoch", "test accuracy (fraction correct)")
    acc_ax.set_title("test accuracy", fontsize=LABEL_PT)
    put_title(figure, title, DOUBLE_SIZE[0])
    return figure


def schedule_figure(steps_or_epochs: np.ndarray, lrs: np.ndarray, title: str,
                    xlabel: str = "epoch") -> Figure:
    """The learning rate against epoch (or step); ``title`` should carry the formula and its values."""
    steps, rates = _same_length(steps_or_epochs, lrs, "steps_or_epochs", "lrs")
    figure, (ax,) = new_figure(SINGLE_SIZE)
    draw_curve(ax, steps, rates, label="learning rate", color=CLASS_COLOURS[0])
    log = log_scale_if_wide(ax, [rates])
    put_labels(ax, literal(xlabel), "learning rate (dimensionless" + (", log scale)" if log else ")"))
    put_title(ax, title, SINGLE_SIZE[0])
    return figure


def activations_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                       title: str) -> Figure:
    """Each activation ``name: (x, f(x), f'(x))``: the functions in one panel, the derivatives in another.

    The y axes are not clipped (the sigmoid's derivative peaks at 0.25); zero lines are drawn.
    """
    figure, (f_ax, d_ax) = new_figure(DOUBLE_SIZE, 2)
    for ax in (f_ax, d_ax):
        ax.axhline(0.0, color="0.45", linewidth=0.8, zorder=1)
        ax.axvline(0.0, color="0.45", linewidth=0.8, zorder=1)
    for index, (name, (x, f, df)) in enumerate(curves.items()):
        xs, fs = _same_length(x, f, f"{name}: x", "f(x)")
        _, dfs = _same_length(x, df, f"{name}: x", "f'(x)")
        style = {"label": literal(name), "color": CLASS_COLOURS[index % len(CLASS_COLOURS)],
                 "linestyle": LINE_STYLES[index % len(LINE_STYLES)], "linewidth": 2.0}
        draw_curve(f_ax, xs, fs, **style)
        draw_curve(d_ax, xs, dfs, **style)
    if not curves:
        put_note(f_ax, "no activations given")
    put_labels(f_ax, "x (input, dimensionless)", "f(x) (output, dimensionless)")
    put_labels(d_ax, "x (input, dimensionless)", "f'(x) = df/dx (dimensionless)")
    f_ax.set_title("activation f(x)", fontsize=LABEL_PT)
    d_ax.set_title("derivative f'(x)", fontsize=LABEL_PT)
    put_legend(f_ax, minimum=1)
    put_legend(d_ax, minimum=1)
    put_title(figure, title, DOUBLE_SIZE[0])
    return figure


def comparison_figures(runs: Mapping[str, Rows], title: str, *, diverged: Collection[str] = (),
                       accuracy: bool = True) -> tuple[Figure, Figure | None]:
    """Every run's training loss in one figure; every run's test accuracy in another.

    ``runs`` maps what differs between the runs (the legend) to history rows.
    The loss axis is logarithmic when its positive values span over 2 decades. A
    run is marked "(diverged)" when it is named in ``diverged`` or its loss is
    not finite somewhere; it is drawn where finite, with an x at its last finite
    loss. The accuracy figure is None when ``accuracy`` is false or no run has
    test accuracy.
    """
    colours = run_colours(len(runs))
    loss_figure, (loss_ax,) = new_figure(SINGLE_SIZE)
    accuracies = {name: metric_column(rows, "test_accuracy") for name, rows in runs.items()}
    accuracy_ax = None
    accuracy_figure = None
    if accuracy and any(values is not None for values in accuracies.values()):
        accuracy_figure, (accuracy_ax,) = new_figure(SINGLE_SIZE)
    losses = []
    for index, (name, rows) in enumerate(runs.items()):
        epochs = metric_column(rows, "epoch")
        epochs = np.arange(len(rows), dtype=float) if epochs is None else epochs
        loss = metric_column(rows, "loss")
        loss = np.full(len(rows), np.nan) if loss is None else loss
        losses.append(loss)
        is_diverged = name in diverged or not np.isfinite(loss).all()
        label = literal(name) + (" (diverged)" if is_diverged else "")
        style = {"color": colours[index], "linestyle": LINE_STYLES[(index // 10) % len(LINE_STYLES)]}
        draw_curve(loss_ax, epochs, loss, label=label, **style)
        finite = np.flatnonzero(np.isfinite(loss))
        if is_diverged and finite.size:
            loss_ax.plot(epochs[finite[-1]], loss[finite[-1]], marker="x", markersize=9,
                         markeredgewidth=2, color=colours[index], linestyle="none")
        if accuracy_ax is not None and accuracies[name] is not None:
            draw_curve(accuracy_ax, epochs, accuracies[name], label=label, **style)
    if not runs:
        put_note(loss_ax, "no runs to compare")
    log = log_scale_if_wide(loss_ax, losses)
    put_labels(loss_ax, "epoch", "training loss (dimensionless" + (", log scale)" if log else ")"))
    put_legend(loss_ax, minimum=1)
    put_title(loss_ax, f"{title}: training loss", SINGLE_SIZE[0])
    if accuracy_ax is not None:
        accuracy_ax.set_ylim(-0.03, 1.03)
        put_labels(accuracy_ax, "epoch", "test accuracy (fraction correct)")
        put_legend(accuracy_ax, minimum=1)
        put_title(accuracy_ax, f"{title}: test accuracy", SINGLE_SIZE[0])
    return loss_figure, accuracy_figure


def _same_length(first: Any, second: Any, first_name: str, second_name: str) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(first, dtype=float).ravel()
    b = np.asarray(second, dtype=float).ravel()
    if len(a) != len(b):
        raise ValueError(f"{first_name} and {second_name} differ in length: {len(a)} and {len(b)}")
    return a, b
