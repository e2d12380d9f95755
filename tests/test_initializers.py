"""Initializers: exactly TF's seeded random ops (as the lecture calls them), He, zeros, constant."""

from __future__ import annotations

import math
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import nnfw
from nnfw import UsageError


def test_importing_the_plugins_does_not_import_tensorflow() -> None:
    modules = ", ".join(f"nnfw_plugins.initializers.{m}" for m in
                        ["he_normal", "normal", "truncated_normal", "zeros", "constant"])
    code = (f"import sys, {modules}; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_truncated_normal_repeats_the_lectures_iris_draws_w1_then_b1() -> None:
    tf.random.set_seed(116)
    w1 = tf.random.truncated_normal([4, 3], stddev=0.1, seed=1).numpy()
    b1 = tf.random.truncated_normal([3], stddev=0.1, seed=1).numpy()
    assert not np.array_equal(w1[0], b1)  # the second draw continues the first one's sequence
    init = nnfw.initializer("truncated-normal")
    tf.random.set_seed(116)
    np.testing.assert_array_equal(init((4, 3), "float32").numpy(), w1)
    np.testing.assert_array_equal(init((3,), "float32").numpy(), b1)
    tf.random.set_seed(116)
    layer = keras.layers.Dense(3, kernel_initializer=init, bias_initializer=init)
    layer.build((None, 4))
    np.testing.assert_array_equal(layer.kernel.numpy(), w1)
    np.testing.assert_array_equal(layer.bias.numpy(), b1)


def test_normal_repeats_tf_random_normal_draw_for_draw() -> None:
    tf.random.set_seed(116)
    first = tf.random.normal([2, 1], mean=0.5, stddev=2.0, seed=7).numpy()
    second = tf.random.normal([5], mean=0.5, stddev=2.0, seed=7).numpy()
    init = nnfw.initializer("normal", mean=0.5, stddev=2.0, seed=7)
    tf.random.set_seed(116)
    np.testing.assert_array_equal(init((2, 1), "float32").numpy(), first)
    np.testing.assert_array_equal(init((5,), "float32").numpy(), second)


def test_normal_defaults_are_the_lectures_yogurt_init() -> None:
    tf.random.set_seed(3)
    want = tf.random.normal([2, 1], stddev=1, seed=1).numpy()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(nnfw.initializer("normal")((2, 1)).numpy(), want)


@pytest.mark.parametrize(("shape", "fan_in"), [((4, 3), 4), ((50, 7), 50), ((3, 3, 2, 8), 18)])
def test_he_normal_is_a_plain_normal_with_std_sqrt_two_over_fan_in(
        shape: tuple[int, ...], fan_in: int) -> None:
    tf.random.set_seed(116)
    want = tf.random.normal(shape, stddev=math.sqrt(2 / fan_in), seed=1).numpy()
    tf.random.set_seed(116)
    np.testing.assert_array_equal(nnfw.initializer("he-normal")(shape, "float32").numpy(), want)


def test_he_normal_sample_std_is_close_to_sqrt_two_over_fan_in() -> None:
    values = nnfw.initializer("he-normal", seed=5)((800, 250), "float32").numpy()
    assert abs(values.mean()) < 0.002
    assert values.std() == pytest.approx(math.sqrt(2 / 800), rel=0.01)
    assert np.abs(values).max() > 2 * math.sqrt(2 / 800)  # not truncated at 2 std


def test_zeros_and_constant_fill_in_the_requested_dtype() -> None:
    zeros = nnfw.initializer("zeros")((2, 3), "float64").numpy()
    assert zeros.dtype == np.float64
    np.testing.assert_array_equal(zeros, np.zeros((2, 3)))
    assert nnfw.initializer("constant")((3,)).numpy().tolist() == [np.float32(0.1)] * 3
    filled = nnfw.initializer("constant", value=-2.5)((2, 2), "float64").numpy()
    assert filled.dtype == np.float64
    np.testing.assert_array_equal(filled, np.full((2, 2), -2.5))


@pytest.mark.parametrize("name", ["normal", "truncated-normal"])
def test_random_initializers_give_the_requested_dtype(name: str) -> None:
    assert nnfw.initializer(name)((3, 2), "float64").dtype == tf.float64


@pytest.mark.parametrize("bad", [{"stddev": 0.0}, {"stddev": -1.0}, {"seed": 1.5}])
def test_bad_hyperparameters_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        nnfw.initializer("normal", **bad)


@pytest.mark.parametrize(("name", "params"), [
    ("normal", {"mean": 1.0, "stddev": 0.5, "seed": 3}),
    ("truncated-normal", {"mean": 0.0, "stddev": 0.2, "seed": 4}),
    ("he-normal", {"seed": 9}),
    ("zeros", {}),
    ("constant", {"value": 0.7}),
])
def test_initializers_survive_keras_serialization(name: str, params: dict[str, object]) -> None:
    init = nnfw.initializer(name, **params)
    restored = keras.initializers.deserialize(keras.initializers.serialize(init))
    assert type(restored) is type(init)
    assert restored.get_config() == init.get_config() == {**init.get_config(), **params}
    tf.random.set_seed(1)
    first = init((6, 4)).numpy()
    tf.random.set_seed(1)
    np.testing.assert_array_equal(restored((6, 4)).numpy(), first)
