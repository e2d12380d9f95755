"""Divergence reports on runs that break on every CPU, whatever its rounding.

Each run here breaks for a reason no float rounding can change (a state that is exactly
0, an overflow by hundreds of orders of magnitude), so the epoch, step, what went
non-finite and the cause are the same on any machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import nnfw

KERNEL = "nnfw/output/kernel"


def csv_file(folder: Path, rows: list[str]) -> str:
    path = folder / "data.csv"
    path.write_text("\n".join(["x1,x2,y", *rows]) + "\n")
    return str(path)


def regression(path: str, optimizer_params: dict[str, float] | None = None,
               **options: object) -> nnfw.training.runner.RunResult:
    """A one-layer linear regression on the CSV file ``path``, MSE, 32-row batches."""
    # raw features (the csv data set standardizes by default): the causes come from their values
    params = {"dataset": {"path": path, "task": "regression", "standardize": False},
              "optimizer": optimizer_params or {}}
    return nnfw.train(dataset="csv", params=params, loss="mse", hidden="", output_activation="linear",
                      batch_size=32, epochs=20, xla=False, **options)


def test_a_state_that_is_exactly_0_is_named_as_the_cause(tmp_path: Path) -> None:
    # x2 is 0 in every row: its weight's gradient is exactly 0, so RMSProp's v stays 0 and the
    # lecture's epsilon-free update is 0 / 0 on the first step
    path = csv_file(tmp_path, [f"{i / 40},0,{i / 20}" for i in range(40)])
    run = regression(path, {"epsilon": 0.0}, optimizer="rmsprop", lr=0.01)  # the lecture's form
    assert run.divergence is not None
    assert (run.divergence.epoch, run.divergence.step) == (0, 1)
    assert run.divergence.non_finite == [KERNEL]
    assert "divides by a state that reached 0" in run.divergence.cause
    assert run.history.epochs_run == 0  # the broken epoch is not recorded
    fixed = regression(path, {"epsilon": 1e-7}, optimizer="rmsprop", lr=0.01)
    assert fixed.divergence is None  # the suggested epsilon mends it


def test_an_overflowing_loss_is_named_as_the_cause() -> None:
    run = nnfw.train("yogurt-mse", lr=1e30, epochs=10)  # w jumps to ~1e30: the loss is ~1e60
    assert run.divergence is not None
    assert (run.divergence.epoch, run.divergence.step) == (1, 1)
    assert run.divergence.non_finite[0] == "loss"
    assert run.divergence.cause.startswith("the loss overflowed")
    assert run.history.epochs_run == 1


def test_an_overflowing_gradient_is_named_as_the_cause(tmp_path: Path) -> None:
    # every x is 3e38 (float32 holds up to 3.4e38), the weights start at 0: the loss is 1, but
    # the gradient adds 32 rows of 3e38 / 16 and overflows
    path = csv_file(tmp_path, ["3e38,3e38,1"] * 40)
    run = regression(path, optimizer="sgd", lr=0.1, init="zeros", bias=False)
    assert run.divergence is not None
    assert (run.divergence.epoch, run.divergence.step) == (0, 1)
    assert run.divergence.non_finite[0] == f"gradient of {KERNEL}"
    assert run.divergence.cause == "the gradients overflowed while the loss was finite"


def test_a_break_the_replay_does_not_reproduce_still_gets_a_cause(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as when XLA's fused program breaks and the step-by-step replay stays finite
    monkeypatch.setattr("nnfw.training.divergence.replay", lambda stepper, data, divergence: None)
    path = csv_file(tmp_path, [f"{i / 40},0,{i / 20}" for i in range(40)])
    run = regression(path, {"epsilon": 0.0}, optimizer="rmsprop", lr=0.01)  # the lecture's form
    assert run.divergence is not None and run.divergence.non_finite == [KERNEL]
    assert "compiled program" in run.divergence.cause and "--exact" in run.divergence.cause


def test_going_on_after_a_break_still_says_what_broke(tmp_path: Path) -> None:
    run = nnfw.train("yogurt-mse", lr=1e30, epochs=10, on_nan="continue")
    assert run.history.epochs_run == 10
    assert run.divergence is not None and run.divergence.epoch == 1
    assert run.divergence.non_finite and run.divergence.cause
