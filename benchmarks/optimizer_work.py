"""Per-step cost of every built-in nnfw optimizer against the Keras optimizer doing the same arithmetic.

Both run inside the same compiled loop: ``tf.function(jit_compile=True)`` over a
``tf.while_loop`` of training steps of the MLP 784-512-10 (batch 128, cycling
through fixed batches). The first call compiles and runs the steps from the
shared initial weights; its final loss is the loss check (nnfw against Keras).
Every timed call first restores the initial weights and optimizer state (untimed),
so each one does exactly the same steps on the same values; repeats interleaved.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checks import TOLERANCE, loss_matches, relative_deviation
from dense_works import mlp_problem
from problems import DenseProblem, final_loss, initial_weights
from sizes import Sizes
from timing import stats, timed

BATCHES = 32  # distinct batches the loop cycles through


@dataclass(frozen=True)
class Pair:
    """An nnfw optimizer, its hyperparameters, and the Keras optimizer with the same arithmetic."""

    name: str
    lr: float
    params: dict[str, float]
    keras_text: str
    keras: Callable[[float], Any]


def keras_pairs() -> list[Pair]:
    """Every built-in nnfw optimizer with its closest Keras counterpart (epsilons 0)."""
    import keras

    beta = 0.9
    return [
        Pair("sgd", 0.01, {}, "SGD(lr)", lambda lr: keras.optimizers.SGD(learning_rate=lr)),
        Pair("sgdm", 0.01, {"beta": beta}, "SGD(lr*(1-beta), momentum=beta): the same rule rescaled",
             lambda lr: keras.optimizers.SGD(learning_rate=lr * (1 - beta), momentum=beta)),
        Pair("adagrad", 0.01, {"epsilon": 0.0}, "Adagrad(lr, initial_accumulator_value=0, epsilon=0)",
             lambda lr: keras.optimizers.Adagrad(learning_rate=lr, initial_accumulator_value=0.0,
                                                 epsilon=0.0)),
        Pair("rmsprop", 0.001, {"beta": beta, "epsilon": 0.0}, "RMSprop(lr, rho=beta, epsilon=0)",
             lambda lr: keras.optimizers.RMSprop(learning_rate=lr, rho=beta, epsilon=0.0)),
        Pair("adam", 0.001, {"epsilon": 0.0}, "Adam(lr, epsilon=0)",
             lambda lr: keras.optimizers.Adam(learning_rate=lr, epsilon=0.0)),
    ]


class CompiledLoop:
    """A Keras model of the problem and one XLA-compiled function running N steps of an optimizer."""

    def __init__(self, problem: DenseProblem, initial: list[Any], optimizer: Any) -> None:
        import keras
        import tensorflow as tf

        layers = [keras.layers.Dense(u, activation=None if a == "linear" else a)
                  for u, a in zip(problem.units, problem.activations, strict=True)]
        self.model = keras.Sequential([keras.Input(shape=(problem.x_train.shape[1],)), *layers])
        self.model.set_weights(initial)
        self.initial = initial
        variables = self.model.trainable_variables
        optimizer.build(variables)
        self.optimizer = optimizer
        self.optimizer_state = [v.numpy() for v in optimizer.variables]
        shape = (BATCHES, problem.batch_size, -1)
        x = tf.constant(problem.x_train.reshape(shape))
        t = tf.constant(problem.t_train.reshape(shape))

        def one_step(i: Any, _: Any) -> tuple[Any, Any]:
            b = i % BATCHES
            with tf.GradientTape() as tape:
                logits = self.model(x[b], training=True)
                loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=t[b], logits=logits))
            optimizer.apply(tape.gradient(loss, variables), variables)
            return i + 1, loss

        @tf.function(jit_compile=True)
        def run(steps: Any) -> Any:
            return tf.while_loop(lambda i, _: i < steps, one_step, (tf.constant(0), tf.constant(0.0)))[1]

        self._run = run

    def __call__(self, steps: int) -> float:
        """Restore the initial state, run ``steps`` steps; the seconds the steps took."""
        import tensorflow as tf

        self.model.set_weights(self.initial)
        for variable, value in zip(self.optimizer.variables, self.optimizer_state, strict=True):
            variable.assign(value)
        return timed(lambda: self._run(tf.constant(steps)).numpy())[0]


def run(sizes: Sizes, broken: bool = False) -> dict[str, Any]:
    """Time every pair; report per-step seconds, the ratio and the loss check.

    The ratio is the median of the per-repeat ratios of the two sides' back-to-back
    calls, so a slow moment of the machine hits both sides of one ratio alike.
    """
    import nnfw

    problem = mlp_problem(BATCHES * sizes.mlp_batch, 1, sizes.mlp_batch)
    initial = initial_weights(problem)
    steps = sizes.opt_steps
    pairs = keras_pairs()
    loops: dict[tuple[str, str], CompiledLoop] = {}
    losses: dict[tuple[str, str], float] = {}
    for pair in pairs:
        for side in ("nnfw", "keras"):
            optimizer = (nnfw.optimizer(pair.name, learning_rate=pair.lr, **pair.params) if side == "nnfw"
                         else pair.keras(pair.lr))
            loop = CompiledLoop(problem, initial, optimizer)
            loop(steps)  # compiles; runs the checked steps from the initial weights
            losses[pair.name, side] = final_loss(problem, loop.model.get_weights())
            loops[pair.name, side] = loop
    seconds: dict[tuple[str, str], list[float]] = {key: [] for key in loops}
    for repeat in range(sizes.opt_repeats):
        for pair in pairs:  # the two sides back to back, alternating which goes first
            for side in ("nnfw", "keras")[:: 1 if repeat % 2 == 0 else -1]:
                seconds[pair.name, side].append(loops[pair.name, side](steps) / steps)
    rows = []
    rtol = TOLERANCE["optimizers"]
    for pair in pairs:
        mine, theirs = seconds[pair.name, "nnfw"], seconds[pair.name, "keras"]
        loss, reference = losses[pair.name, "nnfw"], losses[pair.name, "keras"]
        rows.append({"optimizer": pair.name, "keras": pair.keras_text, "lr": pair.lr,
                     "nnfw": stats(mine), "keras_step": stats(theirs),
                     "ratio": statistics.median(a / b for a, b in zip(mine, theirs, strict=True)),
                     "nnfw_seconds": mine, "keras_seconds": theirs,
                     "final_loss": loss, "reference_loss": reference,
                     "deviation": relative_deviation(loss, reference),
                     "loss_ok": loss_matches(loss, reference, rtol)})
    return {"work": "optimizers", "steps": steps, "batch_size": problem.batch_size,
            "tolerance": rtol, "optimizers": rows}
