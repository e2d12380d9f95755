"""The ways to train a problem that nnfw is compared with, and nnfw itself.

Every way starts from the same initial weights, uses the same data, batches (in
order, no shuffling), loss and update arithmetic, records the per-epoch mean
training loss (and test accuracy when there is a test part), and returns its
training-only seconds and final weights. Building the model and data is not timed;
tracing and compiling are (each repeat builds its own ``tf.function``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from problems import DenseProblem, split_layers
from timing import timed
from updates import make_update


@dataclass
class WayRun:
    """What one run of a way gives: its training seconds, final weights and per-epoch records."""

    seconds: float
    weights: list[np.ndarray]
    epoch_losses: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


class PlainNet:
    """The problem's dense layers as ``tf.Variable``s, with forward pass and loss in plain TF ops."""

    def __init__(self, problem: DenseProblem, initial: list[np.ndarray]) -> None:
        import tensorflow as tf

        self.problem = problem
        self.variables = [tf.Variable(w) for w in initial]
        self.layers = split_layers(problem, self.variables)

    def forward(self, x: Any) -> Any:
        """``y = act(x @ w + b)`` layer by layer, as the lecture writes it."""
        import tensorflow as tf

        h = x
        for (kernel, bias), activation in zip(self.layers, self.problem.activations, strict=True):
            h = tf.matmul(h, kernel)
            if bias is not None:
                h = h + bias
            if activation == "relu":
                h = tf.nn.relu(h)
            elif activation == "softmax":
                h = tf.nn.softmax(h)
        return h

    def loss(self, t: Any, y: Any) -> Any:
        """MSE ``mean((y_ - y)^2)``, or softmax cross-entropy on logits, averaged over the batch."""
        import tensorflow as tf

        if self.problem.loss == "mse":
            return tf.reduce_mean(tf.square(t - y))
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=y))

    def correct(self, x: Any, labels: Any) -> Any:
        """How many rows of ``x`` the model classifies as ``labels`` (an int32 scalar)."""
        import tensorflow as tf

        predicted = tf.cast(tf.argmax(self.forward(x), axis=1), labels.dtype)
        return tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.int32))


def train_step(net: PlainNet, update: Any, x: Any, t: Any) -> Any:
    """One step: loss under a tape, gradients, the update; returns the loss."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = net.loss(t, net.forward(x))
    update.apply(tape.gradient(loss, net.variables))
    return loss


def python_loop(problem: DenseProblem, initial: list[np.ndarray], rule: str, compiled: bool) -> WayRun:
    """The lecture's script: Python loops over epochs and batches; the step eager or a tf.function.

    As in the lecture, batches come from ``tf.data...batch()`` (the yogurt script,
    full batch, uses the tensors directly), each step's loss is fetched with
    ``.numpy()`` and the test accuracy is counted batch by batch.
    """
    import tensorflow as tf

    net = PlainNet(problem, initial)
    update = make_update(rule, problem.lr, net.variables)

    def step(x: Any, t: Any) -> Any:
        return train_step(net, update, x, t)

    correct = net.correct
    if compiled:
        step, correct = tf.function(step), tf.function(correct)
    if problem.steps_per_epoch == 1:
        train_db: Any = [(tf.constant(problem.x_train), tf.constant(problem.t_train))]
    else:
        train_db = tf.data.Dataset.from_tensor_slices((problem.x_train, problem.t_train)).batch(
            problem.batch_size)
    test_db = None
    if problem.labels_test is not None:
        test_db = tf.data.Dataset.from_tensor_slices((problem.x_test, problem.labels_test)).batch(
            problem.batch_size)
    losses: list[float] = []
    accuracy: list[float] = []

    def run() -> None:
        for _epoch in range(problem.epochs):
            loss_all = 0.0
            for _step, (x, t) in enumerate(train_db):
                loss_all += step(x, t).numpy()
            losses.append(loss_all / problem.steps_per_epoch)
            if test_db is not None:
                total_correct, total_number = 0, 0
                for x_test, y_test in test_db:
                    total_correct += int(correct(x_test, y_test))
                    total_number += x_test.shape[0]
                accuracy.append(total_correct / total_number)

    seconds, _ = timed(run)
    return WayRun(seconds, [v.numpy() for v in net.variables], losses, accuracy)


def eager_loop(problem: DenseProblem, initial: list[np.ndarray]) -> WayRun:
    """The lecture's eager loop, op by op."""
    return python_loop(problem, initial, problem.optimizer, compiled=False)


def step_function(problem: DenseProblem, initial: list[np.ndarray]) -> WayRun:
    """The lecture's loop with the step (and the test count) in ``tf.function``."""
    return python_loop(problem, initial, problem.optimizer, compiled=True)


def broken_step(problem: DenseProblem, initial: list[np.ndarray]) -> WayRun:
    """A fast wrong way: the tf.function step that never updates the weights."""
    return python_loop(problem, initial, "none", compiled=True)


def xla_whole_run(problem: DenseProblem, initial: list[np.ndarray]) -> WayRun:
    """The whole run as one XLA program: ``tf.while_loop`` over epochs and batches, one call.

    Full batches are stacked into one tensor, a smaller last batch is a second
    one (XLA wants static shapes); per-epoch metrics go into ``TensorArray``s.
    """
    import tensorflow as tf

    net = PlainNet(problem, initial)
    update = make_update(problem.optimizer, problem.lr, net.variables)
    full, rest = divmod(problem.rows, problem.batch_size)
    cut = full * problem.batch_size
    x_full = tf.constant(problem.x_train[:cut].reshape(full, problem.batch_size, -1))
    t_full = tf.constant(problem.t_train[:cut].reshape(full, problem.batch_size, -1))
    x_rest, t_rest = tf.constant(problem.x_train[cut:]), tf.constant(problem.t_train[cut:])
    has_test = problem.labels_test is not None
    x_test = tf.constant(problem.x_test)
    labels = tf.constant(problem.labels_test if has_test else np.zeros(0, np.int32))
    steps = float(problem.steps_per_epoch)

    def one_epoch(epoch: Any, losses: Any, accuracy: Any) -> tuple[Any, Any, Any]:
        def one_batch(b: Any, total: Any) -> tuple[Any, Any]:
            return b + 1, total + train_step(net, update, x_full[b], t_full[b])

        _, total = tf.while_loop(lambda b, total: b < full, one_batch,
                                 (tf.constant(0), tf.constant(0.0)))
        if rest:
            total = total + train_step(net, update, x_rest, t_rest)
        right = tf.cast(net.correct(x_test, labels), tf.float32) / len(problem.x_test) if has_test else 0.0
        return epoch + 1, losses.write(epoch, total / steps), accuracy.write(epoch, right)

    @tf.function(jit_compile=True)
    def run() -> tuple[Any, Any]:
        arrays = tuple(tf.TensorArray(tf.float32, size=problem.epochs) for _ in range(2))
        _, losses, accuracy = tf.while_loop(lambda epoch, *_: epoch < problem.epochs, one_epoch,
                                            (tf.constant(0), *arrays))
        return losses.stack(), accuracy.stack()

    seconds, (losses, accuracy) = timed(lambda: [a.numpy() for a in run()])
    return WayRun(seconds, [v.numpy() for v in net.variables], losses.tolist(),
                  accuracy.tolist() if has_test else [])


def model_fit(problem: DenseProblem, initial: list[np.ndarray]) -> WayRun:
    """Plain Keras: ``model.compile(...)``, ``model.fit(x, y, batch_size, epochs, shuffle=False)``.

    Keras' own SGD, or Adam with ``epsilon=0`` (then the lecture's arithmetic);
    test loss and accuracy per epoch through ``validation_data`` when there is a test part.
    """
    import keras

    layers = [keras.layers.Dense(units, activation=None if act == "linear" else act, use_bias=problem.bias)
              for units, act in zip(problem.units, problem.activations, strict=True)]
    model = keras.Sequential([keras.Input(shape=(problem.x_train.shape[1],)), *layers])
    model.set_weights(initial)
    if problem.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(learning_rate=problem.lr)
    else:
        optimizer = keras.optimizers.Adam(learning_rate=problem.lr, epsilon=0.0)
    loss = (keras.losses.MeanSquaredError() if problem.loss == "mse"
            else keras.losses.CategoricalCrossentropy(from_logits=True))
    validation = None
    metrics = None
    if problem.labels_test is not None:
        validation = (problem.x_test, np.eye(problem.units[-1], dtype=np.float32)[problem.labels_test])
        metrics = ["categorical_accuracy"]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    seconds, history = timed(lambda: model.fit(
        problem.x_train, problem.t_train, batch_size=problem.batch_size, epochs=problem.epochs,
        shuffle=False, verbose=0, validation_data=validation))
    return WayRun(seconds, model.get_weights(), history.history["loss"],
                  history.history.get("val_categorical_accuracy", []))


def nnfw_train(problem: DenseProblem, initial: list[np.ndarray]) -> WayRun:
    """``nnfw.train(...)``, timed by nnfw's own ``train_seconds`` (training only).

    nnfw draws its own initial weights from the same seeds (``initial`` is unused);
    the loss check shows they are the same.
    """
    import nnfw

    result = nnfw.train(problem.nnfw_config, epochs=problem.epochs, params=problem.nnfw_params,
                        **problem.nnfw_options)
    return WayRun(result.train_seconds, result.model.get_weights(), result.history.loss,
                  result.history.test_accuracy)


def nnfw_train_not_exact(problem: DenseProblem, initial: list[np.ndarray]) -> WayRun:
    """``nnfw.train(..., exact=False)``: what exactness costs, where XLA would be chosen instead."""
    return nnfw_train(problem.with_options(exact=False), initial)


@dataclass(frozen=True)
class Way:
    """A way to train: its key, its column label and the function that runs it."""

    key: str
    label: str
    run: Callable[[DenseProblem, list[np.ndarray]], WayRun]


WAYS = (
    Way("nnfw", "nnfw.train", nnfw_train),
    Way("fit", "plain Model.fit", model_fit),
    Way("eager", "lecture's eager loop", eager_loop),
    Way("step", "step in tf.function", step_function),
    Way("xla", "whole run as one XLA program", xla_whole_run),
)
NOT_EXACT = Way("inexact", "nnfw.train, exact = false (XLA by size)", nnfw_train_not_exact)
BROKEN = Way("broken", "BROKEN on purpose: step without update", broken_step)
