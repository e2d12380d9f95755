"""The lecture's optimizers (sgd, sgdm, adagrad, rmsprop, adam) as Keras optimizers.

The step-by-step table compares every step's weights with plain numpy float32
transcriptions of the lecture's formulas, written here. Their gradients are
computed analytically in numpy at the reference's weights, and the same arrays
are fed to ``optimizer.apply_gradients``, so the update rule alone is compared.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import nnfw

F32 = np.float32
NAMES = ("sgd", "sgdm", "adagrad", "rmsprop", "adam")
TOLERANCE = {"rtol": 1e-6, "atol": 1e-7}
EPSILON = 1e-7  # the declared default of adagrad, rmsprop and adam (Keras' own)
LECTURE = {"epsilon": 0.0}  # the lecture's form of adagrad, rmsprop and adam: no epsilon


# ---------------------------------------------------------------- numpy references

def ref_sgd(w: np.ndarray, g: np.ndarray, state: dict, t: int, lr: float) -> np.ndarray:
    """w -= lr * g"""
    return w - F32(lr) * g


def ref_sgdm(w: np.ndarray, g: np.ndarray, state: dict, t: int, lr: float,
             beta: float = 0.9) -> np.ndarray:
    """m = beta*m + (1-beta)*g; w -= lr*m"""
    state["m"] = F32(beta) * state["m"] + F32(1 - beta) * g
    return w - F32(lr) * state["m"]


def ref_adagrad(w: np.ndarray, g: np.ndarray, state: dict, t: int, lr: float,
                epsilon: float = EPSILON) -> np.ndarray:
    """v += g^2; w -= lr*g/(sqrt(v) + epsilon)"""
    state["v"] = state["v"] + g * g
    return w - F32(lr) * g / (np.sqrt(state["v"]) + F32(epsilon))


def ref_rmsprop(w: np.ndarray, g: np.ndarray, state: dict, t: int, lr: float,
                beta: float = 0.9, epsilon: float = EPSILON) -> np.ndarray:
    """v = beta*v + (1-beta)*g^2; w -= lr*g/(sqrt(v) + epsilon)"""
    state["v"] = F32(beta) * state["v"] + F32(1 - beta) * (g * g)
    return w - F32(lr) * g / (np.sqrt(state["v"]) + F32(epsilon))


def ref_adam(w: np.ndarray, g: np.ndarray, state: dict, t: int, lr: float,
             beta1: float = 0.9, beta2: float = 0.999, epsilon: float = EPSILON) -> np.ndarray:
    """Bias-corrected m and v; w -= lr*m^/(sqrt(v^) + epsilon)."""
    state["m"] = F32(beta1) * state["m"] + F32(1 - beta1) * g
    state["v"] = F32(beta2) * state["v"] + F32(1 - beta2) * (g * g)
    # beta^t of the float32 beta, rounded once to float32 (numpy's float32 power is not).
    m_hat = state["m"] / (F32(1) - F32(np.float64(F32(beta1)) ** t))
    v_hat = state["v"] / (F32(1) - F32(np.float64(F32(beta2)) ** t))
    return w - F32(lr) * m_hat / (np.sqrt(v_hat) + F32(epsilon))


REFERENCES: dict[str, Callable[..., np.ndarray]] = {
    "sgd": ref_sgd, "sgdm": ref_sgdm, "adagrad": ref_adagrad, "rmsprop": ref_rmsprop,
    "adam": ref_adam,
}


class Reference:
    """One numpy optimizer: the lecture's rule with m and v starting at 0 for every weight."""

    def __init__(self, name: str, lr: float | Callable[[int], float], hp: dict[str, Any],
                 weights: list[np.ndarray]):
        self.rule = REFERENCES[name]
        self.lr = lr if callable(lr) else (lambda _step: lr)
        self.hp = hp
        self.states = [{"m": np.zeros_like(w), "v": np.zeros_like(w)} for w in weights]
        self.t = 0

    def step(self, weights: list[np.ndarray], grads: list[np.ndarray]) -> list[np.ndarray]:
        """The weights after one step (t counts from 1)."""
        self.t += 1
        lr = self.lr(self.t - 1)
        return [self.rule(w, g, s, self.t, lr, **self.hp)
                for w, g, s in zip(weights, grads, self.states, strict=True)]


# ---------------------------------------------------------------- problems

class Quadratic:
    """f(w) = sum(a * (w - c)^2) for a vector w; gradient 2*a*(w - c)."""

    lr = 0.05

    def __init__(self) -> None:
        rng = np.random.default_rng(7)
        self.a = rng.uniform(0.5, 2.0, 5).astype(F32)
        self.c = rng.normal(size=5).astype(F32)

    def start(self) -> list[np.ndarray]:
        """Initial weights."""
        return [np.linspace(-1.0, 1.0, 5).astype(F32)]

    def gradients(self, weights: list[np.ndarray]) -> list[np.ndarray]:
        """Analytic gradients, in float32."""
        return [F32(2) * self.a * (weights[0] - self.c)]

    def tf_loss(self, variables: list[tf.Variable]) -> tf.Tensor:
        """The same loss in TensorFlow."""
        return tf.reduce_sum(self.a * tf.square(variables[0] - self.c))


class Logistic:
    """Logistic regression on fixed random data: mean cross-entropy of sigmoid(x @ w + b)."""

    lr = 0.1

    def __init__(self) -> None:
        rng = np.random.default_rng(11)
        self.x = rng.normal(size=(24, 3)).astype(F32)
        self.y = (self.x @ np.array([1.5, -2.0, 0.5]) + rng.normal(scale=0.5, size=24) > 0
                  ).astype(F32)

    def start(self) -> list[np.ndarray]:
        """Initial weights: a vector w and a scalar b."""
        return [np.array([0.1, -0.2, 0.3], F32), np.array(0.05, F32)]

    def gradients(self, weights: list[np.ndarray]) -> list[np.ndarray]:
        """Analytic gradients, in float32."""
        w, b = weights
        p = F32(1) / (F32(1) + np.exp(-(self.x @ w + b)))
        error = (p - self.y) / F32(len(self.y))
        return [self.x.T @ error, np.sum(error)]

    def tf_loss(self, variables: list[tf.Variable]) -> tf.Tensor:
        """The same loss in TensorFlow."""
        logits = tf.linalg.matvec(self.x, variables[0]) + variables[1]
        return tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=self.y, logits=logits))


PROBLEMS = {"quadratic": Quadratic(), "logistic": Logistic()}


def tf_steps(optimizer: keras.optimizers.Optimizer, problem: Any, steps: int) -> np.ndarray:
    """Run ``steps`` eager steps with TensorFlow gradients; the first weight after each step."""
    variables = [tf.Variable(w) for w in problem.start()]
    trajectory = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = problem.tf_loss(variables)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        trajectory.append(variables[0].numpy())
    return np.array(trajectory)


# ---------------------------------------------------------------- 1. every step vs numpy

CASES = [
    ("sgd", {}),
    ("sgdm", {}),
    ("sgdm", {"beta": 0.5}),
    ("adagrad", {}),
    ("adagrad", LECTURE),
    ("adagrad", {"epsilon": 1e-2}),
    ("rmsprop", {}),
    ("rmsprop", LECTURE),
    ("rmsprop", {"beta": 0.99, "epsilon": 1e-4}),
    ("adam", {}),
    ("adam", LECTURE),
    ("adam", {"beta1": 0.8, "beta2": 0.99, "epsilon": 1e-3}),
]


@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
@pytest.mark.parametrize(("name", "hp"), CASES, ids=[f"{n}-{hp}" for n, hp in CASES])
def test_every_step_matches_numpy_reference(name: str, hp: dict, problem_name: str) -> None:
    """100 steps; after each, every weight equals the numpy float32 formula's."""
    problem = PROBLEMS[problem_name]
    weights = problem.start()
    variables = [tf.Variable(w) for w in weights]
    optimizer = nnfw.optimizer(name, learning_rate=problem.lr, **hp)
    reference = Reference(name, problem.lr, hp, weights)
    for step in range(1, 101):
        grads = problem.gradients(weights)
        optimizer.apply_gradients(zip([tf.constant(g) for g in grads], variables, strict=True))
        weights = reference.step(weights, grads)
        for variable, expected in zip(variables, weights, strict=True):
            np.testing.assert_allclose(variable.numpy(), expected, **TOLERANCE,
                                       err_msg=f"{name} {hp} step {step}")
    moved = max(np.max(np.abs(w - w0)) for w, w0 in zip(weights, problem.start(), strict=True))
    assert moved > 0.05, "the problem should move the weights"


@pytest.mark.parametrize("name", ["sgdm", "adagrad", "rmsprop", "adam"])
def test_learning_rate_schedule_is_read_each_step(name: str) -> None:
    """With a Keras schedule, step t uses the rate of iteration t-1 (0.1 * 0.5^k, exact)."""
    problem = PROBLEMS["quadratic"]
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    weights = problem.start()
    variables = [tf.Variable(w) for w in weights]
    optimizer = nnfw.optimizer(name, learning_rate=schedule)
    reference = Reference(name, lambda k: F32(0.1) * F32(0.5 ** k), {}, weights)
    for step in range(1, 11):
        grads = problem.gradients(weights)
        optimizer.apply_gradients(zip([tf.constant(g) for g in grads], variables, strict=True))
        weights = reference.step(weights, grads)
        np.testing.assert_allclose(variables[0].numpy(), weights[0], **TOLERANCE,
                                   err_msg=f"{name} step {step}")


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam"])
def test_epsilon_keeps_a_weight_with_zero_gradients_finite(name: str) -> None:
    """0/0: epsilon 0 (the lecture) turns a never-updated weight into nan; epsilon > 0 keeps it."""
    grads = [tf.constant([0.0, 0.5])]
    lecture = [tf.Variable([1.0, 1.0])]
    nnfw.optimizer(name, learning_rate=0.1, **LECTURE).apply_gradients(
        zip(grads, lecture, strict=True))
    assert np.isnan(lecture[0].numpy()[0]) and np.isfinite(lecture[0].numpy()[1])
    guarded = [tf.Variable([1.0, 1.0])]
    nnfw.optimizer(name, learning_rate=0.1, epsilon=1e-7).apply_gradients(
        zip(grads, guarded, strict=True))
    assert guarded[0].numpy()[0] == 1.0 and guarded[0].numpy()[1] < 1.0


# ---------------------------------------------------------------- the lecture's own TF code

def lecture_tf_run(name: str, problem: Any, steps: int, lr: float) -> list[np.ndarray]:
    """The lecture's TF2 training-loop updates, transcribed (Python-number betas, states from 0)."""
    beta, beta1, beta2 = 0.9, 0.9, 0.999
    variables = [tf.Variable(w) for w in problem.start()]
    m = [0, 0]
    v = [0, 0]
    trajectory = []
    for global_step in range(1, steps + 1):
        with tf.GradientTape() as tape:
            loss = problem.tf_loss(variables)
        grads = tape.gradient(loss, variables)
        for i, (w, g) in enumerate(zip(variables, grads, strict=True)):
            if name == "sgd":
                w.assign_sub(lr * g)
            elif name == "sgdm":
                m[i] = beta * m[i] + (1 - beta) * g
                w.assign_sub(lr * m[i])
            elif name == "adagrad":
                v[i] += tf.square(g)
                w.assign_sub(lr * g / tf.sqrt(v[i]))
            elif name == "rmsprop":
                v[i] = beta * v[i] + (1 - beta) * tf.square(g)
                w.assign_sub(lr * g / tf.sqrt(v[i]))
            else:
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * tf.square(g)
                m_correction = m[i] / (1 - tf.pow(beta1, int(global_step)))
                v_correction = v[i] / (1 - tf.pow(beta2, int(global_step)))
                w.assign_sub(lr * m_correction / tf.sqrt(v_correction))
        trajectory.append(np.concatenate([np.ravel(x.numpy()) for x in variables]))
    return trajectory


@pytest.mark.parametrize("name", NAMES)
def test_eager_steps_equal_the_lecture_code_bit_for_bit(name: str) -> None:
    """Eagerly, the plugin reproduces the lecture's own TF code exactly (same op order)."""
    problem = PROBLEMS["logistic"]
    expected = lecture_tf_run(name, problem, steps=30, lr=0.1)
    variables = [tf.Variable(w) for w in problem.start()]
    optimizer = nnfw.optimizer(name, learning_rate=0.1,
                               **(LECTURE if name in ("adagrad", "rmsprop", "adam") else {}))
    for step, lecture_weights in enumerate(expected, start=1):
        with tf.GradientTape() as tape:
            loss = problem.tf_loss(variables)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        got = np.concatenate([np.ravel(x.numpy()) for x in variables])
        np.testing.assert_array_equal(got, lecture_weights, err_msg=f"{name} step {step}")


# ---------------------------------------------------------------- 2. against Keras' own

def test_sgd_equals_keras_sgd() -> None:
    """The lecture's SGD follows keras.optimizers.SGD's trajectory."""
    problem = PROBLEMS["quadratic"]
    ours = tf_steps(nnfw.optimizer("sgd", learning_rate=0.05), problem, 50)
    theirs = tf_steps(keras.optimizers.SGD(learning_rate=0.05), problem, 50)
    np.testing.assert_allclose(ours, theirs, **TOLERANCE)


def test_adam_without_epsilon_equals_keras_adam() -> None:
    """With epsilon 0, the lecture's Adam follows keras.optimizers.Adam(epsilon=0)."""
    problem = PROBLEMS["logistic"]
    ours = tf_steps(nnfw.optimizer("adam", learning_rate=0.1, **LECTURE), problem, 100)
    theirs = tf_steps(keras.optimizers.Adam(learning_rate=0.1, epsilon=0.0), problem, 100)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    assert np.max(np.abs(ours[-1] - problem.start()[0])) > 0.1


def test_rmsprop_and_adagrad_equal_keras_with_the_lecture_settings() -> None:
    """Keras' RMSprop (epsilon 0) and Adagrad (accumulator 0, epsilon 0) are the lecture's forms."""
    problem = PROBLEMS["quadratic"]
    pairs = [
        (nnfw.optimizer("rmsprop", learning_rate=0.05, beta=0.8, **LECTURE),
         keras.optimizers.RMSprop(learning_rate=0.05, rho=0.8, epsilon=0.0)),
        (nnfw.optimizer("adagrad", learning_rate=0.05, **LECTURE),
         keras.optimizers.Adagrad(learning_rate=0.05, initial_accumulator_value=0.0,
                                  epsilon=0.0)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(tf_steps(ours, problem, 50), tf_steps(theirs, problem, 50),
                                   **TOLERANCE)


def test_sgdm_is_an_average_not_keras_momentum() -> None:
    """SGDM differs from Keras' SGD(momentum=0.9); it equals it only at lr * (1 - beta)."""
    problem = PROBLEMS["quadratic"]
    ours = tf_steps(nnfw.optimizer("sgdm", learning_rate=0.05), problem, 50)
    keras_momentum = tf_steps(keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), problem, 50)
    assert np.max(np.abs(ours - keras_momentum)) > 0.1

    weights = problem.start()
    reference = Reference("sgdm", 0.05, {}, weights)
    average_form = []
    for _ in range(50):
        weights = reference.step(weights, problem.gradients(weights))
        average_form.append(weights[0])
    np.testing.assert_allclose(ours, np.array(average_form), rtol=1e-6, atol=1e-6)

    scaled = tf_steps(keras.optimizers.SGD(learning_rate=0.05 * (1 - 0.9), momentum=0.9),
                      problem, 50)
    np.testing.assert_allclose(ours, scaled, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- 3. Model.fit and saving

FIT_CASES = [
    ("sgd", {}),
    ("sgdm", {"beta": 0.8}),
    ("adagrad", {"epsilon": 1e-3}),
    ("rmsprop", {"beta": 0.95}),
    ("adam", {"beta1": 0.85, "beta2": 0.99}),
]


@pytest.mark.parametrize(("name", "hp"), FIT_CASES, ids=[n for n, _ in FIT_CASES])
def test_fit_then_save_and_load(name: str, hp: dict, tmp_path: Any) -> None:
    """Model.fit lowers the loss; a saved compiled model loads with the same optimizer state."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 3)).astype(F32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(F32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=nnfw.optimizer(name, learning_rate=0.05, **hp), loss="mse")
    losses = model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))
    assert all(later < earlier for earlier, later in itertools.pairwise(losses)), losses

    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for key, value in hp.items():
        assert loaded.optimizer.get_config()[key] == value

    # One more identical step on both: equal only if every slot was restored to its own place.
    grads = [tf.ones_like(v) * 0.1 * (i + 1) for i, v in enumerate(model.trainable_variables)]
    model.optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    loaded.optimizer.apply_gradients(zip(grads, loaded.trainable_variables, strict=True))
    for mine, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    for mine, theirs in zip(model.optimizer.variables, loaded.optimizer.variables, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize(("name", "hp"), FIT_CASES, ids=[n for n, _ in FIT_CASES])
def test_config_round_trips(name: str, hp: dict) -> None:
    """get_config holds the hyperparameters; from_config rebuilds an equal optimizer."""
    optimizer = nnfw.optimizer(name, learning_rate=0.25, **hp)
    config = optimizer.get_config()
    declared = {p.name for p in nnfw.registry().get("optimizer", name).params}
    assert declared <= set(config)
    for key, value in hp.items():
        assert config[key] == value
    rebuilt = type(optimizer).from_config(dict(config))
    assert rebuilt.get_config() == config
    serialized = keras.optimizers.serialize(optimizer)
    assert keras.optimizers.deserialize(serialized).get_config() == config


# ---------------------------------------------------------------- 4. XLA while_loop

@pytest.mark.parametrize("name", NAMES)
def test_xla_while_loop_matches_eager_steps(name: str) -> None:
    """Eight steps in one jit-compiled tf.while_loop give the eager steps' weights and slots."""
    problem = PROBLEMS["logistic"]
    steps = 8

    eager_vars = [tf.Variable(w) for w in problem.start()]
    eager = nnfw.optimizer(name, learning_rate=0.1)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = problem.tf_loss(eager_vars)
        eager.apply_gradients(zip(tape.gradient(loss, eager_vars), eager_vars, strict=True))

    xla_vars = [tf.Variable(w) for w in problem.start()]
    compiled = nnfw.optimizer(name, learning_rate=0.1)
    compiled.build(xla_vars)

    @tf.function(jit_compile=True)
    def run(n: tf.Tensor) -> tf.Tensor:
        def body(i: tf.Tensor) -> tuple[tf.Tensor]:
            with tf.GradientTape() as tape:
                loss = problem.tf_loss(xla_vars)
            compiled.apply_gradients(zip(tape.gradient(loss, xla_vars), xla_vars, strict=True))
            return (i + 1,)

        return tf.while_loop(lambda i: i < n, body, (tf.constant(0),))[0]

    assert int(run(tf.constant(steps))) == steps
    assert int(compiled.iterations.numpy()) == steps
    # XLA may fuse or rewrite arithmetic (x / sqrt(v) -> x * rsqrt(v)): equal to float32 rounding.
    for mine, theirs in zip(xla_vars, eager_vars, strict=True):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    for mine, theirs in zip(compiled.variables, eager.variables, strict=True):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    assert np.max(np.abs(xla_vars[0].numpy() - problem.start()[0])) > 0.01


# ---------------------------------------------------------------- 5. hyperparameter checks

@pytest.mark.parametrize(("name", "hp", "words"), [
    ("rmsprop", {"beta": 1.5}, ["beta", "[0, 1)"]),
    ("sgdm", {"beta": 1.0}, ["beta", "[0, 1)"]),
    ("adam", {"beta2": -0.1}, ["beta2", "[0, 1)"]),
    ("adagrad", {"epsilon": -1e-8}, ["epsilon", "[0, inf)"]),
    ("adam", {"beta1": "high"}, ["beta1", "number"]),
])
def test_bad_values_are_rejected(name: str, hp: dict, words: list[str]) -> None:
    """An out-of-range or mistyped value names the hyperparameter and what it accepts."""
    with pytest.raises(nnfw.UsageError) as caught:
        nnfw.optimizer(name, learning_rate=0.1, **hp)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize(("name", "key", "guess"), [
    ("rmsprop", "betta", "beta"),
    ("adam", "beta_1", "beta1"),
    ("adagrad", "epsillon", "epsilon"),
    ("sgdm", "momentum", None),
])
def test_unknown_hyperparameter_suggests_a_close_match(name: str, key: str,
                                                       guess: str | None) -> None:
    """An unknown key is refused, with a close match when there is one."""
    with pytest.raises(nnfw.UsageError) as caught:
        nnfw.optimizer(name, learning_rate=0.1, **{key: 0.5})
    message = str(caught.value)
    assert key in message
    if guess:
        assert f"did you mean {guess!r}" in message
    else:
        assert "did you mean" not in message


def test_command_line_text_is_parsed_and_defaults_are_the_declared_ones() -> None:
    """Text values (from the CLI) become numbers; defaults are beta 0.9, 0.999, epsilon 1e-7
    (the lecture's experiments set epsilon 0 in their config files)."""
    optimizer = nnfw.optimizer("rmsprop", learning_rate=0.1, beta="0.95", epsilon="1e-6")
    assert optimizer.get_config()["beta"] == 0.95
    assert optimizer.get_config()["epsilon"] == 1e-6
    adam = nnfw.optimizer("adam", learning_rate=0.1).get_config()
    assert (adam["beta1"], adam["beta2"], adam["epsilon"]) == (0.9, 0.999, EPSILON)


def test_importing_the_plugins_does_not_import_tensorflow() -> None:
    """The optimizer plugin modules stay light: TensorFlow and Keras load only in factories."""
    modules = ", ".join(f"nnfw_plugins.optimizers.{n}" for n in NAMES)
    code = (f"import sys, {modules}\n"
            "heavy = [m for m in ('tensorflow', 'keras', 'sklearn') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
