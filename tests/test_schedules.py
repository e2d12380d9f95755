"""Learning-rate schedules: constant, and the lecture's exponential decay updated per epoch."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from collections.abc import Iterator

import keras
import numpy as np
import pytest
import tensorflow as tf

import nnfw
from nnfw import UsageError, api
from nnfw.plugin.loading import Candidate, entry_point_candidates, load_registry


def reference_lr(lr_base: float, steps_per_epoch: int, iteration: int, decay: float, step: float,
                 staircase: bool, per_step: bool) -> np.float32:
    """The lecture's Python float64 ``lr_base * lr_decay ** (epoch / lr_step)``, cast to float32."""
    epoch = iteration if per_step else iteration // steps_per_epoch
    exponent = epoch / step
    if staircase:
        exponent = float(math.floor(exponent))
    return np.float32(lr_base * decay ** exponent)


def test_importing_the_plugins_does_not_import_tensorflow() -> None:
    code = ("import sys, nnfw_plugins.schedules.constant, nnfw_plugins.schedules.exponential; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_constant_is_the_plain_float() -> None:
    rate = nnfw.schedule("constant", 0.25, 7)
    assert type(rate) is float
    assert rate == 0.25


def test_exponential_matches_the_lecture_float64_formula_bit_for_bit() -> None:
    schedule = nnfw.schedule("exponential", 0.2, 1)
    iterations = np.arange(0, 2000)
    got = schedule(tf.constant(iterations)).numpy()
    want = np.array([np.float32(0.2 * 0.99 ** (epoch / 1)) for epoch in iterations])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("steps_per_epoch", "decay", "step", "staircase", "per_step"),
                         list(itertools.product([1, 4], [0.99, 0.8, 1.0], [1.0, 2.5],
                                                [False, True], [False, True])))
def test_exponential_matches_a_python_reference_for_every_option(
        steps_per_epoch: int, decay: float, step: float, staircase: bool, per_step: bool) -> None:
    schedule = nnfw.schedule("exponential", 0.1, steps_per_epoch, decay=decay, step=step,
                             staircase=staircase, per_step=per_step)
    iterations = np.arange(0, 300)  # 0.8 ** 300 > 1e-30: no float32 subnormals (TF flushes them)
    got = schedule(tf.constant(iterations, dtype=tf.int64)).numpy()
    want = [reference_lr(0.1, steps_per_epoch, int(i), decay, step, staircase, per_step)
            for i in iterations]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.float32))


def test_exponential_updates_once_per_epoch_unless_per_step() -> None:
    per_epoch = nnfw.schedule("exponential", 1.0, 4, decay=0.5)
    per_batch = nnfw.schedule("exponential", 1.0, 4, decay=0.5, per_step=True)
    rates = [float(per_epoch(i)) for i in range(9)]
    assert rates == [1.0] * 4 + [0.5] * 4 + [0.25]
    assert [float(per_batch(i)) for i in range(3)] == [1.0, 0.5, 0.25]


def test_staircase_holds_the_rate_for_whole_steps() -> None:
    smooth = nnfw.schedule("exponential", 1.0, 1, decay=0.5, step=2.0)
    stairs = nnfw.schedule("exponential", 1.0, 1, decay=0.5, step=2.0, staircase=True)
    assert [float(stairs(i)) for i in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert float(smooth(1)) == np.float32(0.5 ** 0.5)


def test_exponential_drives_a_keras_optimizer_at_each_step() -> None:
    schedule = nnfw.schedule("exponential", 0.2, 3, decay=0.9)
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    weight = keras.Variable(0.0)
    for k in range(10):
        weight.assign(0.0)
        optimizer.apply([tf.constant(1.0)], [weight])  # w = 0 - lr * 1 exactly
        assert -weight.numpy() == reference_lr(0.2, 3, k, 0.9, 1.0, False, False), k
    assert int(optimizer.iterations.numpy()) == 10


def test_lecture_experiment_w_goes_to_minus_one_with_the_lectures_numbers() -> None:
    """The lecture's loop, (w+1)^2 from w = 5, against Keras SGD driven by the schedule."""
    lecture_w = tf.Variable(tf.constant(5, dtype=tf.float32))
    for epoch in range(40):
        lr = 0.2 * 0.99 ** (epoch / 1)
        with tf.GradientTape() as tape:
            loss = tf.square(lecture_w + 1)
        lecture_w.assign_sub(lr * tape.gradient(loss, lecture_w))
    weight = keras.Variable(5.0)
    optimizer = keras.optimizers.SGD(learning_rate=nnfw.schedule("exponential", 0.2, 1))
    for _ in range(40):
        with tf.GradientTape() as tape:
            loss = tf.square(weight + 1)
        optimizer.apply([tape.gradient(loss, weight)], [weight])
    assert weight.numpy() == lecture_w.numpy()
    assert abs(weight.numpy() + 1) < 1e-3


def test_exponential_survives_keras_serialization() -> None:
    schedule = nnfw.schedule("exponential", 0.3, 5, decay=0.8, step=2.0, staircase=True,
                             per_step=False)
    config = keras.optimizers.schedules.serialize(schedule)
    restored = keras.optimizers.schedules.deserialize(config)
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    steps = tf.range(0, 50)
    np.testing.assert_array_equal(restored(steps).numpy(), schedule(steps).numpy())


@pytest.mark.parametrize("bad", [{"decay": 0.0}, {"decay": 1.5}, {"step": 0.0},
                                 {"staircase": "maybe"}])
def test_exponential_rejects_out_of_range_hyperparameters(bad: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        nnfw.schedule("exponential", 0.2, 1, **bad)


def test_exponential_rejects_an_empty_epoch() -> None:
    with pytest.raises(UsageError):
        nnfw.schedule("exponential", 0.2, 0)


def linear_to_zero(learning_rate: float, steps_per_epoch: int, epochs: int) -> object:
    """A schedule that needs the run's length: from learning_rate down to 0 at the last step."""
    import keras

    class LinearToZero(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step: object) -> object:
            total = float(steps_per_epoch * epochs)
            return learning_rate * (1.0 - keras.ops.cast(step, "float32") / total)

    return LinearToZero()


@pytest.fixture
def with_run_length_schedule() -> Iterator[None]:
    def register_schedules(register: object) -> None:
        register("to-zero", linear_to_zero, description="down to 0 where training ends")  # type: ignore[operator]

    module = type(sys)("to_zero_plugin")
    module.register_schedules = nnfw.hookimpl(register_schedules)  # type: ignore[attr-defined]
    api.use_registry(load_registry([*entry_point_candidates(), Candidate("to-zero", lambda: module)]))
    yield
    api.use_registry(None)


def test_a_schedule_that_asks_for_the_run_length_gets_it(with_run_length_schedule: None) -> None:
    run = nnfw.train(dataset="yogurt", loss="mse", schedule="to-zero", lr=0.1, epochs=10, batch_size=16)
    # two steps an epoch: epoch e starts at step 2e, lr = 0.1 * (1 - 2e / 20)
    np.testing.assert_allclose(run.history.lr, [0.1 * (1 - e / 10) for e in range(10)], rtol=1e-6)
    longer = nnfw.train(dataset="yogurt", loss="mse", schedule="to-zero", lr=0.1, epochs=20, batch_size=16)
    assert longer.history.lr[10] == pytest.approx(0.05, rel=1e-6)  # it follows the planned length
    direct = nnfw.schedule("to-zero", 0.1, steps_per_epoch=2, epochs=5)
    assert float(direct(5)) == pytest.approx(0.05, rel=1e-6)
    assert nnfw.train(dataset="yogurt", loss="mse", schedule="exponential", epochs=2).history.epochs_run == 2


def test_a_schedule_may_not_declare_a_hyperparameter_named_epochs() -> None:
    def register_schedules(register: object) -> None:
        register("bad", lambda learning_rate, steps_per_epoch, epochs: 0.1,  # type: ignore[operator]
                 description="d", params=[nnfw.Param("epochs", 3, "clashes with the run's")])

    module = type(sys)("bad_schedule")
    module.register_schedules = nnfw.hookimpl(register_schedules)  # type: ignore[attr-defined]
    (record,) = load_registry([Candidate("bad", lambda: module)]).plugins
    assert record.status == "error" and "none of 'name', 'epochs'" in record.error
