"""Figures of ``nnfw paths``: optimizers' paths over a function's contours, or along its curve.

Built from numpy data only (the paths and the function on a grid, which
:func:`nnfw.explore.paths.surface` computes); nothing here imports TensorFlow. A ``.png``,
``.svg`` or ``.pdf`` file gets the whole paths; a ``.gif`` an animation of them, drawn
step by step and put together by Pillow. Every file is written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfw.figures.style import (
    FORMATS,
    LINE_STYLES,
    SINGLE_SIZE,
    new_figure,
    put_labels,
    put_title,
    run_colours,
    save_figure,
)
from nnfw.number_format import values_text
from nnfw.rundirs.rundir import write_atomic

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from nnfw.explore.paths import OptimizerPath, PathsResult

SUFFIXES = (*FORMATS, ".gif")
MAX_FRAMES = 100  # a GIF shows at most this many steps (evenly spread), so it stays small
FRAME_MS, HOLD_MS = 70, 2000  # how long each frame shows, and the last one
LOG_SPAN = 100.0  # contour levels are log-spaced when the values span more than this factor
LEVELS = 20


def output_path(path: str | Path) -> Path:
    """The file to write; ValueError unless its suffix is one nnfw paths writes."""
    target = Path(path)
    if target.suffix.lower() not in SUFFIXES:
        raise ValueError(f"-o {str(target)!r}: the file name must end in {', '.join(SUFFIXES)}")
    return target


def plot_paths(result: PathsResult, grid: Sequence[np.ndarray], path: str | Path) -> Path:
    """Draw the paths over ``grid`` (from :func:`nnfw.explore.paths.surface`) to ``path``: a still
    figure, or an animation for ``.gif``. Returns the path written."""
    target = output_path(path)
    figure, lines = paths_figure(result, grid)
    if target.suffix.lower() != ".gif":
        lines.show(None)
        return save_figure(figure, target, show=False)
    _save_animation(figure, lines, target)
    return target


def paths_figure(result: PathsResult, grid: Sequence[np.ndarray]) -> tuple[Figure, Lines]:
    """The figure with the function drawn and each optimizer's path (a :class:`Lines`, whose
    ``show(step)`` draws the paths up to that step) with its end point, and the minima."""
    figure, (ax,) = new_figure(SINGLE_SIZE)
    objective = result.objective
    if objective.dimensions == 1:
        ax.plot(grid[0], grid[1], color="0.45", linewidth=1.5, zorder=1)
        if _spans_decades(grid[1]):
            ax.set_yscale("log")
        put_labels(ax, objective.names[0], f"f({objective.names[0]})")
        finite = grid[1][np.isfinite(grid[1])]
        box = (objective.bounds[0], (float(finite.min()), float(finite.max())))
    else:
        _contours(figure, ax, *grid)
        put_labels(ax, *objective.names)
        box = objective.bounds
    ax.set_xlim(*box[0])
    ax.set_ylim(*box[1])
    for number, minimum in enumerate(objective.minima):
        where = (minimum[0], _value_at(grid, minimum[0])) if objective.dimensions == 1 else minimum
        ax.plot(*where, marker="*", markersize=14, color="black", linestyle="none", zorder=4,
                label="minimum" if number == 0 else None)
    lines = Lines(ax, result.paths, objective.dimensions, box)
    title = f"{result.function}: {result.formula}\n{_settings_text(result)}"
    put_title(ax, title, SINGLE_SIZE[0])
    ax.legend(fontsize=8, loc="best", framealpha=0.85)
    return figure, lines


class Lines:
    """The drawn paths, one line and one end marker per optimizer, showable up to any step.

    An end marker stays inside ``box`` (the axes' ranges): a path that left them, such as a
    diverged one, is marked where it crossed the edge's line, not off the figure.
    """

    def __init__(self, ax: Axes, paths: Sequence[OptimizerPath], dimensions: int,
                 box: Sequence[tuple[float, float]]) -> None:
        self.paths = list(paths)
        self.dimensions = dimensions
        self.box = np.array(box, dtype=float)
        start = self.paths[0].points[0] if self.paths else None
        if start is not None:
            ax.plot(*self._xy(self.paths[0], 1), marker="s", markersize=7, color="black",
                    linestyle="none", zorder=5, label="start")
        self.artists = []
        for index, (path, colour) in enumerate(zip(self.paths, run_colours(len(self.paths)),
                                                   strict=True)):
            style = LINE_STYLES[(index // 10) % len(LINE_STYLES)]
            line, = ax.plot([], [], color=colour, linestyle=style, linewidth=1.8, zorder=3,
                            marker="." if dimensions == 1 else None)
            end, = ax.plot([], [], color=colour, marker="X" if path.diverged_at is not None else "o",
                           markersize=10 if path.diverged_at is not None else 7,
                           markeredgecolor="black", linestyle="none", zorder=6, label=_legend_text(path))
            self.artists.append((line, end))

    @property
    def length(self) -> int:
        """The number of points of the longest path."""
        return max((len(p.points) for p in self.paths), default=1)

    def show(self, step: int | None) -> list[Any]:
        """Draw every path up to ``step`` points (all of it for None); return the artists."""
        changed = []
        for path, (line, end) in zip(self.paths, self.artists, strict=True):
            count = len(path.points) if step is None else min(step + 1, len(path.points))
            x, y = self._xy(path, count)
            line.set_data(x, y)
            end.set_data(*([np.clip(v[-1], *limits)] for v, limits in zip((x, y), self.box, strict=True)))
            changed += [line, end]
        return changed

    def _xy(self, path: OptimizerPath, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``count`` points as x and y: both parameters, or w and f(w) for one."""
        if self.dimensions == 1:
            return path.points[:count, 0], path.losses[:count]
        return path.points[:count, 0], path.points[:count, 1]


def _save_animation(figure: Figure, lines: Lines, target: Path) -> None:
    """The paths growing step by step, as a GIF written atomically.

    The figure is drawn once without the paths and each frame draws only the paths on a
    copy of it (blitting): a whole redraw per frame, as matplotlib's animation writers do,
    costs about 0.3 s here (its text, mostly) against 5 ms, and a 100-frame GIF took a
    minute. The frames go to Pillow, which matplotlib itself depends on.
    """
    from PIL import Image

    for artist in (a for pair in lines.artists for a in pair):
        artist.set_animated(True)  # left out of the full draw: the background has no paths
    canvas = figure.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(figure.bbox)
    count = min(lines.length, MAX_FRAMES)
    images = []
    for step in np.unique(np.linspace(0, lines.length - 1, count).round().astype(int)):
        canvas.restore_region(background)
        for artist in lines.show(int(step)):
            artist.axes.draw_artist(artist)
        width, height = canvas.get_width_height()
        images.append(Image.frombuffer("RGBA", (width, height), bytes(canvas.buffer_rgba()),
                                       "raw", "RGBA", 0, 1).convert("RGB"))
    buffer = io.BytesIO()
    durations = [FRAME_MS] * (len(images) - 1) + [HOLD_MS]  # the end stays up a while
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=durations,
                   loop=0)
    write_atomic(target, buffer.getvalue())


def _contours(figure: Figure, ax: Axes, xx: np.ndarray, yy: np.ndarray, zz: np.ndarray) -> None:
    """Filled contours with lines, log-spaced where the values are positive and span decades."""
    from matplotlib.colors import LogNorm

    values = np.ma.masked_invalid(zz)
    finite = zz[np.isfinite(zz)]
    if not finite.size:
        return
    style: dict[str, Any] = {}
    if _spans_decades(finite):
        low = max(finite[finite > 0].min(), finite.max() / 1e8)
        levels = np.geomspace(low, finite.max(), LEVELS)
        style["norm"] = LogNorm(low, finite.max())
        label = "f (log-spaced levels)"
    else:
        levels = np.linspace(finite.min(), finite.max(), LEVELS)
        label = "f"
    if not levels[0] < levels[-1]:
        return  # a flat function: nothing to draw contours of
    filled = ax.contourf(xx, yy, values, levels=levels, cmap="viridis", alpha=0.55, extend="both",
                         zorder=0, **style)
    ax.contour(xx, yy, values, levels=levels, colors="white", linewidths=0.5, alpha=0.7, zorder=1,
               **style)
    ticks = None
    if "norm" in style:  # whole decades, not the first and last of twenty log-spaced levels
        ticks = [10.0 ** k for k in range(int(np.ceil(np.log10(levels[0]))),
                                          int(np.floor(np.log10(levels[-1]))) + 1)]
    figure.colorbar(filled, ax=ax, label=label, ticks=ticks)


def _spans_decades(values: np.ndarray) -> bool:
    """True when the finite values are not negative, some are positive and they span decades."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    positive = finite[finite > 0]
    return bool(positive.size and finite.min() >= 0 and positive.max() / positive.min() > LOG_SPAN)


def _value_at(grid: Sequence[np.ndarray], w: float) -> float:
    """The function's value at ``w``, from the grid of a one-parameter function."""
    return float(np.interp(w, grid[0], grid[1]))


def _legend_text(path: OptimizerPath) -> str:
    if path.diverged_at is not None:
        return f"{path.optimizer}: diverged at step {path.diverged_at} ({path.non_finite})"
    return f"{path.optimizer}: f = {path.losses[-1]:.3g} after {path.steps} steps"


def _settings_text(result: PathsResult) -> str:
    values = {**result.params.get("function", {}), **result.params.get("schedule", {})}
    extra = f", {values_text(values)}" if values else ""
    return f"lr {result.lr:g}, schedule {result.schedule}, {result.steps} steps{extra}"
