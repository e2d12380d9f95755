"""What every nnfw figure shares: sizes, fonts and colours, a figure pyplot does not track,
curves with gaps where values are not finite, log axes where values span decades, and
writing the figure atomically in the format its file name asks for.

matplotlib is imported only inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

import io
import math
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfw.rundirs.rundir import write_atomic

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


def figure_path(path: str | Path) -> Path:
    """The file to write: the suffix picks the format, no suffix means .png."""
    target = Path(path)
    if not target.suffix:
        target = target.with_name(target.name + ".png")
    if target.suffix.lower() not in FORMATS:
        raise ValueError(f"cannot write {str(target)!r}: the file name must end in "
                         f"{', '.join(FORMATS)}")
    return target


def save_figure(figure: Figure, path: Path, show: bool) -> Path:
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


def new_figure(size: tuple[float, float], columns: int = 1) -> tuple[Figure, list[Axes]]:
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


def literal(text: object) -> str:
    """Text shown literally: a ``$`` would otherwise start matplotlib's math mode."""
    return str(text).replace("$", r"\$")


def put_title(target: Any, text: str, width_inches: float) -> None:
    """Set a title on an Axes or a Figure, wrapped to fit ``width_inches``."""
    characters = max(20, int(width_inches * 72 / (TITLE_PT * 0.6)))
    wrapped = "\n".join(textwrap.fill(line, characters) or line for line in literal(text).splitlines())
    if hasattr(target, "suptitle"):
        target.suptitle(wrapped, fontsize=TITLE_PT)
    else:
        target.set_title(wrapped, fontsize=TITLE_PT)


def put_labels(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel, fontsize=LABEL_PT)
    ax.set_ylabel(ylabel, fontsize=LABEL_PT)


def put_legend(ax: Axes, minimum: int = 2) -> None:
    """A legend when the axes have at least ``minimum`` labelled artists."""
    if len(ax.get_legend_handles_labels()[1]) >= minimum:
        ax.legend(fontsize=LEGEND_PT, loc="best")


def put_note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=LABEL_PT,
            color="0.3")


def draw_curve(ax: Axes, x: np.ndarray, y: np.ndarray, **style: Any) -> None:
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


def log_scale_if_wide(ax: Axes, series: Sequence[np.ndarray | None]) -> bool:
    """Use a log y axis when the finite values are all positive and span more than 2 decades."""
    arrays = [np.asarray(values, dtype=float).ravel() for values in series if values is not None]
    values = np.concatenate(arrays) if arrays else np.empty(0)
    values = values[np.isfinite(values)]
    if values.size and (values > 0).all() and values.max() / values.min() > 100:
        ax.set_yscale("log")
        return True
    return False


def metric_column(rows: Rows, key: str) -> np.ndarray | None:
    """One metric as floats (nan where missing or unreadable); None when no row has it."""
    if not any(row.get(key) not in (None, "") for row in rows):
        return None
    return np.array([as_number(row.get(key)) for row in rows], dtype=float)


def as_number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def run_colours(count: int) -> list[Any]:
    """One colour per run: tab10's, repeating (with another line style) past ten."""
    import matplotlib

    palette = matplotlib.colormaps["tab10"].colors
    return [palette[i % len(palette)] for i in range(count)]
