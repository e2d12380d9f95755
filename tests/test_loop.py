"""The fast path of the shared loop: one trace per run, epochs in few compiled calls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnfw
from nnfw.training.compilation import XLA_MIN_STEPS, xla_min_steps, xla_pays_off
from nnfw.training.loop import Trainer
from nnfw.training.network import Targets


def small_problem() -> tuple:
    import keras

    rng = np.random.RandomState(0)
    x = rng.randn(120, 4).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    return model, (x[:90], y[:90], x[90:], y[90:])


@pytest.mark.parametrize("jit", [False, True])
def test_a_500_epoch_run_traces_once_and_calls_few_times(jit: bool) -> None:
    model, data = small_problem()
    trainer = Trainer(model, nnfw.optimizer("adam", learning_rate=0.01),
                      nnfw.loss("cross-entropy"), data, Targets(3, True, True), batch_size=32,
                      jit=jit, metrics=[("accuracy", nnfw.metric("accuracy"))])
    calls = []
    trainer.fit(500, on_chunk=lambda history: calls.append(history.epochs_run))
    assert trainer.traces == 1
    assert calls[-1] == 500 and len(calls) <= 10  # chunks of ~0.5 s, not one call an epoch
    assert trainer.history.epochs_run == 500 and len(trainer.history.test_accuracy) == 500


def test_xla_is_chosen_from_the_run_size_alone() -> None:
    assert not xla_pays_off(steps=500 * 4, parameters=4 * 3 + 3)  # iris
    assert xla_pays_off(steps=15000, parameters=2)  # yogurt
    # digits-sized (1438 rows, 64-32-10, batch 32) for 100 epochs: XLA's compile outweighs it
    assert not xla_pays_off(steps=100 * 45, parameters=64 * 32 + 32 + 32 * 10 + 10)
    # the MLP 784-512-10: its big update earns the compile back in about 3 epochs at batch 128
    mlp = 784 * 512 + 512 + 512 * 10 + 10
    assert not xla_pays_off(steps=2 * 469, parameters=mlp)
    assert xla_pays_off(steps=3 * 469, parameters=mlp)


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_bigger_models_never_need_more_steps_for_xla(smaller: int, extra: int) -> None:
    assert 1 <= xla_min_steps(smaller + extra) <= xla_min_steps(smaller) <= XLA_MIN_STEPS


def test_eager_arithmetic_is_set_only_inside_and_put_back() -> None:
    import tensorflow as tf

    from nnfw.training.compilation import eager_arithmetic

    def current() -> object:
        return tf.config.optimizer.get_experimental_options().get("arithmetic_optimization", True)

    before = current()
    with eager_arithmetic():
        assert current() is False
    assert current() == before
