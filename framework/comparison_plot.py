"""The figures of a comparison: every run's training loss, and every run's test accuracy.

matplotlib is imported only when a figure is built; nothing here imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import numpy as np

from nnfw.figures import (
    LINE_STYLES,
    SINGLE_SIZE,
    Rows,
    draw_curve,
    literal,
    log_scale_if_wide,
    metric_column,
    new_figure,
    put_labels,
    put_legend,
    put_note,
    put_title,
    run_colours,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
