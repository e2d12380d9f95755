"""The benchmark suite (benchmarks/run.py) on tiny sizes: every row of the report, and the loss check.

Not a timing test: the times on tiny sizes mean nothing; what is checked is that
one command produces every table row and target, and that a deliberately wrong
way (a step that never updates the weights) is flagged by the loss check.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from conftest import REPO

BENCHMARKS = REPO / "benchmarks"
TINY = ["--quick", "--repeats", "1", "--broken-way", "--size", "warmup=0", "--size", "iris_epochs=5",
        "--size", "yogurt_epochs=20", "--size", "yogurt_fit_epochs=5", "--size", "mlp_rows=512",
        "--size", "mlp_epochs=1", "--size", "opt_steps=3", "--size", "matmul_n=128",
        "--size", "cli_repeats=1", "--size", "mirrored_fit_epochs=2",
        "--size", "compile_shapes=1", "--size", "scale_rows=300", "--size", "profile_steps=2"]
WAY_LABELS = ["nnfw.train", "plain Model.fit", "lecture's eager loop", "step in tf.function",
              "whole run as one XLA program", "BROKEN on purpose: step without update"]
INEXACT_LABEL = "nnfw.train, exact = false (XLA by size)"  # yogurt only: what exactness costs


def way_labels(work: str) -> list[str]:
    """The ways a work's table lists, in order."""
    return [*WAY_LABELS[:-1], INEXACT_LABEL, WAY_LABELS[-1]] if work == "yogurt" else WAY_LABELS
OPTIMIZERS = ["sgd", "sgdm", "adagrad", "rmsprop", "adam"]
MIRRORED_LABELS = ["nnfw, mirrored", "plain Model.fit, mirrored", "nnfw, one device"]


def bench_module(name: str) -> ModuleType:
    """A module of the benchmarks folder (a folder of scripts, not a package)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict]:
    """One run of the whole suite on tiny sizes, with the broken way added: (process, JSON results)."""
    out = tmp_path_factory.mktemp("bench") / "results.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), *TINY, "--json", str(out)],
                          capture_output=True, text=True, env=env, timeout=900, check=False)
    assert out.exists(), done.stderr[-2000:]
    return done, json.loads(out.read_text())["results"]


def table_rows(report: str, first_cell: str) -> list[list[str]]:
    """The cells of the markdown table rows whose first cell is ``first_cell``."""
    rows = []
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            rows.append(cells)
    return rows


def test_the_report_has_every_row(tiny_run: tuple[subprocess.CompletedProcess[str], dict]) -> None:
    done, _ = tiny_run
    report = done.stdout
    for work in ("iris", "yogurt", "mlp"):
        labels = [cells[1].rstrip(" *") for cells in table_rows(report, work)]
        assert labels == way_labels(work), (work, labels)
    assert [cells[0] for cells in (table_rows(report, name)[0] for name in OPTIMIZERS)] == OPTIMIZERS
    for problem in ("iris (5 epochs)", "mlp (1 epochs)"):
        labels = [cells[1] for cells in table_rows(report, problem)]
        assert [label.split(" (")[0] for label in labels] == MIRRORED_LABELS
    # Model.fit under the strategy runs 2 of iris' 5 epochs and is extrapolated; MLP has 1
    assert "plain Model.fit, mirrored (extrapolated from 2 epochs)" in report
    assert "plain Model.fit, mirrored (extrapolated" not in "".join(
        "|".join(cells) for cells in table_rows(report, "mlp (1 epochs)"))
    (shape,) = table_rows(report, "120")  # the compile sweep's first shape: 120 rows x 4
    assert shape[7] in ("graph", "xla") and float(shape[8].rstrip("x")) >= 1
    (scale,) = table_rows(report, "300")  # the scale work's one file: 300 rows
    assert "MB/s" in scale[2] and "MB/s" in scale[3] and float(scale[7].replace(",", "")) > 0
    parts = [cells[0] for cells in table_rows(report, "batch of rows")
             + table_rows(report, "Adam update") + table_rows(report, "**whole step**")]
    assert parts == ["batch of rows", "Adam update", "**whole step**"]
    for command in ("nnfw --help", "nnfw list-plugins"):
        (row,) = table_rows(report, command)
        assert 0 < float(row[1]) < 60
    section = report.split("### Targets", 1)[1]
    assert "verdicts are only indicative" in section  # tiny sizes, not the full run's
    target_lines = [line for line in section.splitlines()
                    if line.startswith("| ") and not line.startswith("| target |")]
    # 7 of the training works, one per optimizer, the compile sweep's, 3 of scale (read speed,
    # memory, throughput), 3 of the cli (--help, list-plugins, no TensorFlow)
    assert len(target_lines) == 7 + len(OPTIMIZERS) + 1 + 3 + 3
    assert all(line.endswith(("| met |", "| **not met** |")) for line in target_lines), target_lines
    assert "extrapolated from 5 epochs" in report  # yogurt's Model.fit, as the full run does it


def test_the_loss_check_flags_only_the_broken_way(
        tiny_run: tuple[subprocess.CompletedProcess[str], dict]) -> None:
    done, results = tiny_run
    assert done.returncode == 1, done.stderr[-2000:]  # a loss check failed: the broken way's
    for work in ("iris", "yogurt", "mlp"):
        verdicts = {row["way"]: row["loss_ok"] for row in results[work]["ways"]}
        expected = {"nnfw": True, "fit": True, "eager": True, "step": True, "xla": True,
                    "broken": False, **({"inexact": True} if work == "yogurt" else {})}
        assert verdicts == expected, (work, verdicts)
        cells = {row[1]: row[-1] for row in table_rows(done.stdout, work)}
        assert cells["BROKEN on purpose: step without update"].startswith("**MISMATCH**")
        assert cells["nnfw.train"].startswith("ok")
    assert all(row["loss_ok"] for row in results["optimizers"]["optimizers"])
    mirrored = [way for problem in results["mirrored"]["problems"] for way in problem["ways"]]
    assert len(mirrored) == 6 and all(way["loss_ok"] for way in mirrored)


def fake_results(fit_seconds: float, nnfw_loss_ok: bool = True) -> dict[str, Any]:
    """Results of an iris work where nnfw takes 1 s and Model.fit ``fit_seconds``."""
    def way(key: str, seconds: float, ok: bool = True) -> dict[str, Any]:
        return {"way": key, "label": key, "median": seconds, "min": seconds, "max": seconds, "note": "",
                "final_loss": 0.1, "reference_loss": 0.1, "deviation": 0.0, "loss_ok": ok}

    return {"iris": {"work": "iris", "epochs": 500, "tolerance": 1e-3,
                     "ways": [way("nnfw", 1.0, nnfw_loss_ok), way("fit", fit_seconds), way("xla", 0.5)]}}


def test_targets_need_the_ratio_and_the_loss_check() -> None:
    report = bench_module("report")
    verdicts = {t.name: t.met for t in report.targets(fake_results(25.0))}
    assert verdicts["iris: plain Model.fit time / nnfw time"] is True
    assert verdicts["iris: nnfw time / whole-run XLA time"] is True  # 1 s vs 0.5 s: within 3x
    assert verdicts["yogurt: plain Model.fit time / nnfw time"] is None  # not measured
    slow = {t.name: t.met for t in report.targets(fake_results(19.0))}
    assert slow["iris: plain Model.fit time / nnfw time"] is False
    wrong = {t.name: t.met for t in report.targets(fake_results(25.0, nnfw_loss_ok=False))}
    assert wrong["iris: plain Model.fit time / nnfw time"] is False
    assert report.loss_checks_pass(fake_results(25.0))
    assert not report.loss_checks_pass(fake_results(25.0, nnfw_loss_ok=False))


def test_loss_check_tolerance_and_non_finite_losses() -> None:
    checks = bench_module("checks")
    assert checks.loss_matches(0.0323003, 0.0323003 * (1 + 5e-4), rtol=1e-3)
    assert not checks.loss_matches(0.0323003, 0.0323003 * (1 + 2e-3), rtol=1e-3)
    assert not checks.loss_matches(math.nan, 0.03, rtol=1e-3)
    assert checks.relative_deviation(math.inf, 0.03) == math.inf


def test_size_overrides_are_checked() -> None:
    sizes = bench_module("sizes")
    changed = sizes.QUICK.with_overrides(["iris_epochs=7", "warmup=0"])
    assert (changed.iris_epochs, changed.warmup, changed.yogurt_epochs) == (7, False, 1500)
    for bad in ("iris_epoch=7", "iris_epochs=0", "iris_epochs", "iris_epochs=x"):
        with pytest.raises(ValueError):
            sizes.QUICK.with_overrides([bad])


def test_numpy_final_loss_matches_a_direct_formula() -> None:
    np = pytest.importorskip("numpy")
    problems = bench_module("problems")
    x = np.array([[1.0, 2.0], [0.5, -1.0]], np.float32)
    t = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    w, b = np.array([[0.1, -0.2], [0.3, 0.4]], np.float32), np.array([0.05, -0.05], np.float32)
    problem = problems.DenseProblem(
        "t", x, t, x[:0], None, units=[2], activations=["linear"], bias=True, loss="cross-entropy",
        optimizer="sgd", lr=0.1, epochs=1, batch_size=2, seed=1, kernel_init=problems.Init("zeros"),
        bias_init=problems.Init("zeros"))
    logits = x.astype(np.float64) @ w + b
    expected = np.mean(np.log(np.exp(logits).sum(axis=1)) - (t * logits).sum(axis=1))
    assert problems.final_loss(problem, [w, b]) == pytest.approx(expected, rel=1e-12)
    softmax_mse = problems.DenseProblem(**{**vars(problem), "loss": "mse", "activations": ["softmax"]})
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert problems.final_loss(softmax_mse, [w, b]) == pytest.approx(np.mean((t - p) ** 2), rel=1e-12)

