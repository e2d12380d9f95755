"""Losses: MSE, the lecture's cost/profit loss and cross-entropy, against numpy and in Keras."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import nnfw
from nnfw import UsageError

RTOL, ATOL = 1e-6, 1e-7


def yogurt_like(seed: int = 0, n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 targets and predictions of shape [n, 1], as in the lecture's regression."""
    rng = np.random.default_rng(seed)
    y_true = rng.uniform(0, 2, size=(n, 1)).astype(np.float32)
    y_pred = (y_true + rng.normal(scale=0.3, size=(n, 1))).astype(np.float32)
    return y_true, y_pred


def np_cost_profit(y_true: np.ndarray, y_pred: np.ndarray, cost: float, profit: float) -> float:
    y_, y = y_true.astype(np.float64), y_pred.astype(np.float64)
    return float(np.sum(np.where(y > y_, (y - y_) * cost, (y_ - y) * profit)))


def np_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_importing_the_plugins_does_not_import_tensorflow() -> None:
    code = ("import sys, nnfw_plugins.losses.mse, nnfw_plugins.losses.cost_profit, "
            "nnfw_plugins.losses.cross_entropy; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registrations_say_which_tasks_each_loss_fits() -> None:
    registry = nnfw.registry()
    assert registry.get("loss", "mse").extras["tasks"] == ("classification", "regression")
    assert registry.get("loss", "cost-profit").extras["tasks"] == ("regression",)
    entry = registry.get("loss", "cross-entropy")
    assert entry.extras["tasks"] == ("classification",)
    assert entry.extras["per_class_outputs"] is True


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mse_is_the_mean_over_all_elements(seed: int) -> None:
    y_true, y_pred = yogurt_like(seed)
    y_true, y_pred = y_true.reshape(8, 4), y_pred.reshape(8, 4)  # mean over every element
    got = nnfw.loss("mse")(y_true, y_pred).numpy()
    np.testing.assert_allclose(got, np.mean((y_true.astype(float) - y_pred) ** 2),
                               rtol=RTOL, atol=ATOL)
    assert got == tf.reduce_mean(tf.square(y_true - y_pred)).numpy()  # the lecture's TF line


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cost_profit_is_a_sum_matching_numpy(seed: int) -> None:
    y_true, y_pred = yogurt_like(seed)
    got = nnfw.loss("cost-profit")(y_true, y_pred).numpy()
    np.testing.assert_allclose(got, np_cost_profit(y_true, y_pred, 1.0, 99.0), rtol=RTOL)
    got = nnfw.loss("cost-profit", cost=3.0, profit=0.5)(y_true, y_pred).numpy()
    np.testing.assert_allclose(got, np_cost_profit(y_true, y_pred, 3.0, 0.5), rtol=RTOL)


def test_swapping_cost_and_profit_flips_which_side_is_penalised() -> None:
    y_true = np.ones((10, 1), np.float32)
    over, under = y_true + 0.5, y_true - 0.5
    default = nnfw.loss("cost-profit")
    swapped = nnfw.loss("cost-profit", cost=99.0, profit=1.0)
    np.testing.assert_allclose(default(y_true, over).numpy(), 10 * 0.5 * 1.0, rtol=RTOL)
    np.testing.assert_allclose(default(y_true, under).numpy(), 10 * 0.5 * 99.0, rtol=RTOL)
    np.testing.assert_allclose(swapped(y_true, over).numpy(), 10 * 0.5 * 99.0, rtol=RTOL)
    np.testing.assert_allclose(swapped(y_true, under).numpy(), 10 * 0.5 * 1.0, rtol=RTOL)


@pytest.mark.parametrize(("probabilities", "printed"), [([0.6, 0.4], "0.5108256"),
                                                        ([0.8, 0.2], "0.22314353")])
def test_cross_entropy_gives_the_lectures_numbers(probabilities: list[float], printed: str
                                                  ) -> None:
    expected = -np.log(np.float32(probabilities[0]))  # -sum(y_ * ln y) with y_ = [1, 0]
    assert str(expected) == printed
    got = nnfw.loss("cross-entropy", from_logits=False)([[1.0, 0.0]], [probabilities]).numpy()
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def test_cross_entropy_on_probabilities_matches_numpy_and_ignores_zero_labels() -> None:
    rng = np.random.default_rng(3)
    probabilities = np_softmax(rng.normal(size=(16, 4))).astype(np.float32)
    probabilities[0] = [1.0, 0.0, 0.0, 0.0]  # 0 * ln 0 counts as 0, as in the formula's limit
    labels = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 16)]
    labels[0] = [1.0, 0.0, 0.0, 0.0]
    got = nnfw.loss("cross-entropy", from_logits=False)(labels, probabilities).numpy()
    p = probabilities.astype(np.float64)
    want = np.mean([-np.sum(np.log(p[i][labels[i] > 0])) for i in range(16)])
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_fused_logits_form_matches_numpy_and_softmax_then_cross_entropy() -> None:
    rng = np.random.default_rng(4)
    logits = rng.normal(scale=2, size=(16, 3)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    fused = nnfw.loss("cross-entropy")(labels, logits).numpy()
    log_softmax = np.log(np_softmax(logits))
    np.testing.assert_allclose(fused, np.mean(-np.sum(labels * log_softmax, axis=1)),
                               rtol=RTOL, atol=ATOL)
    two_step = nnfw.loss("cross-entropy", from_logits=False)(labels, tf.nn.softmax(logits))
    np.testing.assert_allclose(two_step.numpy(), fused, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("from_logits", [True, False])
def test_integer_labels_give_the_same_as_one_hot(from_logits: bool) -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(12, 3)).astype(np.float32)
    outputs = logits if from_logits else tf.nn.softmax(logits).numpy()
    ids = rng.integers(0, 3, 12)
    loss = nnfw.loss("cross-entropy", from_logits=from_logits)
    one_hot = loss(np.eye(3, dtype=np.float32)[ids], outputs).numpy()
    assert loss(ids, outputs).numpy() == one_hot
    assert loss(ids.reshape(12, 1), outputs).numpy() == one_hot
    assert loss((ids + 1) % 3, outputs).numpy() != one_hot


def test_losses_work_in_model_compile() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(24, 2)).astype(np.float32)
    regression = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    y = (x.sum(axis=1, keepdims=True) + 0.1).astype(np.float32)
    for name, reference in [("mse", lambda y_, p: np.mean((y_ - p) ** 2)),
                            ("cost-profit", lambda y_, p: np_cost_profit(y_, p, 1.0, 99.0))]:
        regression.compile(optimizer="sgd", loss=nnfw.loss(name))
        got = regression.evaluate(x, y, batch_size=24, verbose=0)
        predicted = regression.predict(x, verbose=0).astype(np.float64)
        np.testing.assert_allclose(got, reference(y, predicted), rtol=RTOL)
    classifier = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    ids = rng.integers(0, 3, 24)
    classifier.compile(optimizer="sgd", loss=nnfw.loss("cross-entropy"))
    got = classifier.evaluate(x, ids, batch_size=24, verbose=0)
    log_softmax = np.log(np_softmax(classifier.predict(x, verbose=0)))
    np.testing.assert_allclose(got, -np.mean(log_softmax[np.arange(24), ids]), rtol=RTOL)
    history = classifier.fit(x, np.eye(3)[ids], batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize(("name", "params"), [("mse", {}),
                                              ("cost-profit", {"cost": 2.0, "profit": 7.0}),
                                              ("cross-entropy", {"from_logits": False})])
def test_losses_survive_keras_serialization(name: str, params: dict[str, object]) -> None:
    loss = nnfw.loss(name, **params)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    assert all(restored.get_config()[key] == value for key, value in params.items())
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    y_pred = np.array([[0.7, 0.3], [0.4, 0.6]], np.float32)
    assert restored(y_true, y_pred).numpy() == loss(y_true, y_pred).numpy()


@pytest.mark.parametrize("bad", [{"cost": 0.0}, {"profit": -1.0}])
def test_cost_profit_rejects_non_positive_weights(bad: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        nnfw.loss("cost-profit", **bad)
