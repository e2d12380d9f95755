"""``nnfw plot schedule`` and ``nnfw plot activation`` draw what the plugins compute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnfw.figures.plots
from nnfw.cli import main


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def capture(monkeypatch: pytest.MonkeyPatch, name: str) -> dict[str, Any]:
    """Record the arguments the CLI passes to ``nnfw.figures.plots.<name>``, then draw as usual."""
    seen: dict[str, Any] = {}
    real = getattr(nnfw.figures.plots, name)

    def spy(*args: Any, **kwargs: Any) -> Path:
        seen["args"], seen["kwargs"] = args, kwargs
        return real(*args, **kwargs)

    monkeypatch.setattr(nnfw.figures.plots, name, spy)
    return seen


def test_schedule_plot_draws_the_lecture_formula(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture(monkeypatch, "plot_schedule")
    out = tmp_path / "lr.png"
    code, stdout, _ = cli(capsys, "plot", "schedule", "exponential", "--lr", "0.2",
                          "--schedule.decay", "0.99", "--epochs", "50", "-o", str(out))
    assert code == 0 and str(out) in stdout
    assert out.read_bytes()[:4] == b"\x89PNG"
    epochs, rates = seen["args"][0], seen["args"][1]
    np.testing.assert_array_equal(epochs, np.arange(50))
    np.testing.assert_allclose(rates, np.float32(0.2 * 0.99 ** np.arange(50)), rtol=1e-7)
    assert "decay=0.99" in seen["args"][3]


def test_schedule_plot_per_step_and_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture(monkeypatch, "plot_schedule")
    code, _, _ = cli(capsys, "plot", "schedule", "exponential", "--schedule.staircase", "true",
                     "--schedule.step", "2", "--epochs", "6", "--steps-per-epoch", "4",
                     "-o", str(tmp_path / "lr"), "--format", "svg")
    assert code == 0
    assert b"<svg" in (tmp_path / "lr.svg").read_bytes()
    steps, rates = seen["args"][0], seen["args"][1]
    assert len(steps) == 24 and seen["kwargs"]["xlabel"] == "step (batch)"
    np.testing.assert_allclose(rates, np.float32(0.1 * 0.99 ** np.floor(steps // 4 / 2)), rtol=1e-7)


def test_activation_plot_gives_values_and_derivatives(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture(monkeypatch, "plot_activations")
    code, _, _ = cli(capsys, "plot", "activation", "sigmoid", "leaky-relu", "--activation.slope",
                     "0.1", "-o", str(tmp_path / "act.png"))
    assert code == 0 and (tmp_path / "act.png").stat().st_size > 1000
    curves = seen["args"][0]
    x, f, df = curves["sigmoid"]
    np.testing.assert_allclose(f, 1 / (1 + np.exp(-x)), rtol=1e-6)
    assert df.max() == pytest.approx(0.25, abs=1e-4)
    x, f, df = curves["leaky-relu (slope=0.1)"]
    np.testing.assert_allclose(f, np.maximum(0.1 * x, x), rtol=1e-6)
    np.testing.assert_allclose(np.unique(np.round(df[np.abs(x) > 0.1], 6)), [0.1, 1.0], rtol=1e-6)


@pytest.mark.parametrize(("args", "expected"), [
    (["plot", "schedule", "exponentail"], "did you mean 'exponential'"),
    (["plot", "schedule", "exponential", "--schedule.decay", "2"], "decay: 2.0 is out of range"),
    (["plot", "activation", "sigmoid", "--activation.slope", "0.1"], "none of sigmoid declares 'slope'"),
    (["plot", "activation", "relu", "--range", "3,1"], "must go from a smaller to a larger number"),
])
def test_plot_errors_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str],
                                  expected: str) -> None:
    code, _, err = cli(capsys, *args)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1
