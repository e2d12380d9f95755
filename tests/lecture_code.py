"""The lecture's own scripts, in plain TensorFlow, written the way the lecture writes them.

They are the independent reference of ``test_lecture.py``: each runs eagerly, on the
machine and in the test run that compares nnfw against it, so whatever the CPU's rounding
does to the lecture's code it does here too. Each function is one of the lecture's
scripts (SEED-CODE.md, LECTURE.md) with its constants as parameters; the only liberties
taken are the seeds the lecture leaves unset (``tf.random.set_seed`` is given explicitly,
to the values nnfw's experiment files record) and that results are returned, not printed.
Nothing here imports nnfw.

Eager steps are slow (about a millisecond each, 120000 in all), so the test run starts
this file as a script at its beginning, ``python lecture_code.py OUT_DIR``: it runs every
experiment of :data:`EXPERIMENTS` on the otherwise idle second core while other tests
run, and writes each result to ``OUT_DIR/NAME.npz`` when it is done.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

TF_DEFAULT_GLOBAL_SEED = 87654321  # what TensorFlow uses when a script sets no global seed


@dataclass
class LectureRun:
    """What a lecture script printed (or plotted), per epoch, and its final variables."""

    loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    w: list[float] = field(default_factory=list)  # the exponential-decay script's w per epoch
    variables: dict[str, np.ndarray] = field(default_factory=dict)
    snapshots: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)


def _iris_data(seed: int = 116) -> tuple[np.ndarray, ...]:
    """The lecture's iris preparation: load, shuffle x and y with the same seed, cut 120/30."""
    from sklearn import datasets

    x_data = datasets.load_iris().data
    y_data = datasets.load_iris().target
    np.random.seed(seed)
    np.random.shuffle(x_data)
    np.random.seed(seed)
    np.random.shuffle(y_data)
    return x_data[:-30], y_data[:-30], x_data[-30:], y_data[-30:]


def iris(optimizer: str, lr: float = 0.1, epochs: int = 500, beta: float = 0.9,
         beta1: float = 0.9, beta2: float = 0.999) -> LectureRun:
    """The lecture's iris script (p8_iris.py with the optimizer blocks of section 6)."""
    x_train, y_train, x_test, y_test = _iris_data()
    tf.random.set_seed(116)
    x_train = tf.cast(x_train, tf.float32)
    x_test = tf.cast(x_test, tf.float32)
    train_db = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)
    test_db = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)
    w1 = tf.Variable(tf.random.truncated_normal([4, 3], stddev=0.1, seed=1))
    b1 = tf.Variable(tf.random.truncated_normal([3], stddev=0.1, seed=1))
    run = LectureRun()
    m_w, m_b = 0, 0
    v_w, v_b = 0, 0
    global_step = 0
    for _epoch in range(epochs):
        loss_all = 0
        for _step, (x_batch, y_batch) in enumerate(train_db):
            global_step += 1
            with tf.GradientTape() as tape:
                y = tf.matmul(x_batch, w1) + b1
                y = tf.nn.softmax(y)
                y_ = tf.one_hot(y_batch, depth=3)
                loss = tf.reduce_mean(tf.square(y_ - y))
                loss_all += loss.numpy()
            grads = tape.gradient(loss, [w1, b1])
            if optimizer == "sgd":
                w1.assign_sub(lr * grads[0])
                b1.assign_sub(lr * grads[1])
            elif optimizer == "sgdm":
                m_w = beta * m_w + (1 - beta) * grads[0]
                m_b = beta * m_b + (1 - beta) * grads[1]
                w1.assign_sub(lr * m_w)
                b1.assign_sub(lr * m_b)
            elif optimizer == "adagrad":
                v_w += tf.square(grads[0])
                v_b += tf.square(grads[1])
                w1.assign_sub(lr * grads[0] / tf.sqrt(v_w))
                b1.assign_sub(lr * grads[1] / tf.sqrt(v_b))
            elif optimizer == "rmsprop":
                v_w = beta * v_w + (1 - beta) * tf.square(grads[0])
                v_b = beta * v_b + (1 - beta) * tf.square(grads[1])
                w1.assign_sub(lr * grads[0] / tf.sqrt(v_w))
                b1.assign_sub(lr * grads[1] / tf.sqrt(v_b))
            elif optimizer == "adam":
                m_w = beta1 * m_w + (1 - beta1) * grads[0]
                m_b = beta1 * m_b + (1 - beta1) * grads[1]
                v_w = beta2 * v_w + (1 - beta2) * tf.square(grads[0])
                v_b = beta2 * v_b + (1 - beta2) * tf.square(grads[1])
                m_w_correction = m_w / (1 - tf.pow(beta1, int(global_step)))
                m_b_correction = m_b / (1 - tf.pow(beta1, int(global_step)))
                v_w_correction = v_w / (1 - tf.pow(beta2, int(global_step)))
                v_b_correction = v_b / (1 - tf.pow(beta2, int(global_step)))
                w1.assign_sub(lr * m_w_correction / tf.sqrt(v_w_correction))
                b1.assign_sub(lr * m_b_correction / tf.sqrt(v_b_correction))
            else:
                raise ValueError(f"the lecture has no optimizer {optimizer!r}")
        run.loss.append(loss_all / 4)
        total_correct, total_number = 0, 0
        for x_batch, y_batch in test_db:
            y = tf.matmul(x_batch, w1) + b1
            y = tf.nn.softmax(y)
            pred = tf.argmax(y, axis=1)
            pred = tf.cast(pred, dtype=y_batch.dtype)
            correct = tf.cast(tf.equal(pred, y_batch), dtype=tf.int32)
            total_correct += int(tf.reduce_sum(correct))
            total_number += x_batch.shape[0]
        run.test_accuracy.append(total_correct / total_number)
    run.variables = {"w1": w1.numpy(), "b1": b1.numpy()}
    return run


def _yogurt_data() -> tuple[tf.Tensor, list[list[float]]]:
    """The yogurt data as the lecture makes it: x cast to float32, y_ a list of Python floats."""
    rdm = np.random.RandomState(seed=23455)
    x = rdm.rand(32, 2)
    y_ = [[x1 + x2 + (rdm.rand() / 10.0 - 0.05)] for (x1, x2) in x]
    return tf.cast(x, dtype=tf.float32), y_


def yogurt(loss_name: str, epochs: int, cost: float = 1, profit: float = 99,
           snapshot_epochs: tuple[int, ...] = ()) -> LectureRun:
    """The lecture's MSE script (``loss_name="mse"``) or its cost/profit script.

    ``snapshot_epochs``: also keep w1 after that many epochs (one run gives both the
    course's 10000-epoch result and the notes' 15000-epoch one).
    """
    x, y_ = _yogurt_data()
    tf.random.set_seed(TF_DEFAULT_GLOBAL_SEED)  # as in a fresh process: w1 is the first draw
    w1 = tf.Variable(tf.random.normal([2, 1], stddev=1, seed=1))
    run = LectureRun()
    lr = 0.002
    for epoch in range(epochs):
        with tf.GradientTape() as tape:
            y = tf.matmul(x, w1)
            if loss_name == "mse":
                loss = tf.reduce_mean(tf.square(y_ - y))
            else:
                loss = tf.reduce_sum(tf.where(tf.greater(y, y_), (y - y_) * cost, (y_ - y) * profit))
        grads = tape.gradient(loss, w1)
        w1.assign_sub(lr * grads)
        run.loss.append(float(loss))
        if epoch + 1 in snapshot_epochs:
            run.snapshots[epoch + 1] = {"w1": w1.numpy()}
    run.variables = {"w1": w1.numpy()}
    return run


def exponential_decay(epochs: int = 1000, lr_base: float = 0.2, lr_decay: float = 0.99,
                      lr_step: float = 1) -> LectureRun:
    """The lecture's exponential-decay script: w = 5, loss (w+1)^2, one step per epoch."""
    w = tf.Variable(tf.constant(5, dtype=tf.float32))
    run = LectureRun()
    for epoch in range(epochs):
        lr = lr_base * lr_decay ** (epoch / lr_step)
        run.lr.append(lr)
        with tf.GradientTape() as tape:
            loss = tf.square(w + 1)
        grads = tape.gradient(loss, w)
        w.assign_sub(lr * grads)
        run.loss.append(float(loss))
        run.w.append(float(w.numpy()))
    run.variables = {"w": w.numpy()}
    return run


def dot(x: np.ndarray, y_c: np.ndarray, regularizer: float | None, epochs: int = 800,
        lr: float = 0.005, seed: int = 116) -> LectureRun:
    """The lecture's regularization scripts (2 -> 11 relu -> 1, MSE, batch 32), without
    (``regularizer=None``) or with ``loss_mse + regularizer * (l2(w1) + l2(w2))``.

    The lecture draws w1 and w2 with ``tf.random.normal`` and no seeds; nnfw's experiment
    files record the seeds it uses instead (global ``seed``, op seed 1), so the draws here
    are the same ones.
    """
    x_train = np.vstack(x).reshape(-1, 2)
    y_train = np.vstack(y_c).reshape(-1, 1)
    x_train = tf.cast(x_train, tf.float32)
    y_train = tf.cast(y_train, tf.float32)
    train_db = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)
    tf.random.set_seed(seed)
    w1 = tf.Variable(tf.random.normal([2, 11], seed=1), dtype=tf.float32)
    b1 = tf.Variable(tf.constant(0.01, shape=[11]))
    w2 = tf.Variable(tf.random.normal([11, 1], seed=1), dtype=tf.float32)
    b2 = tf.Variable(tf.constant(0.01, shape=[1]))
    run = LectureRun()
    for _epoch in range(epochs):
        loss_all, steps = 0, 0  # as in the iris script: a numpy float32 sum of the step losses
        for _step, (x_batch, y_batch) in enumerate(train_db):
            with tf.GradientTape() as tape:
                h1 = tf.matmul(x_batch, w1) + b1
                h1 = tf.nn.relu(h1)
                y = tf.matmul(h1, w2) + b2
                loss = tf.reduce_mean(tf.square(y_batch - y))
                if regularizer is not None:
                    loss_regularization = []
                    loss_regularization.append(tf.nn.l2_loss(w1))
                    loss_regularization.append(tf.nn.l2_loss(w2))
                    loss_regularization = tf.reduce_sum(loss_regularization)
                    loss = loss + regularizer * loss_regularization
            variables = [w1, b1, w2, b2]
            grads = tape.gradient(loss, variables)
            w1.assign_sub(lr * grads[0])
            b1.assign_sub(lr * grads[1])
            w2.assign_sub(lr * grads[2])
            b2.assign_sub(lr * grads[3])
            loss_all += loss.numpy()
            steps += 1
        run.loss.append(loss_all / steps)
    run.variables = {"w1": w1.numpy(), "b1": b1.numpy(), "w2": w2.numpy(), "b2": b2.numpy()}
    return run


def dot_points() -> tuple[np.ndarray, np.ndarray]:
    """The lecture's dot.csv: 300 normal points (rounded to 9 decimals), 1 inside x1^2 + x2^2 < 2."""
    x = np.round(np.random.RandomState(2).randn(300, 2), 9)
    y_c = np.array([int(x1 * x1 + x2 * x2 < 2) for (x1, x2) in x])
    return x, y_c


EXPERIMENTS: dict[str, Callable[[], LectureRun]] = {
    **{f"iris-{name}": (lambda name=name: iris(name))
       for name in ("sgd", "sgdm", "adagrad", "rmsprop", "adam")},
    "yogurt-mse": lambda: yogurt("mse", 15000),
    "cost-profit-1-99": lambda: yogurt("cost-profit", 15000, cost=1, profit=99,
                                       snapshot_epochs=(10000,)),
    "cost-profit-99-1": lambda: yogurt("cost-profit", 15000, cost=99, profit=1,
                                       snapshot_epochs=(10000,)),
    "exponential-decay": exponential_decay,
    "dot-plain": lambda: dot(*dot_points(), regularizer=None),
    "dot-l2": lambda: dot(*dot_points(), regularizer=0.03),
}


def save(run: LectureRun, path: Path) -> None:
    """Write a run as ``.npz`` (plain arrays), whole or not at all."""
    arrays = {key: np.asarray(getattr(run, key)) for key in ("loss", "test_accuracy", "lr", "w")}
    arrays.update({f"var:{name}": value for name, value in run.variables.items()})
    for epochs, variables in run.snapshots.items():
        arrays.update({f"snap:{epochs}:{name}": value for name, value in variables.items()})
    partial = path.with_name(f".{path.name}.partial.npz")
    np.savez(partial, **arrays)
    os.replace(partial, path)


def load(path: Path) -> LectureRun:
    """A run that :func:`save` wrote."""
    run = LectureRun()
    with np.load(path, allow_pickle=False) as saved:
        for key in saved.files:
            parts = key.split(":")
            if parts[0] == "var":
                run.variables[parts[1]] = saved[key]
            elif parts[0] == "snap":
                run.snapshots.setdefault(int(parts[1]), {})[parts[2]] = saved[key]
            else:
                setattr(run, key, saved[key].tolist())
    return run


if __name__ == "__main__":
    out = Path(sys.argv[1])
    try:
        for experiment_name, experiment in EXPERIMENTS.items():
            save(experiment(), out / f"{experiment_name}.npz")
    except BaseException:
        (out / "failed.txt").write_text(traceback.format_exc())  # for the tests waiting on it
        raise
