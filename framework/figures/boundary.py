"""The figure of a 2-feature classifier: its decision regions and boundary under the data.

matplotlib is imported only when a figure is built; nothing here imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfw.figures.style import (
    BOUNDARY_SIZE,
    CLASS_COLOURS,
    LEGEND_PT,
    SHADE_ALPHA,
    literal,
    new_figure,
    put_labels,
    put_note,
    put_title,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    names = [literal(class_names[i]) if i < len(class_names) else f"class {i}" for i in range(count)]
    colours = [CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(count)]
    figure, (ax,) = new_figure(BOUNDARY_SIZE)
    handles = _draw_regions(ax, xx, yy, zz, names, colours)
    handles += _draw_points(ax, data, labels, names, colours)
    ax.set_xlim(xx[0, 0], xx[0, -1])
    ax.set_ylim(yy[0, 0], yy[-1, 0])
    put_labels(ax, literal(feature_names[0]), literal(feature_names[1]))
    ax.grid(False)
    ax.legend(handles=handles, fontsize=LEGEND_PT, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)
    put_title(figure, title, BOUNDARY_SIZE[0])
    return figure


def _regions(zz: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], str]:
    """The predicted class per grid point (nan where the output is not finite), the arrays
    whose 0.5 contours are the boundaries, and the boundary's legend label."""
    if zz.ndim == 2:
        regions = np.where(np.isfinite(zz), (zz > 0.5).astype(float), np.nan)
        return regions, [zz], "boundary: prediction = 0.5"
    finite = np.isfinite(zz).all(axis=2)
    regions = np.where(finite, np.argmax(np.where(finite[..., None], zz, 0.0), axis=2), np.nan)
    borders = [np.where(np.isnan(regions), np.nan, (regions == c).astype(float))
               for c in range(zz.shape[2])]
    return regions, borders, "boundary between predicted classes"


def _draw_regions(ax: Axes, xx: np.ndarray, yy: np.ndarray, zz: np.ndarray, names: Sequence[str],
                  colours: Sequence[str]) -> list[Any]:
    """Shade the predicted regions and draw their boundaries; return their legend handles."""
    outputs = 1 if zz.ndim == 2 else zz.shape[2]
    regions, borders, border_label = _regions(zz)
    handles: list[Any] = []
    if np.isfinite(regions).any():
        _shade_regions(ax, xx, yy, regions, colours)
        from matplotlib.patches import Patch
        handles += [Patch(facecolor=colours[c], alpha=SHADE_ALPHA * 2, label=f"predicted {names[c]}")
                    for c in range(max(outputs, 2))]
    else:
        put_note(ax, "model output is not finite")
    if any([_contour(ax, xx, yy, values) for values in borders]):
        from matplotlib.lines import Line2D
        handles.append(Line2D([], [], color="black", linewidth=1.5, label=border_label))
    return handles


def _draw_points(ax: Axes, data: np.ndarray, labels: np.ndarray, names: Sequence[str],
                 colours: Sequence[str]) -> list[Any]:
    """The data points, coloured by class; return their legend handles."""
    handles = []
    for c in range(len(names)):
        chosen = labels == c
        if chosen.any():
            handles.append(ax.scatter(data[chosen, 0], data[chosen, 1], s=16, color=colours[c],
                                      edgecolors="black", linewidths=0.3, label=names[c], zorder=3))
    return handles


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
