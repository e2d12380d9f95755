"""Shuffling every epoch: the rows each epoch trains on, in the order the run's seed and the
epoch draw, checked against plain TensorFlow taking the rows in that order.

(Resuming and mirrored replicas with shuffling on are checked in test_resume.py and
test_distribute.py, whose runs use the default settings, shuffling included.)
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import nnfw

# the lecture's linear yogurt model, in mini-batches of 5 (6 full batches and one of 2)
OPTIONS = {"batch_size": 5, "epochs": 3, "seed": 7, "exact": True}


def epoch_order(seed: int, epoch: int, rows: int) -> np.ndarray:
    """The documented order of epoch ``epoch``: rows sorted by stateless uniform keys."""
    keys = tf.random.stateless_uniform([rows], seed=tf.constant([seed, epoch], tf.int32))
    return tf.argsort(keys, stable=True).numpy()


def plain_sgd(x: np.ndarray, y: np.ndarray, w: np.ndarray, lr: float, orders: list[np.ndarray],
              batch: int) -> np.ndarray:
    """Gradient descent on mean((y - x @ w)^2) as the lecture writes it, taking each epoch's
    rows in its order, ``batch`` at a time."""
    w = tf.Variable(w)
    for order in orders:
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(y[rows] - tf.matmul(x[rows], w)))
            w.assign_sub(lr * tape.gradient(loss, w))
    return w.numpy()


def test_each_epoch_takes_the_rows_in_the_order_its_seed_and_number_draw() -> None:
    # lr 1e-30 moves no weight by a float32 step: the initial weights
    start = nnfw.train("yogurt-mse", lr=1e-30, **OPTIONS)
    shuffled = nnfw.train("yogurt-mse", shuffle=True, **OPTIONS)
    in_order = nnfw.train("yogurt-mse", shuffle=False, **OPTIONS)
    data = shuffled.data
    x = data.x_train.astype(np.float32)
    y = data.y_train.reshape(-1, 1).astype(np.float32)
    w0 = start.model.weights[0].numpy()
    rows = len(x)
    orders = [epoch_order(OPTIONS["seed"], epoch, rows) for epoch in range(OPTIONS["epochs"])]
    for order in orders:
        assert sorted(order) == list(range(rows))  # every row once
    assert len({tuple(order) for order in orders}) == len(orders)  # a new order every epoch
    assert not np.array_equal(epoch_order(8, 0, rows), orders[0])  # and for every seed

    lr = shuffled.settings.scalars["lr"]
    expected = plain_sgd(x, y, w0, lr, orders, OPTIONS["batch_size"])
    unshuffled = plain_sgd(x, y, w0, lr, [np.arange(rows)] * len(orders), OPTIONS["batch_size"])
    got = shuffled.model.weights[0].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(in_order.model.weights[0].numpy(), unshuffled, rtol=1e-6)
    # the two orders end far enough apart for the check above to tell them apart
    assert np.max(np.abs(expected - unshuffled)) > 1e-4


def test_shuffling_is_part_of_the_settings_a_run_records(tmp_path) -> None:
    run = nnfw.train("yogurt-mse", shuffle=True, out=str(tmp_path), **OPTIONS)
    resumed = nnfw.train(resume=str(run.run_dir), epochs=5)
    assert resumed.settings.scalars["shuffle"] is True
    straight = nnfw.train("yogurt-mse", shuffle=True, **{**OPTIONS, "epochs": 5})
    np.testing.assert_array_equal(resumed.model.weights[0].numpy(),
                                  straight.model.weights[0].numpy())
    assert resumed.history.loss == pytest.approx(straight.history.loss, rel=0, abs=0)
