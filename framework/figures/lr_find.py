"""The figure of a learning-rate range test: loss against learning rate on a log axis.

Built with nnfw's figure helpers (an untracked matplotlib figure, written atomically);
nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnfw.figures.style import SINGLE_SIZE, new_figure, put_labels, put_legend, put_title, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from nnfw.explore.lr_find import RangeTest

RAW_COLOUR, SMOOTH_COLOUR, SUGGEST_COLOUR, STOP_COLOUR = "#9ecae1", "#1f77b4", "#2ca02c", "#d62728"


def range_test_figure(test: RangeTest) -> Figure:
    """Raw and smoothed loss against learning rate (log x axis), the suggested learning rate
    and the lowest smoothed loss marked, and the step where the test stopped, if it did."""
    figure, (ax,) = new_figure(SINGLE_SIZE)
    lrs = np.asarray(test.lrs, dtype=float)
    raw = np.asarray(test.losses, dtype=float)
    smoothed = np.asarray(test.smoothed, dtype=float)
    ax.set_xscale("log")
    ax.plot(lrs, np.where(np.isfinite(raw), raw, np.nan), color=RAW_COLOUR, linewidth=1,
            label="loss of each step")
    ax.plot(lrs, np.where(np.isfinite(smoothed), smoothed, np.nan), color=SMOOTH_COLOUR,
            linewidth=2, label=f"smoothed (moving average, beta {test.span.smoothing:g})")
    found = test.suggestion
    if found.lr is not None and found.lowest_lr is not None:
        ax.plot([found.lowest_lr], [found.lowest_loss], "o", color=SMOOTH_COLOUR,
                label=f"lowest smoothed loss, lr {found.lowest_lr:.3g}")
        ax.axvline(found.lr, color=SUGGEST_COLOUR, linestyle="--",
                   label=f"suggested lr {found.lr:.3g} (a tenth of that)")
    if test.stop_step is not None:
        ax.axvline(test.lrs[test.stop_step], color=STOP_COLOUR, linestyle=":",
                   label=f"stopped at step {test.stop_step}, lr {test.lrs[test.stop_step]:.3g}")
    _focus(ax, raw, smoothed, test.span.stop_factor)
    put_labels(ax, "learning rate (log scale)", "training loss of the step")
    put_legend(ax)
    put_title(ax, test.title, SINGLE_SIZE[0])
    return figure


def _focus(ax: Axes, raw: np.ndarray, smoothed: np.ndarray, stop_factor: float) -> None:
    """Show the losses from their lowest up to the stop threshold (or the first smoothed loss,
    if higher): an exploding step would otherwise squash the interesting part to a line."""
    finite = np.concatenate([raw[np.isfinite(raw)], smoothed[np.isfinite(smoothed)]])
    good = smoothed[np.isfinite(smoothed)]
    if not len(finite) or not len(good):
        return
    low, lowest = float(finite.min()), float(good.min())
    high = max(float(good[0]), lowest + (stop_factor - 1) * abs(lowest))
    high = min(high, float(finite.max()))
    if math.isfinite(low) and math.isfinite(high) and high > low:
        margin = 0.05 * (high - low)
        ax.set_ylim(low - margin, high + margin)


def plot_range_test(test: RangeTest, path: str | Path) -> Path:
    """Write the range test's figure to ``path`` (PNG; the suffix picks the format) atomically."""
    return save_figure(range_test_figure(test), Path(path), show=False)
