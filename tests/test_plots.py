"""nnfw.figures.plots: the right format and size, written atomically, readable figures, right boundaries."""

from __future__ import annotations

import math
import os
import struct
import subprocess
import sys
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from nnfw.figures import boundary, plots

ROOT2 = math.sqrt(2.0)


# ---------------------------------------------------------------- data


def history_rows(epochs: int = 40, accuracy: bool = True, diverge_at: int | None = None) -> list[dict]:
    """Rows like history.csv's: a decaying loss, optionally test metrics and a divergence."""
    rows = []
    for epoch in range(epochs):
        loss = 0.3 * math.exp(-epoch / 10) + 0.02
        if diverge_at is not None and epoch >= diverge_at:
            loss = math.inf if epoch == diverge_at else math.nan
        row = {"epoch": epoch, "loss": loss, "lr": 0.1}
        if accuracy:
            row |= {"test_loss": loss * 1.1, "test_accuracy": min(1.0, 0.3 + epoch / 20)}
        rows.append(row)
    return rows


def circle_predict(grid: np.ndarray) -> np.ndarray:
    """A smooth x1^2 + x2^2 < 2: sigmoid((2 - r^2) * 5), shape (n, 1); checks what it is given."""
    assert grid.dtype == np.float32 and grid.ndim == 2 and grid.shape[1] == 2
    r2 = (grid.astype(np.float64) ** 2).sum(axis=1, keepdims=True)
    return 1.0 / (1.0 + np.exp(-(2.0 - r2) * 5.0))


def stripes_predict(grid: np.ndarray) -> np.ndarray:
    """Three class scores, shape (n, 3): class 0 left of x1 = -1, class 2 right of x1 = 1, else 1."""
    x1 = grid[:, 0].astype(np.float64)
    return np.stack([-1.0 - x1, 1.0 - np.abs(x1), x1 - 1.0], axis=1)


def dot_data() -> tuple[np.ndarray, np.ndarray]:
    """The lecture's dot data: 300 normal points, class 1 inside x1^2 + x2^2 < 2."""
    x = np.random.RandomState(2).randn(300, 2)
    return x, (x[:, 0] ** 2 + x[:, 1] ** 2 < 2).astype(int)


def activation_curves() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    x = np.linspace(-6.0, 6.0, 241)
    s = 1.0 / (1.0 + np.exp(-x))
    return {"sigmoid": (x, s, s * (1.0 - s)),
            "relu": (x, np.maximum(x, 0.0), (x > 0).astype(float))}


def comparison_runs() -> dict[str, list[dict]]:
    return {"sgd": history_rows(30), "rmsprop": history_rows(30, diverge_at=12),
            "adam": history_rows(30, accuracy=False)}


# Each kind of figure, written to a path; and the PNG size in pixels it must have.
WRITERS: dict[str, tuple[Callable[[Path], object], tuple[int, int]]] = {
    "history": (lambda p: plots.plot_history(history_rows(), p, "iris, sgd"), (1000, 440)),
    "history-loss-only": (lambda p: plots.plot_history(history_rows(accuracy=False), p, "w"), (640, 480)),
    "boundary": (lambda p: plots.plot_boundary(circle_predict, *dot_data(), p, "dot", resolution=60),
                 (800, 480)),
    "schedule": (lambda p: plots.plot_schedule(np.arange(50), 0.2 * 0.99 ** np.arange(50), p,
                                               "lr = 0.2 * 0.99 ** (epoch / 1)"), (640, 480)),
    "activations": (lambda p: plots.plot_activations(activation_curves(), p, "activations"), (1000, 440)),
    "comparison": (lambda p: plots.plot_comparison(comparison_runs(), p, None, "optimizers")[0],
                   (640, 480)),
}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def check_format(data: bytes, suffix: str) -> None:
    assert data, "empty file"
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    elif suffix == ".svg":
        text = data.decode("utf-8")
        assert text.startswith("<?xml") or "<svg" in text
        assert "</svg>" in text
    else:
        assert data.startswith(b"%PDF")
        assert b"%%EOF" in data[-64:]


# ---------------------------------------------------------------- files


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
@pytest.mark.parametrize("kind", list(WRITERS))
def test_each_plot_writes_its_format_atomically(tmp_path: Path, kind: str, suffix: str) -> None:
    write, _ = WRITERS[kind]
    target = tmp_path / f"figure{suffix}"
    written = write(target)
    assert written == target
    check_format(target.read_bytes(), suffix)
    assert sorted(os.listdir(tmp_path)) == [target.name]  # no temporary file left behind


@pytest.mark.parametrize("kind", list(WRITERS))
def test_png_has_the_expected_pixel_size_and_stays_small(tmp_path: Path, kind: str) -> None:
    write, size = WRITERS[kind]
    data = Path(write(tmp_path / "figure.png")).read_bytes()
    assert png_size(data) == size
    assert len(data) < 200_000


def test_rewriting_replaces_the_file_rather_than_writing_into_it(tmp_path: Path) -> None:
    target = tmp_path / "schedule.png"
    target.write_bytes(b"old contents")
    before = os.stat(target).st_ino
    plots.plot_schedule(np.arange(5), np.full(5, 0.1), target, "constant")
    assert os.stat(target).st_ino != before  # a new file renamed into place
    check_format(target.read_bytes(), ".png")
    assert os.listdir(tmp_path) == ["schedule.png"]


def test_a_failing_plot_leaves_an_existing_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "boundary.png"
    target.write_bytes(b"old contents")

    def broken(grid: np.ndarray) -> np.ndarray:
        raise RuntimeError("model broke")

    with pytest.raises(RuntimeError, match="model broke"):
        plots.plot_boundary(broken, *dot_data(), target, "dot")
    assert target.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["boundary.png"]


def test_no_suffix_means_png_and_other_suffixes_are_refused(tmp_path: Path) -> None:
    written = plots.plot_schedule(np.arange(3), np.ones(3), tmp_path / "lr", "lr")
    assert written == tmp_path / "lr.png"
    check_format(written.read_bytes(), ".png")
    with pytest.raises(ValueError, match=r"\.png"):
        plots.plot_schedule(np.arange(3), np.ones(3), tmp_path / "lr.jpg", "lr")
    assert sorted(os.listdir(tmp_path)) == ["lr.png"]


def test_importing_plots_does_not_import_matplotlib_or_tensorflow() -> None:
    code = ("import sys, nnfw.figures.plots; "
            "print(sorted(m for m in ('matplotlib', 'tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_show_opens_the_figure_through_pyplot_and_closes_it(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(plt.gcf()))
    plots.plot_schedule(np.arange(4), np.ones(4), tmp_path / "lr.png", "shown", show=True)
    assert len(shown) == 1
    assert shown[0].axes[0].get_title() == "shown"
    assert not plt.fignum_exists(shown[0].number)


def test_without_show_pyplot_tracks_no_figures(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for kind, (write, _) in WRITERS.items():
        write(tmp_path / f"{kind}.png")
    assert plt.get_fignums() == before


# ---------------------------------------------------------------- readability


FIGURES: dict[str, Callable[[], list]] = {
    "history": lambda: [plots.history_figure(history_rows(diverge_at=30), "iris, rmsprop, lr 0.1")],
    "history-loss-only": lambda: [plots.history_figure(history_rows(accuracy=False), "loss (w+1)^2")],
    "boundary": lambda: [plots.boundary_figure(circle_predict, *dot_data(), "dot data with L2",
                                               class_names=("outside", "inside"), resolution=60)],
    "boundary-3": lambda: [plots.boundary_figure(stripes_predict, *dot_data(), "three stripes",
                                                 feature_names=("petal length (cm)", "petal width (cm)"),
                                                 resolution=60)],
    "schedule": lambda: [plots.schedule_figure(np.arange(100), 0.2 * 0.99 ** np.arange(100),
                                               "lr = 0.2 * 0.99 ** (epoch / 1)")],
    "activations": lambda: [plots.activations_figure(activation_curves(), "activations")],
    "comparison": lambda: [f for f in plots.comparison_figures(comparison_runs(), "optimizers") if f],
}


def visible_texts(figure) -> list:
    """Every non-empty text drawn when the figure is drawn (tick labels out of view are not)."""
    from matplotlib.text import Text

    drawn = []
    original = Text.draw

    def recording_draw(self: Text, renderer: object) -> None:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        original(self, renderer)

    Text.draw = recording_draw
    try:
        figure.canvas.draw()
    finally:
        Text.draw = original
    return list(dict.fromkeys(drawn))


@pytest.mark.parametrize("kind", list(FIGURES))
def test_text_is_readable_inside_the_figure_and_does_not_overlap(kind: str) -> None:
    for figure in FIGURES[kind]():
        texts = visible_texts(figure)
        assert texts
        box = figure.bbox
        for text in texts:
            assert text.get_fontsize() >= 10, text.get_text()
            extent = text.get_window_extent()
            assert (extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1
                    and extent.y0 >= box.y0 - 1 and extent.y1 <= box.y1 + 1), f"{text.get_text()!r} cut off"
        for a, b in combinations(texts, 2):
            assert not a.get_window_extent().overlaps(b.get_window_extent()), \
                f"{a.get_text()!r} overlaps {b.get_text()!r}"


@pytest.mark.parametrize("kind", list(FIGURES))
def test_every_axes_is_labelled_and_the_figure_titled(kind: str) -> None:
    for figure in FIGURES[kind]():
        titles = [ax.get_title() for ax in figure.axes] + [figure.get_suptitle()]
        assert any(t.strip() for t in titles)
        for ax in figure.axes:
            assert ax.get_xlabel().strip() and ax.get_ylabel().strip()
            lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
            if len(lines) > 1:
                assert ax.get_legend() is not None or figure.legends


# ---------------------------------------------------------------- history


def test_history_draws_loss_and_accuracy_panels() -> None:
    figure = plots.history_figure(history_rows(), "run")
    loss_ax, accuracy_ax = figure.axes
    assert {line.get_label() for line in loss_ax.get_lines()} == {"training loss", "test loss"}
    expected = [0.3 * math.exp(-e / 10) + 0.02 for e in range(40)]
    np.testing.assert_allclose(loss_ax.get_lines()[0].get_ydata(), expected)
    np.testing.assert_allclose(accuracy_ax.get_lines()[0].get_ydata(), [min(1.0, 0.3 + e / 20)
                                                                        for e in range(40)])
    assert figure.get_suptitle() == "run"


def test_history_without_accuracy_has_one_panel() -> None:
    figure = plots.history_figure(history_rows(accuracy=False), "w")
    assert len(figure.axes) == 1
    assert figure.axes[0].get_title() == "w"


def test_history_with_non_finite_values_leaves_gaps_and_marks_the_divergence(tmp_path: Path) -> None:
    rows = history_rows(40, diverge_at=25)
    rows[3]["test_accuracy"] = math.nan
    figure = plots.history_figure(rows, "diverged")
    loss_ax = figure.axes[0]
    training = loss_ax.get_lines()[0].get_ydata()
    assert np.isfinite(training[:25]).all() and np.isnan(training[25:]).all()  # inf drawn as a gap
    marks = [line for line in loss_ax.get_lines() if "diverged" in line.get_label()]
    assert len(marks) == 1 and marks[0].get_xdata()[0] == 25
    check_format(plots.plot_history(rows, tmp_path / "h.png", "diverged").read_bytes(), ".png")


def test_history_diverging_at_once_or_empty_still_draws(tmp_path: Path) -> None:
    all_bad = [{"epoch": e, "loss": math.nan, "test_accuracy": math.nan} for e in range(3)]
    plots.plot_history(all_bad, tmp_path / "bad.png", "nan from the start")
    plots.plot_history([], tmp_path / "empty.png", "no epochs")
    for name in ("bad.png", "empty.png"):
        check_format((tmp_path / name).read_bytes(), ".png")


def test_history_reads_csv_strings() -> None:
    rows = [{"epoch": "0", "loss": "0.5", "test_accuracy": ""}, {"epoch": "1", "loss": "nan",
                                                                  "test_accuracy": ""}]
    figure = plots.history_figure(rows, "csv")
    assert len(figure.axes) == 1  # an all-empty column is absent
    ydata = figure.axes[0].get_lines()[0].get_ydata()
    assert ydata[0] == 0.5 and np.isnan(ydata[1])


def test_history_loss_goes_log_only_when_it_spans_over_two_decades() -> None:
    wide = [{"epoch": e, "loss": 10.0 ** -e} for e in range(4)]  # 3 decades
    narrow = [{"epoch": e, "loss": 10.0 ** (-e / 2)} for e in range(4)]  # 1.5 decades
    assert plots.history_figure(wide, "w").axes[0].get_yscale() == "log"
    assert plots.history_figure(narrow, "n").axes[0].get_yscale() == "linear"


# ---------------------------------------------------------------- boundary


def test_boundary_grid_spans_the_padded_data_range_and_passes_float32() -> None:
    x = np.array([[0.0, -1.0], [2.0, 3.0], [1.0, 0.0]])
    seen = []

    def predict(grid: np.ndarray) -> np.ndarray:
        seen.append(grid)
        return grid[:, :1] + grid[:, 1:]

    xx, yy, zz = boundary.boundary_grid(predict, x, resolution=11)
    assert xx.shape == yy.shape == zz.shape == (11, 11)
    assert seen[0].dtype == np.float32 and seen[0].shape == (121, 2)
    np.testing.assert_allclose([xx.min(), xx.max()], [-0.2, 2.2])
    np.testing.assert_allclose([yy.min(), yy.max()], [-1.4, 3.4])
    np.testing.assert_allclose(zz, (xx.astype(np.float32) + yy.astype(np.float32)), rtol=1e-6)


def test_boundary_grid_keeps_class_scores() -> None:
    x, _ = dot_data()
    xx, _, zz = boundary.boundary_grid(stripes_predict, x, resolution=7)
    assert zz.shape == (7, 7, 3)
    np.testing.assert_allclose(zz[..., 2], xx.astype(np.float32) - 1.0, rtol=1e-6)


def test_boundary_grid_crosses_one_half_at_radius_root_two() -> None:
    x, _ = dot_data()
    xx, yy, zz = boundary.boundary_grid(circle_predict, x, resolution=200)
    radius = np.hypot(xx, yy)
    step = max(xx[0, 1] - xx[0, 0], yy[1, 0] - yy[0, 0])
    away = np.abs(radius - ROOT2) > step
    np.testing.assert_array_equal((zz > 0.5)[away], (radius < ROOT2)[away])
    assert ((zz > 0.5) & (radius > ROOT2 + step)).sum() == 0
    # Along the positive x1 axis the prediction crosses 0.5 between grid points beside sqrt(2).
    row = np.argmin(np.abs(yy[:, 0]))
    crossing = np.flatnonzero(np.diff(np.sign(zz[row] - 0.5)) != 0)
    assert any(abs(xx[row, i] - ROOT2) <= step for i in crossing[crossing > 100])


def contour_vertices(figure) -> list[np.ndarray]:
    """The vertices of each 0.5-level contour line drawn in the figure's first axes."""
    from matplotlib.contour import ContourSet

    sets = [c for c in figure.axes[0].get_children()
            if isinstance(c, ContourSet) and not c.filled and list(c.levels) == [0.5]]
    return [path.vertices for c in sets for path in c.get_paths() if len(path.vertices)]


def test_boundary_contour_is_the_circle_of_radius_root_two() -> None:
    x, y = dot_data()
    figure = plots.boundary_figure(circle_predict, x, y, "dot", resolution=200)
    vertices = np.concatenate(contour_vertices(figure))
    assert len(vertices) > 100
    np.testing.assert_allclose(np.hypot(vertices[:, 0], vertices[:, 1]), ROOT2, atol=0.01)
    angles = np.arctan2(vertices[:, 1], vertices[:, 0])
    assert np.ptp(angles) > 6.0  # all the way round


def test_boundary_points_are_red_for_class_one_and_blue_for_class_zero() -> None:
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_rgba

    x, y = dot_data()
    figure = plots.boundary_figure(circle_predict, x, y, "dot", class_names=("outside", "inside"),
                                   resolution=30)
    scatters = {c.get_label(): c for c in figure.axes[0].collections if isinstance(c, PathCollection)}
    assert set(scatters) == {"outside", "inside"}
    np.testing.assert_allclose(scatters["inside"].get_offsets(), x[y == 1])
    np.testing.assert_allclose(scatters["outside"].get_offsets(), x[y == 0])
    red, blue = scatters["inside"].get_facecolor()[0], scatters["outside"].get_facecolor()[0]
    assert red[0] > 0.7 and red[2] < 0.3, red
    assert blue[2] > 0.6 and blue[0] < 0.3, blue
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "outside" in legend and "inside" in legend
    assert to_rgba(scatters["inside"].get_facecolor()[0]) != to_rgba(scatters["outside"].get_facecolor()[0])


def test_boundary_with_class_scores_draws_argmax_borders() -> None:
    x, _ = dot_data()
    y = np.digitize(x[:, 0], [-1.0, 1.0])
    figure = plots.boundary_figure(stripes_predict, x, y, "stripes", resolution=120)
    vertices = np.concatenate(contour_vertices(figure))
    xx, _, _ = boundary.boundary_grid(stripes_predict, x, resolution=120)
    step = xx[0, 1] - xx[0, 0]
    distance = np.minimum(np.abs(vertices[:, 0] + 1.0), np.abs(vertices[:, 0] - 1.0))
    assert distance.max() <= step
    assert (vertices[:, 0] < 0).any() and (vertices[:, 0] > 0).any()  # both borders
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert {"class 0", "class 1", "class 2"} <= set(legend)


def test_boundary_accepts_one_hot_labels_and_a_flat_output() -> None:
    x, y = dot_data()
    one_hot = np.eye(2)[y]
    figure = plots.boundary_figure(lambda g: circle_predict(g)[:, 0], x, one_hot, "flat", resolution=40)
    assert contour_vertices(figure)


def test_boundary_of_a_model_with_non_finite_output_does_not_crash(tmp_path: Path) -> None:
    x, y = dot_data()
    target = plots.plot_boundary(lambda g: np.full((len(g), 1), np.nan), x, y, tmp_path / "b.png",
                                 "diverged model", resolution=20)
    check_format(target.read_bytes(), ".png")


@pytest.mark.parametrize("columns", [1, 3])
def test_boundary_needs_exactly_two_features(tmp_path: Path, columns: int) -> None:
    x = np.zeros((5, columns))
    with pytest.raises(ValueError, match="2 features"):
        plots.plot_boundary(circle_predict, x, np.zeros(5), tmp_path / "b.png", "bad")
    with pytest.raises(ValueError, match="2 features"):
        boundary.boundary_grid(circle_predict, x)
    assert os.listdir(tmp_path) == []


def test_boundary_rejects_wrong_label_count_and_output_shape() -> None:
    x, y = dot_data()
    with pytest.raises(ValueError, match="labels"):
        plots.boundary_figure(circle_predict, x, y[:-1], "short")
    with pytest.raises(ValueError, match="predict must return"):
        boundary.boundary_grid(lambda g: np.zeros((3, 1)), x, resolution=5)


# ---------------------------------------------------------------- schedule, activations


def test_schedule_plots_the_given_values_under_the_formula() -> None:
    epochs = np.arange(60)
    lrs = 0.2 * 0.99 ** (epochs / 1)
    figure = plots.schedule_figure(epochs, lrs, "lr = 0.2 * 0.99 ** (epoch / 1)", xlabel="step")
    ax = figure.axes[0]
    assert ax.get_title() == "lr = 0.2 * 0.99 ** (epoch / 1)"
    assert ax.get_xlabel() == "step"
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), epochs)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), lrs)
    with pytest.raises(ValueError, match="length"):
        plots.schedule_figure(epochs, lrs[:-1], "mismatch")


def test_long_titles_are_wrapped_not_cut() -> None:
    title = "lr = 0.2 * 0.99 ** (epoch / 1) with a very long description of every other setting of the run"
    figure = plots.schedule_figure(np.arange(3), np.ones(3), title)
    shown = figure.axes[0].get_title()
    assert "\n" in shown and shown.replace("\n", " ") == title


def test_dollar_signs_are_shown_literally() -> None:
    figure = plots.schedule_figure(np.arange(3), np.ones(3), "cost $1, profit $99")
    assert [t.get_text() for t in visible_texts(figure) if "profit" in t.get_text()]  # draws without error


def test_activations_derivative_panel_is_not_clipped() -> None:
    figure = plots.activations_figure(activation_curves(), "activations")
    f_ax, d_ax = figure.axes
    lines = {line.get_label(): line for line in d_ax.get_lines()}
    assert set(lines) >= {"sigmoid", "relu"}
    assert np.nanmax(lines["sigmoid"].get_ydata()) == pytest.approx(0.25)
    low, high = d_ax.get_ylim()
    assert low <= 0.0 and high >= 1.0  # relu's derivative 1 and the sigmoid's peak 0.25 both shown
    for ax in (f_ax, d_ax):
        assert ax.get_legend() is not None
        zero = [line for line in ax.get_lines() if list(line.get_ydata()) == [0, 0]]
        assert zero, "no zero line"


def test_activations_reject_mismatched_arrays() -> None:
    x = np.linspace(-1, 1, 5)
    with pytest.raises(ValueError, match="sigmoid"):
        plots.activations_figure({"sigmoid": (x, x, x[:-1])}, "bad")


# ---------------------------------------------------------------- comparison


def test_comparison_draws_one_curve_per_run_and_marks_divergence(tmp_path: Path) -> None:
    loss_figure, accuracy_figure = plots.comparison_figures(comparison_runs(), "optimizers")
    curves = {line.get_label(): line for line in loss_figure.axes[0].get_lines()
              if not line.get_label().startswith("_")}
    assert set(curves) == {"sgd", "rmsprop (diverged)", "adam"}
    diverged = curves["rmsprop (diverged)"].get_ydata()
    assert np.isfinite(diverged[:12]).all() and np.isnan(diverged[12:]).all()
    colours = {tuple(np.atleast_1d(line.get_color())) for line in curves.values()}
    assert len(colours) == 3
    legend = [t.get_text() for t in loss_figure.axes[0].get_legend().get_texts()]
    assert "rmsprop (diverged)" in legend
    assert accuracy_figure is not None
    accuracy_labels = {line.get_label() for line in accuracy_figure.axes[0].get_lines()}
    assert accuracy_labels == {"sgd", "rmsprop (diverged)"}  # adam had no test accuracy


def test_comparison_writes_the_accuracy_figure_only_when_asked_and_available(tmp_path: Path) -> None:
    both = plots.plot_comparison(comparison_runs(), tmp_path / "loss.svg", tmp_path / "acc.pdf", "o")
    assert both == [tmp_path / "loss.svg", tmp_path / "acc.pdf"]
    check_format(both[0].read_bytes(), ".svg")
    check_format(both[1].read_bytes(), ".pdf")
    no_accuracy = {"a": history_rows(5, accuracy=False), "b": history_rows(5, accuracy=False)}
    assert plots.plot_comparison(no_accuracy, tmp_path / "l2.png", tmp_path / "a2.png", "o") == \
        [tmp_path / "l2.png"]
    assert plots.plot_comparison(comparison_runs(), tmp_path / "l3.png", None, "o") == [tmp_path / "l3.png"]
    assert sorted(os.listdir(tmp_path)) == ["acc.pdf", "l2.png", "l3.png", "loss.svg"]


def test_comparison_log_scale_follows_the_span_of_positive_losses() -> None:
    def runs(values: list[float]) -> dict[str, list[dict]]:
        return {"a": [{"epoch": i, "loss": v} for i, v in enumerate(values)],
                "b": [{"epoch": i, "loss": v * 2} for i, v in enumerate(values)]}

    def scale(values: list[float]) -> str:
        return plots.comparison_figures(runs(values), "t")[0].axes[0].get_yscale()

    assert scale([10.0, 1.0, 0.01]) == "log"  # 0.01 .. 20: over 3 decades
    assert scale([1.0, 0.5, 0.1]) == "linear"  # 0.1 .. 2: 1.3 decades
    assert scale([10.0, 1.0, 0.0]) == "linear"  # a zero: not all positive
    assert scale([10.0, 1.0, 0.01, math.nan]) == "log"  # non-finite values do not count


def test_comparison_honours_an_explicit_divergence_list() -> None:
    runs = {"a": history_rows(5), "b": history_rows(5)}
    figure, _ = plots.comparison_figures(runs, "t", diverged={"b"})
    labels = {line.get_label() for line in figure.axes[0].get_lines() if not line.get_label().startswith("_")}
    assert labels == {"a", "b (diverged)"}
