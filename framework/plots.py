"""Figures of runs: training history, decision boundaries, schedules, activations, comparisons.

Pure functions of plain Python and numpy data: nothing here imports TensorFlow,
and matplotlib is imported only when a figure is built. Each ``*_figure``
function builds a :class:`matplotlib.figure.Figure` that pyplot does not track
(so nothing leaks between calls); each ``plot_*`` function builds one and
writes it atomically to a file whose suffix picks the format (``.png``, the
default when there is no suffix, ``.svg`` or ``.pdf``), then returns the path.
"""

from __future__ import annotations

import io
import math
import sys
import textwrap
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfw.rundir import write_atomic

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 100
SINGLE_SIZE = (6.4, 4.8)  # inches: 640 x 480 pixels at DPI
DOUBLE_SIZE = (10.0, 4.4)  # two panels side by side: 1000 x 440 pixels
BOUNDARY_SIZE = (8.0, 4.8)  # room for the legend beside the map: 800 x 480 pixels
TITLE_PT, LABEL_PT, TICK_PT, LEGEND_PT = 13, 11, 10, 10
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
# Class 0 blue and class 1 red, as the lecture draws them; then the rest of matplotlib's tab10.
CLASS_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
LINE_STYLES = ("-", "--", "-.", ":")
SHADE_ALPHA = 0.18
MARKERS_UP_TO = 30  # draw point markers on curves this short, so a 1-epoch run is still visible

Rows = Sequence[Mapping[str, Any]]


# ---------------------------------------------------------------- the files


def plot_history(rows: Rows, path: str | Path, title: str, *, show: bool = False) -> Path:
    """Plot a run's history (rows as in history.csv) to ``path``; see :func:`history_figure`.

    ``show=True`` also opens the figure with pyplot's current backend after writing it.
    """
    target = _output_path(path)
    return _save(history_figure(rows, title), target, show)


def plot_boundary(predict: Callable[[np.ndarray], Any], x: np.ndarray, y: np.ndarray, path: str | Path,
                  title: str, feature_names: Sequence[str] = ("x1", "x2"),
                  class_names: tuple[str, ...] = (), resolution: int = 200, *,
                  show: bool = False) -> Path:
    """Plot a 2-feature classifier's decision boundary and data to ``path``; see :func:`boundary_figure`.

    Raises ValueError when ``x`` does not have exactly 2 columns.
    """
    target = _output_path(path)
    figure = boundary_figure(predict, x, y, title, feature_names, class_names, resolution)
    return _save(figure, target, show)


def plot_schedule(steps_or_epochs: np.ndarray, lrs: np.ndarray, path: str | Path, title: str,
                  xlabel: str = "epoch", *, show: bool = False) -> Path:
    """Plot a learning rate against epoch (or step) to ``path``; see :func:`schedule_figure`."""
    target = _output_path(path)
    return _save(schedule_figure(steps_or_epochs, lrs, title, xlabel), target, show)


def plot_activations(curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]], path: str | Path,
                     title: str, *, show: bool = False) -> Path:
    """Plot activation functions and their derivatives to ``path``; see :func:`activations_figure`."""
    target = _output_path(path)
    return _save(activations_figure(curves, title), target, show)


def plot_comparison(runs: Mapping[str, Rows], path_loss: str | Path, path_accuracy: str | Path | None,
                    title: str, *, diverged: Collection[str] = (), show: bool = False) -> list[Path]:
    """Plot several runs' training loss (and test accuracy) curves; see :func:`comparison_figures`.

    Returns the paths written: the loss figure, then the accuracy figure if one was
    drawn (some run has test accuracy and ``path_accuracy`` is given).
    """
    loss_target = _output_path(path_loss)
    accuracy_target = None if path_accuracy is None else _output_path(path_accuracy)
    loss_figure, accuracy_figure = comparison_figures(runs, title, diverged=diverged,
                                                      accuracy=accuracy_target is not None)
    written = [_save(loss_figure, loss_target, show)]
    if accuracy_figure is not None and accuracy_target is not None:
        written.append(_save(accuracy_figure, accuracy_target, show))
    return written


# ---------------------------------------------------------------- the figures


def history_figure(rows: Rows, title: str) -> Figure:
    """Loss against epoch (training, and test if present), and test accuracy in a second panel if present.

    ``rows`` are dicts with ``epoch``, ``loss`` and optionally ``test_loss``,
    ``test_accuracy``, ``lr`` (numbers, or strings as read from a CSV). Non-finite
    values leave gaps; the first epoch whose loss is not finite is marked as the
    divergence. The loss axis is logarithmic when its values span over 2 decades.
    """
    epochs = _column(rows, "epoch")
    if epochs is None:
        epochs = np.arange(len(rows), dtype=float)
    accuracy = _column(rows, "test_accuracy")
    figure, axes = _new_figure(DOUBLE_SIZE if accuracy is not None else SINGLE_SIZE,
                               2 if accuracy is not None else 1)
    ax = axes[0]
    series = [(label, values) for label, values in
              (("training loss", _column(rows, "loss")), ("test loss", _column(rows, "test_loss")))
              if values is not None]
    for index, (label, values) in enumerate(series):
        _curve(ax, epochs, values, label=label, color=CLASS_COLOURS[index], linestyle=LINE_STYLES[index])
    train_loss = series[0][1] if series else None
    if train_loss is not None and not np.isfinite(train_loss).all():
        first_bad = float(epochs[int(np.argmin(np.isfinite(train_loss)))])
        ax.axvline(first_bad, color="0.35", linestyle=":", linewidth=1.5,
                   label=f"diverged at epoch {first_bad:g}")
    if not rows:
        _note(ax, "no epochs recorded")
    log = _log_scale_if_wide(ax, [values for _, values in series])
    _label(ax, "epoch", "loss (dimensionless, log scale)" if log else "loss (dimensionless)")
    _legend(ax)
    if accuracy is None:
        _title(ax, title, SINGLE_SIZE[0])
        return figure
    ax.set_title("loss", fontsize=LABEL_PT)
    acc_ax = axes[1]
    _curve(acc_ax, epochs, accuracy, label="test accuracy", color=CLASS_COLOURS[2])
    acc_ax.set_ylim(-0.03, 1.03)
    _label(acc_ax, "epoch", "test accuracy (fraction correct)")
    acc_ax.set_title("test accuracy", fontsize=LABEL_PT)
    _title(figure, title, DOUBLE_SIZE[0])
    return figure


def boundary_grid(predict: Callable[[np.ndarray], Any], x: np.ndarray, resolution: int = 200,
                  pad: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate ``predict`` on a grid over the data's range, padded by ``pad`` of the range on each side.

    ``predict`` gets one float32 array of shape (resolution**2, 2). Returns
    ``xx, yy`` of shape (resolution, resolution), as from ``np.meshgrid``, and
    ``zz``: the outputs, of shape (resolution, resolution) for a single output
    (shape (n,) or (n, 1)) or (resolution, resolution, k) for k outputs (n, k).
    Raises ValueError for ``x`` not of 2 columns, empty or non-finite ``x``, a
    resolution below 2, or outputs of the wrong shape.
    """
    data = _two_features(x)
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, not {resolution}")
    ranges = []
    for column in data.T:
        low, high = float(column.min()), float(column.max())
        span = high - low if high > low else max(abs(low), 1.0)
        ranges.append(np.linspace(low - pad * span, high + pad * span, resolution))
    xx, yy = np.meshgrid(*ranges)
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)
    outputs = np.asarray(predict(grid), dtype=float)
    if outputs.ndim == 1:
        outputs = outputs[:, None]
    if outputs.ndim != 2 or outputs.shape[0] != len(grid) or outputs.shape[1] < 1:
        raise ValueError(f"predict must return shape ({len(grid)}, 1) or ({len(grid)}, k) for "
                         f"{len(grid)} points, not {outputs.shape}")
    zz = outputs.reshape(resolution, resolution, outputs.shape[1])
    return xx, yy, (zz[..., 0] if zz.shape[2] == 1 else zz)


def boundary_figure(predict: Callable[[np.ndarray], Any], x: np.ndarray, y: np.ndarray, title: str,
                    feature_names: Sequence[str] = ("x1", "x2"), class_names: tuple[str, ...] = (),
                    resolution: int = 200) -> Figure:
    """The data points coloured by class over the model's decision regions and boundary.

    ``predict`` maps an (n, 2) float32 array to (n, 1) outputs (class 1 where
    above 0.5: the 0.5 contour is drawn, as the lecture's
    ``plt.contour(xx, yy, probs, levels=[.5])``) or to (n, k) class scores (the
    argmax regions and their borders are drawn). ``y`` holds class indices
    (shape (n,) or (n, 1)) or one-hot rows. Points: class 0 blue, class 1 red.
    """
    data = _two_features(x)
    if len(feature_names) != 2:
        raise ValueError(f"feature_names must name 2 features, not {len(feature_names)}")
    labels = _class_labels(y, len(data))
    xx, yy, zz = boundary_grid(predict, data, resolution)
    outputs = 1 if zz.ndim == 2 else zz.shape[2]
    count = max(2, outputs, len(class_names), int(labels.max()) + 1 if labels.size else 0)
    names = [_plain(class_names[i]) if i < len(class_names) else f"class {i}" for i in range(count)]
    colours = [CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(count)]
    figure, (ax,) = _new_figure(BOUNDARY_SIZE)
    if outputs == 1:
        regions = np.where(np.isfinite(zz), (zz > 0.5).astype(float), np.nan)
        borders = [zz]
        border_label = "boundary: prediction = 0.5"
    else:
        finite = np.isfinite(zz).all(axis=2)
        regions = np.where(finite, np.argmax(np.where(finite[..., None], zz, 0.0), axis=2), np.nan)
        borders = [np.where(np.isnan(regions), np.nan, (regions == c).astype(float)) for c in range(outputs)]
        border_label = "boundary between predicted classes"
    handles = []
    if np.isfinite(regions).any():
        _shade_regions(ax, xx, yy, regions, colours)
        from matplotlib.patches import Patch
        handles += [Patch(facecolor=colours[c], alpha=SHADE_ALPHA * 2, label=f"predicted {names[c]}")
                    for c in range(max(outputs, 2))]
    else:
        _note(ax, "model output is not finite")
    if any([_contour(ax, xx, yy, values) for values in borders]):
        from matplotlib.lines import Line2D
        handles.append(Line2D([], [], color="black", linewidth=1.5, label=border_label))
    for c in range(count):
        chosen = labels == c
        if chosen.any():
            handles.append(ax.scatter(data[chosen, 0], data[chosen, 1], s=16, color=colours[c],
                                      edgecolors="black", linewidths=0.3, label=names[c], zorder=3))
    ax.set_xlim(xx[0, 0], xx[0, -1])
    ax.set_ylim(yy[0, 0], yy[-1, 0])
    _label(ax, _plain(feature_names[0]), _plain(feature_names[1]))
    ax.grid(False)
    ax.legend(handles=handles, fontsize=LEGEND_PT, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)
    _title(figure, title, BOUNDARY_SIZE[0])
    return figure


def schedule_figure(steps_or_epochs: np.ndarray, lrs: np.ndarray, title: str,
                    xlabel: str = "epoch") -> Figure:
    """The learning rate against epoch (or step); ``title`` should carry the formula and its values."""
    steps, rates = _same_length(steps_or_epochs, lrs, "steps_or_epochs", "lrs")
    figure, (ax,) = _new_figure(SINGLE_SIZE)
    _curve(ax, steps, rates, label="learning rate", color=CLASS_COLOURS[0])
    log = _log_scale_if_wide(ax, [rates])
    _label(ax, _plain(xlabel), "learning rate (dimensionless" + (", log scale)" if log else ")"))
    _title(ax, title, SINGLE_SIZE[0])
    return figure


def activations_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                       title: str) -> Figure:
    """Each activation ``name: (x, f(x), f'(x))``: the functions in one panel, the derivatives in another.

    The y axes are not clipped (the sigmoid's derivative peaks at 0.25); zero lines are drawn.
    """
    figure, (f_ax, d_ax) = _new_figure(DOUBLE_SIZE, 2)
    for ax in (f_ax, d_ax):
        ax.axhline(0.0, color="0.45", linewidth=0.8, zorder=1)
        ax.axvline(0.0, color="0.45", linewidth=0.8, zorder=1)
    for index, (name, (x, f, df)) in enumerate(curves.items()):
        xs, fs = _same_length(x, f, f"{name}: x", "f(x)")
        _, dfs = _same_length(x, df, f"{name}: x", "f'(x)")
        style = {"label": _plain(name), "color": CLASS_COLOURS[index % len(CLASS_COLOURS)],
                 "linestyle": LINE_STYLES[index % len(LINE_STYLES)], "linewidth": 2.0}
        _curve(f_ax, xs, fs, **style)
        _curve(d_ax, xs, dfs, **style)
    if not curves:
        _note(f_ax, "no activations given")
    _label(f_ax, "x (input, dimensionless)", "f(x) (output, dimensionless)")
    _label(d_ax, "x (input, dimensionless)", "f'(x) = df/dx (dimensionless)")
    f_ax.set_title("activation f(x)", fontsize=LABEL_PT)
    d_ax.set_title("derivative f'(x)", fontsize=LABEL_PT)
    _legend(f_ax, minimum=1)
    _legend(d_ax, minimum=1)
    _title(figure, title, DOUBLE_SIZE[0])
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
    colours = _run_colours(len(runs))
    loss_figure, (loss_ax,) = _new_figure(SINGLE_SIZE)
    accuracies = {name: _column(rows, "test_accuracy") for name, rows in runs.items()}
    accuracy_ax = None
    accuracy_figure = None
    if accuracy and any(values is not None for values in accuracies.values()):
        accuracy_figure, (accuracy_ax,) = _new_figure(SINGLE_SIZE)
    losses = []
    for index, (name, rows) in enumerate(runs.items()):
        epochs = _column(rows, "epoch")
        epochs = np.arange(len(rows), dtype=float) if epochs is None else epochs
        loss = _column(rows, "loss")
        loss = np.full(len(rows), np.nan) if loss is None else loss
        losses.append(loss)
        is_diverged = name in diverged or not np.isfinite(loss).all()
        label = _plain(name) + (" (diverged)" if is_diverged else "")
        style = {"color": colours[index], "linestyle": LINE_STYLES[(index // 10) % len(LINE_STYLES)]}
        _curve(loss_ax, epochs, loss, label=label, **style)
        finite = np.flatnonzero(np.isfinite(loss))
        if is_diverged and finite.size:
            loss_ax.plot(epochs[finite[-1]], loss[finite[-1]], marker="x", markersize=9,
                         markeredgewidth=2, color=colours[index], linestyle="none")
        if accuracy_ax is not None and accuracies[name] is not None:
            _curve(accuracy_ax, epochs, accuracies[name], label=label, **style)
    if not runs:
        _note(loss_ax, "no runs to compare")
    log = _log_scale_if_wide(loss_ax, losses)
    _label(loss_ax, "epoch", "training loss (dimensionless" + (", log scale)" if log else ")"))
    _legend(loss_ax, minimum=1)
    _title(loss_ax, f"{title}: training loss", SINGLE_SIZE[0])
    if accuracy_ax is not None:
        accuracy_ax.set_ylim(-0.03, 1.03)
        _label(accuracy_ax, "epoch", "test accuracy (fraction correct)")
        _legend(accuracy_ax, minimum=1)
        _title(accuracy_ax, f"{title}: test accuracy", SINGLE_SIZE[0])
    return loss_figure, accuracy_figure


# ---------------------------------------------------------------- helpers


def _output_path(path: str | Path) -> Path:
    """The file to write: the suffix picks the format, no suffix means .png."""
    target = Path(path)
    if not target.suffix:
        target = target.with_name(target.name + ".png")
    if target.suffix.lower() not in FORMATS:
        raise ValueError(f"cannot write {str(target)!r}: the file name must end in "
                         f"{', '.join(FORMATS)}")
    return target


def _save(figure: Figure, path: Path, show: bool) -> Path:
    """Render ``figure`` in the format ``path`` names and write it atomically; show it if asked."""
    import matplotlib

    if not show and "matplotlib.pyplot" not in sys.modules:
        # Non-interactive unless asked. Once pyplot is imported, the caller chose its backend:
        # switching it would close their figures, and ours never go through pyplot anyway.
        matplotlib.use("Agg")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=FORMATS[path.suffix.lower()], dpi=DPI)
    write_atomic(path, buffer.getvalue())
    if show:
        import matplotlib.pyplot as plt

        plt.figure(figure)  # adopt the untracked figure, so the backend can open it
        plt.show()
        plt.close(figure)
    return path


def _new_figure(size: tuple[float, float], columns: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure pyplot does not track, with constrained layout, readable ticks and panels sharing x."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = list(figure.subplots(1, columns, squeeze=False, sharex=True)[0])
    for ax in axes:
        ax.tick_params(labelsize=TICK_PT)
        ax.grid(True, alpha=0.3)
    return figure, axes


def _plain(text: object) -> str:
    """Text shown literally: a ``$`` would otherwise start matplotlib's math mode."""
    return str(text).replace("$", r"\$")


def _title(target: Any, text: str, width_inches: float) -> None:
    """Set a title on an Axes or a Figure, wrapped to fit ``width_inches``."""
    characters = max(20, int(width_inches * 72 / (TITLE_PT * 0.6)))
    wrapped = "\n".join(textwrap.fill(line, characters) or line for line in _plain(text).splitlines())
    if hasattr(target, "suptitle"):
        target.suptitle(wrapped, fontsize=TITLE_PT)
    else:
        target.set_title(wrapped, fontsize=TITLE_PT)


def _label(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel, fontsize=LABEL_PT)
    ax.set_ylabel(ylabel, fontsize=LABEL_PT)


def _legend(ax: Axes, minimum: int = 2) -> None:
    """A legend when the axes have at least ``minimum`` labelled artists."""
    if len(ax.get_legend_handles_labels()[1]) >= minimum:
        ax.legend(fontsize=LEGEND_PT, loc="best")


def _note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=LABEL_PT,
            color="0.3")


def _curve(ax: Axes, x: np.ndarray, y: np.ndarray, **style: Any) -> None:
    """Plot y against x, leaving gaps where y is not finite; markers when there are few points.

    Whole-number x (epochs, steps) gets whole-number ticks.
    """
    values = np.where(np.isfinite(y), y, np.nan)
    if len(x) <= MARKERS_UP_TO:
        style.setdefault("marker", "o")
        style.setdefault("markersize", 4)
    ax.plot(x, values, **style)
    if len(x) and np.all(np.mod(x, 1) == 0):  # epochs and steps: no ticks at 0.2 of an epoch
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def _log_scale_if_wide(ax: Axes, series: Sequence[np.ndarray | None]) -> bool:
    """Use a log y axis when the finite values are all positive and span more than 2 decades."""
    arrays = [np.asarray(values, dtype=float).ravel() for values in series if values is not None]
    values = np.concatenate(arrays) if arrays else np.empty(0)
    values = values[np.isfinite(values)]
    if values.size and (values > 0).all() and values.max() / values.min() > 100:
        ax.set_yscale("log")
        return True
    return False


def _column(rows: Rows, key: str) -> np.ndarray | None:
    """One metric as floats (nan where missing or unreadable); None when no row has it."""
    if not any(row.get(key) not in (None, "") for row in rows):
        return None
    return np.array([_number(row.get(key)) for row in rows], dtype=float)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _same_length(first: Any, second: Any, first_name: str, second_name: str) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(first, dtype=float).ravel()
    b = np.asarray(second, dtype=float).ravel()
    if len(a) != len(b):
        raise ValueError(f"{first_name} and {second_name} differ in length: {len(a)} and {len(b)}")
    return a, b


def _two_features(x: np.ndarray) -> np.ndarray:
    data = np.asarray(x, dtype=float)
    if data.ndim != 2 or data.shape[1] != 2:
        raise ValueError(f"a decision boundary needs exactly 2 features: x has shape {data.shape}")
    if not len(data) or not np.isfinite(data).all():
        raise ValueError("a decision boundary needs some data, all finite")
    return data


def _class_labels(y: np.ndarray, rows: int) -> np.ndarray:
    """Class indices from indices of shape (n,) or (n, 1), or from one-hot rows."""
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    labels = labels.reshape(-1)
    if len(labels) != rows:
        raise ValueError(f"y has {len(labels)} labels for {rows} rows of x")
    labels = np.rint(labels.astype(float))
    if labels.size and (not np.isfinite(labels).all() or labels.min() < 0):
        raise ValueError("class labels must be non-negative integers")
    return labels.astype(int)


def _shade_regions(ax: Axes, xx: np.ndarray, yy: np.ndarray, regions: np.ndarray,
                   colours: Sequence[str]) -> None:
    """Lightly fill each predicted class's region (``regions`` holds class indices, nan for unknown)."""
    levels = np.arange(len(colours) + 1) - 0.5
    ax.contourf(xx, yy, np.ma.masked_invalid(regions), levels=levels, colors=list(colours),
                alpha=SHADE_ALPHA, zorder=1)


def _contour(ax: Axes, xx: np.ndarray, yy: np.ndarray, values: np.ndarray) -> bool:
    """Draw the 0.5 contour of ``values`` if it crosses 0.5 anywhere; return whether it was drawn."""
    finite = values[np.isfinite(values)]
    if not finite.size or finite.min() >= 0.5 or finite.max() <= 0.5:
        return False
    ax.contour(xx, yy, np.ma.masked_invalid(values), levels=[0.5], colors="black", linewidths=1.5,
               zorder=2)
    return True


def _run_colours(count: int) -> list[Any]:
    """One colour per run: tab10's, repeating (with another line style) past ten."""
    import matplotlib

    palette = matplotlib.colormaps["tab10"].colors
    return [palette[i % len(palette)] for i in range(count)]
