"""The plugin kit's checks per kind, beyond building with the defaults.

What an optimizer, a loss, a model, a metric, a data set or a function must do;
TensorFlow is imported when a check runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnfw import api
from nnfw.plugin.entries import Entry

Check = tuple[str, Callable[[], Any]]  # what is checked, in words; the check (raises on failure)


def label(entry: Entry) -> str:
    """The entry as the kit's lines name it: ``KIND 'NAME'``."""
    return f"{entry.kind} {entry.qualified_name!r}"


def kind_checks(entry: Entry, notes: list[str]) -> list[Check]:
    """The checks of ``entry``'s kind (none for a kind without its own), adding a line to
    ``notes`` for each that cannot run here."""
    return KIND_CHECKS.get(entry.kind, lambda e, n: [])(entry, notes)


def _one_device_only() -> bool:
    import tensorflow as tf

    return len(tf.config.list_logical_devices("CPU")) < 2 and not tf.config.list_logical_devices("GPU")


def _optimizer_checks(entry: Entry, notes: list[str]) -> list[Check]:
    return [("lowers a small problem's loss", lambda: _lowers_loss(entry)),
            *_replica_check(entry, notes, {"optimizer": entry.qualified_name, "loss": "mse"})]


def _loss_checks(entry: Entry, notes: list[str]) -> list[Check]:
    dataset = "yogurt" if "regression" in entry.extras["tasks"] else "iris"
    checks = _replica_check(entry, notes, {"loss": entry.qualified_name, "dataset": dataset,
                                           "optimizer": "sgd"})
    if entry.extras["probabilities"] is None:
        return checks
    return [*checks, ("turns outputs into probabilities (rows in [0, 1] that sum to 1)",
                      lambda: _gives_probabilities(entry))]


def _gives_probabilities(entry: Entry) -> None:
    """The loss's ``probabilities`` on made-up outputs of three classes (large, negative and
    equal values), with its default hyperparameters: a probability per class and row."""
    import numpy as np

    outputs = np.array([[2.0, -1.0, 0.5], [40.0, -40.0, 0.0], [0.0, 0.0, 0.0]], np.float32)
    if not entry.extras["per_class_outputs"]:
        outputs = np.array([[0.2], [0.9], [0.5]], np.float32)
    found = np.asarray(entry.extras["probabilities"](outputs, **entry.resolve({})))
    if found.shape != outputs.shape:
        raise ValueError(f"it gave shape {found.shape} for outputs of shape {outputs.shape}")
    sums = found.sum(axis=1) if found.shape[1] > 1 else np.ones(len(found))
    if not (np.all(np.isfinite(found)) and np.all((found >= 0) & (found <= 1))
            and np.allclose(sums, 1.0, atol=1e-5)):
        raise ValueError(f"it gave {found.tolist()}")


def _dataset_checks(entry: Entry, notes: list[str]) -> list[Check]:
    return [("gives an nnfw.Dataset", lambda: _is_dataset(entry.build_alone()))]


def _function_checks(entry: Entry, notes: list[str]) -> list[Check]:
    return [("runs in nnfw paths (2 sgd steps from its start)", lambda: _walks(entry)),
            ("is drawn over its range", lambda: _draws(entry))]


def _model_checks(entry: Entry, notes: list[str]) -> list[Check]:
    checks: list[Check] = [("trains 3 epochs on made-up rows of its stand-in shape",
                            lambda: _trains(entry))]
    if _one_device_only():
        notes.append(f"{label(entry)}: one device only here: not compared on two replicas")
        return checks
    return [*checks, ("trains the same on one device and on two replicas",
                      lambda: _same_model_on_replicas(entry))]


def _metric_checks(entry: Entry, notes: list[str]) -> list[Check]:
    return [("gives a finite value in a compiled function", lambda: _measures(entry))]


KIND_CHECKS: dict[str, Callable[[Entry, list[str]], list[Check]]] = {
    "optimizer": _optimizer_checks, "loss": _loss_checks, "dataset": _dataset_checks,
    "function": _function_checks, "model": _model_checks, "metric": _metric_checks}


def _trains(entry: Entry, strategy: Any = None) -> list[Any]:
    """Three epochs of sgd and cross-entropy on 28 made-up rows of the stand-in shape (batches
    of 7), the model built in ``strategy``'s scope; the loss must stay finite. Returns the
    trained weights."""
    import math

    import numpy as np
    import tensorflow as tf

    from nnfw.plugin.model_context import STAND_IN
    from nnfw.training.loop import Trainer
    from nnfw.training.network import Targets
    from nnfw.training.plan import seeded

    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (28, STAND_IN.inputs)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope(), seeded(0):
        model = entry.build_alone()
        trainer = Trainer(model, api.optimizer("sgd", 0.01), api.loss("cross-entropy"),
                          (x, y, x[:0], y[:0]), Targets(2, True, True), batch_size=7,
                          jit=False, strategy=strategy)
    trainer.fit(3)
    if not all(math.isfinite(value) for value in trainer.history.loss):
        raise ValueError(f"the loss went non-finite: {trainer.history.loss}")
    return [w.numpy() for w in model.weights]


def _same_model_on_replicas(entry: Entry) -> None:
    """The model trained on one device and on two replicas, from the same first weights,
    agrees to float32 rounding."""
    import numpy as np

    single = _trains(entry)
    replicated = _trains(entry, api.strategy("mirrored"))
    for index, (a, b) in enumerate(zip(single, replicated, strict=True)):
        if not np.allclose(a, b, rtol=1e-4, atol=1e-6, equal_nan=True):
            raise ValueError(f"weight {index} differs by {float(np.max(np.abs(a - b))):.3g} "
                             "between one device and two replicas")


def _measures(entry: Entry) -> None:
    """The metric on six made-up rows (three classes, or two regression outputs), inside a
    ``tf.function`` as training evaluates it: a finite value (a scalar when per epoch)."""
    import numpy as np
    import tensorflow as tf

    if "classification" in entry.extras["tasks"]:
        targets = tf.constant([0, 1, 2, 0, 1, 2], tf.int32)
        outputs = tf.constant(np.eye(3, dtype="float32")[[0, 1, 1, 0, 2, 2]])
    else:
        targets = tf.constant(np.arange(12, dtype="float32").reshape(6, 2))
        outputs = targets + 0.5
    value = np.asarray(tf.function(entry.build_alone(), autograph=False)(targets, outputs))
    if entry.extras["per_epoch"] and value.shape != ():
        raise ValueError(f"a per-epoch metric must give one number, not shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"it gave {value.tolist()}")


def _is_dataset(obj: Any) -> None:
    from nnfw.plugin.data import Dataset

    if not isinstance(obj, Dataset):
        raise TypeError(f"the factory returned {type(obj).__name__}, not an nnfw.Dataset")


def _walks(entry: Entry) -> None:
    """Two steps of the built-in ``sgd`` as ``nnfw paths`` runs them: a float32 scalar with a
    gradient, finite at the start point."""
    from nnfw.explore.paths import run_paths

    path = run_paths(api.registry(), entry.qualified_name, ["sgd"], steps=2).paths[0]
    if path.diverged_at == 0:
        raise ValueError(f"{path.non_finite} is not finite at the start point {path.points[0].tolist()}")


def _draws(entry: Entry) -> None:
    """The function on a small grid over its drawing range (what ``nnfw paths -o`` draws)."""
    from nnfw.explore.paths import surface

    objective = entry.build_alone()
    if objective.dimensions <= 2:
        surface(objective, resolution=5)


def _lowers_loss(entry: Entry) -> None:
    """Twenty steps on ``sum((w - 1)^2)`` from ``w = 0`` must lower the loss."""
    import tensorflow as tf

    optimizer = entry.build_alone()  # learning rate 0.01
    w = tf.Variable(tf.zeros([4]))

    def loss() -> Any:
        return tf.reduce_sum(tf.square(w - 1.0))

    before = float(loss())
    for _ in range(20):
        with tf.GradientTape() as tape:
            value = loss()
        optimizer.apply_gradients([(tape.gradient(value, w), w)])
    after = float(loss())
    if not after < before:
        raise ValueError(f"the loss went from {before:g} to {after:g} in 20 steps at lr 0.01")


def _replica_check(entry: Entry, notes: list[str], options: dict[str, Any]) -> list[Check]:
    if _one_device_only():
        notes.append(f"{label(entry)}: one device only here: not compared on two replicas "
                     "(split the CPU before TensorFlow starts to check that)")
        return []
    return [("trains the same on one device and on two replicas", lambda: _same_on_replicas(options))]


def _same_on_replicas(options: dict[str, Any]) -> None:
    """Three epochs of 7-row batches (split 3 + 4 between replicas) agree to float32 rounding."""
    import numpy as np

    import nnfw

    # tanh: no unit dies, so the lecture's epsilon-free optimizers never divide 0 by 0
    settings = {"dataset": "yogurt", "hidden": "3", "activation": "tanh", "epochs": 3,
                "batch_size": 7, "lr": 0.01, "xla": False, **options}
    single = nnfw.train(**settings)
    replicated = nnfw.train(strategy="mirrored", **settings)
    for a, b in zip(single.model.weights, replicated.model.weights, strict=True):
        if not np.allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6, equal_nan=True):
            worst = float(np.max(np.abs(a.numpy() - b.numpy())))
            raise ValueError(f"{a.path} differs by {worst:.3g} between one device and two replicas")
