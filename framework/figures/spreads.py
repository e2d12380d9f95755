"""Figures of repeated runs: each combination's median curve with its quartiles shaded, and
the sensitivity of a result to a tuned option (``nnfw compare --seeds N [--tune OPTION]``).

As in :mod:`nnfw.compare.spreads`, a diverged run counts as the worst result: its loss as
infinite and its accuracy as 0 from the epoch it stopped at, so a band whose runs mostly
diverged leaves the figure instead of looking good.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import nnfw.figures.style as figures
from nnfw.compare.spreads import METRICS, quantiles

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nnfw.compare.tuning import Tuned
    from nnfw.training.history import History

BAND_ALPHA = 0.2


def stacked(histories: Sequence[History], metric: str, worst: float) -> np.ndarray | None:
    """One row per run of ``metric`` per epoch, padded to the longest run with ``worst`` (a run
    that stopped at a divergence), non-finite values as ``worst``; None if no run has it."""
    columns = [getattr(history, metric) for history in histories]
    if not any(columns):
        return None
    epochs = max(len(c) for c in columns)
    stack = np.full((len(columns), epochs), worst, dtype=float)
    for row, values in enumerate(columns):
        stack[row, :len(values)] = values
    stack[~np.isfinite(stack)] = worst
    return stack


def plot_bands(histories: Mapping[str, Sequence[History]], path_loss: str | Path,
               path_accuracy: str | Path, title: str) -> list[Path]:
    """Each combination's median training loss per epoch with its quartiles shaded, and the
    same for test accuracy when the runs have it; returns the paths written."""
    written = []
    for metric, target, ylabel, worst in (
            ("loss", path_loss, "training loss (dimensionless", math.inf),
            ("test_accuracy", path_accuracy, "test accuracy (fraction correct", 0.0)):
        stacks = {group: stacked(runs, metric, worst) for group, runs in histories.items()}
        if metric != "loss" and all(stack is None for stack in stacks.values()):
            continue
        figure, (ax,) = figures.new_figure(figures.SINGLE_SIZE)
        _draw_bands(ax, stacks, histories)
        if not histories:
            figures.put_note(ax, "no runs to compare")
        if metric == "loss":
            log = figures.log_scale_if_wide(ax, [s for s in stacks.values() if s is not None])
            figures.put_labels(ax, "epoch", ylabel + (", log scale)" if log else ")"))
        else:
            ax.set_ylim(-0.03, 1.03)
            figures.put_labels(ax, "epoch", ylabel + ")")
        figures.put_legend(ax, minimum=1)
        name = "training loss" if metric == "loss" else "test accuracy"
        figures.put_title(ax, f"{title}: {name}, median and quartiles", figures.SINGLE_SIZE[0])
        written.append(figures.save_figure(figure, figures.figure_path(target), False))
    return written


def _draw_bands(ax: Axes, stacks: Mapping[str, np.ndarray | None],
                histories: Mapping[str, Sequence[History]]) -> None:
    colours = figures.run_colours(len(stacks))
    for index, (group, stack) in enumerate(stacks.items()):
        if stack is None:
            continue
        epochs = np.arange(stack.shape[1], dtype=float)
        runs = len(histories[group])
        diverged = sum(not np.isfinite(h.loss).all() or len(h.loss) < stack.shape[1]
                       for h in histories[group])
        label = figures.literal(group) + (f" ({diverged}/{runs} diverged)" if diverged else "")
        colour = colours[index]
        figures.draw_curve(ax, epochs, quantiles(stack, 0.5), label=label, color=colour,
                           linestyle=figures.LINE_STYLES[(index // 10) % len(figures.LINE_STYLES)])
        low, high = quantiles(stack, 0.25), quantiles(stack, 0.75)
        shown = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(epochs, np.where(shown, low, np.nan), np.where(shown, high, np.nan),
                        color=colour, alpha=BAND_ALPHA, linewidth=0)


def plot_sensitivity(results: Sequence[Tuned], path: str | Path, title: str) -> Path:
    """The ranking metric's median (quartiles shaded) against the tuned option's values, one
    line per combination of the other options; the best value starred, values whose median is
    the worst possible (mostly diverged) marked with an x at the top. A numeric option whose
    values are positive and span a decade or more gets a log axis."""
    figure, (ax,) = figures.new_figure(figures.SINGLE_SIZE)
    option, metric = results[0].option, METRICS[results[0].metric]
    values = list(dict.fromkeys(c.value for r in results for c in r.candidates))
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    position = {v: (float(v) if numeric else float(i)) for i, v in enumerate(values)}
    colours = figures.run_colours(len(results))
    medians = []
    for index, tuned in enumerate(results):
        x = np.array([position[c.value] for c in tuned.candidates])
        spreads = [c.spread for c in tuned.candidates]
        median = np.array([s.median if s else math.nan for s in spreads])
        low = np.array([s.q1 if s else math.nan for s in spreads])
        high = np.array([s.q3 if s else math.nan for s in spreads])
        medians.append(median)
        colour = colours[index]
        ax.plot(x, np.where(np.isfinite(median), median, np.nan), marker="o", markersize=5,
                color=colour, label=figures.literal(tuned.label))
        shown = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(x, np.where(shown, low, np.nan), np.where(shown, high, np.nan), color=colour,
                        alpha=BAND_ALPHA, linewidth=0)
        worst = [c for c in tuned.candidates if c.spread is not None and not math.isfinite(c.score)]
        if worst:
            ax.plot([position[c.value] for c in worst], [0.97] * len(worst), marker="x", markersize=9,
                    markeredgewidth=2, color=colour, linestyle="none", transform=ax.get_xaxis_transform(),
                    label=figures.literal(f"{tuned.label}: diverged (median)"))
        if tuned.winner is not None:
            ax.plot(position[tuned.winner.value], tuned.winner.score, marker="*", markersize=15,
                    color=colour, linestyle="none")
    _value_axis(ax, values, position, numeric)
    log = figures.log_scale_if_wide(ax, medians)
    scale = ", log scale" if log else ""
    figures.put_labels(ax, option + (" (log scale)" if ax.get_xscale() == "log" else ""),
                       f"median {metric.label} ({metric.better} is better{scale})")
    figures.put_legend(ax, minimum=1)
    figures.put_title(ax, f"{title}: {metric.label} against {option} (best starred)", figures.SINGLE_SIZE[0])
    return figures.save_figure(figure, figures.figure_path(path), False)


def _value_axis(ax: Axes, values: Sequence[Any], position: Mapping[Any, float], numeric: bool) -> None:
    """A log axis for positive values spanning a decade or more, else evenly spaced names."""
    if not numeric:
        ax.set_xticks([position[v] for v in values], [figures.literal(v) for v in values])
        return
    numbers = [float(v) for v in values]
    if min(numbers) > 0 and max(numbers) / min(numbers) >= 10:
        ax.set_xscale("log")
