"""Activations: values and gradients against numpy formulas, Keras use, save and load."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import nnfw
from nnfw import UsageError

NAMES = ["sigmoid", "tanh", "relu", "leaky-relu", "linear", "softmax"]
RTOL, ATOL = 1e-6, 1e-7


# name -> (f(x), f'(x) written with x and y = f(x)) in float64 numpy, elementwise activations.
# tanh' and sigmoid' are taken at the float32 y that TF computed, as TF's own backward pass does
# (1 - tanh(x)^2 from a float32 tanh differs by a few ulps from the float64 1 - tanh(x)^2).
Formula = Callable[[np.ndarray], np.ndarray]
Derivative = Callable[[np.ndarray, np.ndarray], np.ndarray]
ELEMENTWISE: dict[str, tuple[Formula, Derivative]] = {
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda x, y: y * (1 - y)),
    "tanh": (np.tanh, lambda x, y: 1 - y ** 2),
    "relu": (lambda x: np.maximum(x, 0), lambda x, y: (x > 0).astype(float)),
    "leaky-relu": (lambda x: np.where(x > 0, x, 0.01 * x), lambda x, y: np.where(x > 0, 1.0, 0.01)),
    "linear": (lambda x: x, lambda x, y: np.ones_like(x)),
}


def value_and_gradient(function: Callable[[tf.Tensor], tf.Tensor], x: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and d sum(f(x)) / dx, by tf.GradientTape."""
    tensor = tf.constant(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        y = function(tensor)
    return y.numpy(), tape.gradient(y, tensor).numpy()


def test_importing_the_plugins_does_not_import_tensorflow() -> None:
    modules = ", ".join(f"nnfw_plugins.activations.{m}" for m in
                        ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"])
    code = (f"import sys, {modules}; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_values_and_gradients_match_numpy(name: str) -> None:
    f, derivative = ELEMENTWISE[name]
    x = np.linspace(-6, 6, 240).astype(np.float32)  # even count: 0 is not a grid point
    y, grad = value_and_gradient(nnfw.activation(name), x)
    np.testing.assert_allclose(y, f(x.astype(np.float64)), rtol=RTOL, atol=ATOL)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    np.testing.assert_allclose(grad, derivative(x64, y64), rtol=RTOL, atol=ATOL)


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero() -> None:
    x = np.linspace(-6, 6, 241).astype(np.float32)  # odd count: 0 is the middle point
    _, grad = value_and_gradient(nnfw.activation("sigmoid"), x)
    assert x[np.argmax(grad)] == 0
    assert grad.max() == pytest.approx(0.25, abs=1e-7)
    assert np.all(grad > 0) and np.all(grad <= 0.25)


def test_leaky_relu_slope_is_a_hyperparameter() -> None:
    x = np.array([-4.0, -1.0, 0.0, 2.0], dtype=np.float32)
    y, grad = value_and_gradient(nnfw.activation("leaky-relu", slope=0.2), x[[0, 1, 3]])
    np.testing.assert_allclose(y, np.maximum(0.2 * x[[0, 1, 3]], x[[0, 1, 3]]), rtol=RTOL)
    np.testing.assert_allclose(grad, [0.2, 0.2, 1.0], rtol=RTOL)
    assert nnfw.activation("leaky-relu", slope=0.0)(tf.constant(x)).numpy().tolist() == \
        [0.0, 0.0, 0.0, 2.0]


@pytest.mark.parametrize("slope", [1.0, -0.1, 2.0])
def test_leaky_relu_rejects_slopes_outside_zero_to_one(slope: float) -> None:
    with pytest.raises(UsageError):
        nnfw.activation("leaky-relu", slope=slope)


def test_softmax_rows_are_probabilities_and_match_numpy() -> None:
    logits = np.random.default_rng(0).normal(scale=3, size=(8, 5)).astype(np.float32)
    weights = np.random.default_rng(1).normal(size=(8, 5)).astype(np.float32)
    tensor = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        probabilities = nnfw.activation("softmax")(tensor)
        weighted = tf.reduce_sum(probabilities * weights)
    grad = tape.gradient(weighted, tensor).numpy()
    z = logits.astype(np.float64)
    want = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities.numpy(), want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(probabilities.numpy().sum(axis=1), 1.0, rtol=RTOL)
    # d sum(v * s) / dz = s * (v - sum(s * v)) for each row
    want_grad = want * (weights - (want * weights).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(grad, want_grad, rtol=1e-5, atol=1e-6)


def test_every_activation_works_in_dense_layers_and_survives_save_and_load(
        tmp_path: Path) -> None:
    activations = {name: nnfw.activation(name) for name in NAMES}
    activations["leaky-relu"] = nnfw.activation("leaky-relu", slope=0.3)
    model = keras.Sequential([keras.Input((3,))] +
                             [keras.layers.Dense(3, activation=activations[name]) for name in NAMES])
    x = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    before = model.predict(x, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    for layer, name in zip(loaded.layers, NAMES, strict=True):
        assert type(layer.activation) is type(activations[name])
        assert layer.activation.get_config() == activations[name].get_config()
    assert loaded.layers[NAMES.index("leaky-relu")].activation.get_config() == {"slope": 0.3}
