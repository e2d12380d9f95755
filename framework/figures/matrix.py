"""A matrix-valued metric of a run (a confusion matrix) drawn as a table of shaded counts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nnfw.figures.style import LABEL_PT, SINGLE_SIZE, figure_path, literal, new_figure, put_title, save_figure

MAX_LABELLED = 30  # classes beyond this many: no number written in each cell


def plot_matrix(matrix: Sequence[Sequence[float]], path: str | Path, title: str,
                class_names: Sequence[str] = (), *, show: bool = False) -> Path:
    """Draw ``matrix`` (rows: true class, columns: predicted class) to ``path``: each cell
    shaded by its share of its row, and labelled with its count."""
    values = np.asarray(matrix, dtype=float)
    classes = values.shape[0]
    names = [literal(n) for n in class_names] if len(class_names) == classes else \
        [str(i) for i in range(classes)]
    figure, (ax,) = new_figure(SINGLE_SIZE)
    ax.grid(False)
    totals = values.sum(axis=1, keepdims=True)
    shares = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    if classes <= MAX_LABELLED:
        for (row, column), count in np.ndenumerate(values):
            ax.text(column, row, f"{count:g}", ha="center", va="center", fontsize=LABEL_PT,
                    color="white" if shares[row, column] > 0.5 else "black")
    ax.set_xticks(range(classes), names, rotation=45 if classes > 4 else 0)
    ax.set_yticks(range(classes), names)
    ax.set_xlabel("predicted class", fontsize=LABEL_PT)
    ax.set_ylabel("true class", fontsize=LABEL_PT)
    put_title(ax, title, SINGLE_SIZE[0])
    return save_figure(figure, figure_path(path), show)
