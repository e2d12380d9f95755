"""The lecture's experiments, run in full, give the numbers the lecture's own scripts print."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnfw
from nnfw.complexity import dense_complexity
from nnfw.runner import RunResult

# LECTURE.md, section 6: loss at epoch 499 and final test accuracy, per optimizer
IRIS_TABLE = {
    "sgd": (0.0323003, 1.0),
    "sgdm": (0.0306306, 1.0),
    "adagrad": (0.0317392, 1.0),
    "adam": (0.0139262, 1.0),
}


@pytest.mark.parametrize(("optimizer", "expected"), IRIS_TABLE.items())
def test_iris_optimizer_table(optimizer: str, expected: tuple[float, float]) -> None:
    result = nnfw.train("iris", optimizer=optimizer)
    final = result.history.final()
    assert result.history.epochs_run == 500 and result.divergence is None
    assert final["loss"] == pytest.approx(expected[0], abs=1e-4)
    assert final["test_accuracy"] == pytest.approx(expected[1], abs=1e-4)


def test_rmsprop_diverges_on_iris_as_in_the_lecture() -> None:
    stopped = nnfw.train("iris", optimizer="rmsprop")
    assert stopped.divergence is not None
    assert 360 <= stopped.divergence.epoch <= 375  # the lecture's run breaks near epoch 371
    assert stopped.history.epochs_run == stopped.divergence.epoch  # the broken epoch is left out
    assert all(math.isfinite(loss) for loss in stopped.history.loss)
    assert all(np.all(np.isfinite(w.numpy())) for w in stopped.model.weights)  # last finite state
    # ... which is the state at the end of the last recorded epoch: a fresh run of that many
    # epochs has the same weights
    again = nnfw.train("iris", optimizer="rmsprop", epochs=stopped.divergence.epoch)
    for kept, fresh in zip(stopped.model.weights, again.model.weights, strict=True):
        np.testing.assert_allclose(kept.numpy(), fresh.numpy(), rtol=1e-6)
    # the lecture's cause: a gradient entry is 0 while v underflowed to 0, so g / sqrt(v) = 0/0
    assert stopped.divergence.non_finite == ["nnfw/output/kernel"]
    assert "divides by a state that reached 0" in stopped.divergence.cause
    watched = nnfw.train("iris", optimizer="rmsprop", on_nan="continue")
    assert watched.history.epochs_run == 500
    assert math.isnan(watched.history.final()["loss"])
    assert watched.history.final()["test_accuracy"] == pytest.approx(0.3667, abs=1e-4)


def kernel(result: RunResult) -> np.ndarray:
    return result.model.get_layer("output").kernel.numpy()


def test_yogurt_mse_final_weights() -> None:
    w1 = kernel(nnfw.train("yogurt-mse"))
    np.testing.assert_allclose(w1, [[1.0009792], [0.9977485]], atol=1e-4)


def test_yogurt_cost_profit_final_weights_and_the_swap() -> None:
    w1 = kernel(nnfw.train("yogurt-cost-profit"))
    np.testing.assert_allclose(w1, [[1.1626335], [1.1191947]], atol=1e-4)
    data = nnfw.dataset("yogurt")
    over = data.x_train @ w1 - data.y_train
    swapped = kernel(nnfw.train("yogurt-cost-profit", params={"loss": {"cost": 99.0, "profit": 1.0}}))
    under = data.x_train @ swapped - data.y_train
    assert np.mean(over > 0) > 0.9 and np.mean(under < 0) > 0.9


def test_l2_makes_the_dot_weights_smaller() -> None:
    def weight_norm(result: RunResult) -> float:
        return sum(float(np.sum(layer.kernel.numpy() ** 2)) for layer in result.model.layers)

    plain = nnfw.train("dot-plain")
    l2 = nnfw.train("dot-l2")
    assert plain.history.epochs_run == l2.history.epochs_run == 800
    assert weight_norm(l2) < 0.8 * weight_norm(plain)


def test_complexity_of_the_lecture_example() -> None:
    counts = dense_complexity([3, 4, 2])
    assert (counts.layers, counts.parameters, counts.multiply_adds) == (2, 3 * 4 + 4 + 4 * 2 + 2, 20)
    assert dense_complexity([3, 4, 2], bias=False).parameters == 20
