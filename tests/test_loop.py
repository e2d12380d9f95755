"""The fast path of the shared loop: one trace per run, epochs in few compiled calls."""

from __future__ import annotations

import numpy as np
import pytest

import nnfw
from nnfw.training.compilation import xla_pays_off
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
    assert not xla_pays_off(steps=500 * 4, multiply_adds_per_epoch=150 * 12)  # iris
    assert xla_pays_off(steps=15000, multiply_adds_per_epoch=32 * 2)  # yogurt
    assert xla_pays_off(steps=2 * 469, multiply_adds_per_epoch=60000 * 407_040)  # the MLP
    # digits-sized (1438 rows, 64-32-10, batch 32) for 100 epochs: XLA's compile outweighs it
    assert not xla_pays_off(steps=100 * 45, multiply_adds_per_epoch=1438 * 2368)


def test_eager_arithmetic_is_set_only_inside_and_put_back() -> None:
    import tensorflow as tf

    from nnfw.training.compilation import eager_arithmetic

    def current() -> object:
        return tf.config.optimizer.get_experimental_options().get("arithmetic_optimization", True)

    before = current()
    with eager_arithmetic():
        assert current() is False
    assert current() == before
