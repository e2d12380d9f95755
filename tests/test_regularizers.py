"""Regularizers: the lecture's L2 (scale * sum(w^2) / 2) and L1, alone and inside Dense layers."""

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


def weights(seed: int, shape: tuple[int, ...] = (2, 11)) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_importing_the_plugins_does_not_import_tensorflow() -> None:
    code = ("import sys, nnfw_plugins.regularizers.l2, nnfw_plugins.regularizers.l1; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_default_scales_are_the_lectures_regularizer_and_a_small_l1() -> None:
    assert nnfw.regularizer("l2").get_config() == {"scale": 0.03}
    assert nnfw.regularizer("l1").get_config() == {"scale": 0.01}


@pytest.mark.parametrize(("seed", "scale"), [(0, 0.03), (1, 0.5), (2, 1.0)])
def test_l2_is_scale_times_half_the_sum_of_squares(seed: int, scale: float) -> None:
    w = weights(seed)
    got = nnfw.regularizer("l2", scale=scale)(tf.constant(w)).numpy()
    np.testing.assert_allclose(got, scale * np.sum(w.astype(np.float64) ** 2) / 2,
                               rtol=RTOL, atol=ATOL)
    assert got == (scale * tf.nn.l2_loss(w)).numpy()  # the lecture's REGULARIZER * l2_loss(w)


@pytest.mark.parametrize(("seed", "scale"), [(0, 0.01), (1, 0.5)])
def test_l1_is_scale_times_the_sum_of_magnitudes(seed: int, scale: float) -> None:
    w = weights(seed)
    got = nnfw.regularizer("l1", scale=scale)(tf.constant(w)).numpy()
    np.testing.assert_allclose(got, scale * np.sum(np.abs(w.astype(np.float64))),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("name", "penalty"), [
    ("l2", lambda w: 0.03 * np.sum(w ** 2) / 2),
    ("l1", lambda w: 0.01 * np.sum(np.abs(w))),
])
def test_a_dense_layer_adds_the_penalty_of_its_kernel_only(name: str, penalty: object) -> None:
    layer = keras.layers.Dense(11, kernel_regularizer=nnfw.regularizer(name),
                               bias_initializer=keras.initializers.Constant(5.0))
    model = keras.Sequential([keras.Input((2,)), layer])
    assert len(model.losses) == 1
    kernel = layer.kernel.numpy().astype(np.float64)
    np.testing.assert_allclose(model.losses[0].numpy(), penalty(kernel), rtol=RTOL, atol=ATOL)


def test_zero_scale_gives_no_penalty_and_negative_is_rejected() -> None:
    assert nnfw.regularizer("l2", scale=0.0)(tf.constant(weights(0))).numpy() == 0.0
    with pytest.raises(UsageError):
        nnfw.regularizer("l2", scale=-0.1)
    with pytest.raises(UsageError):
        nnfw.regularizer("l1", scale=-1.0)


@pytest.mark.parametrize("name", ["l2", "l1"])
def test_regularizers_survive_keras_serialization(name: str) -> None:
    regularizer = nnfw.regularizer(name, scale=0.25)
    restored = keras.regularizers.deserialize(keras.regularizers.serialize(regularizer))
    assert type(restored) is type(regularizer)
    assert restored.get_config() == {"scale": 0.25}
    w = tf.constant(weights(3))
    assert restored(w).numpy() == regularizer(w).numpy()
