"""Testing plugins without installing them: ``nnfw.testing``.

Importing this module does not import TensorFlow; the checks do, when they run.

- :func:`plugin_registry` puts plugin modules into the registry that ``nnfw.train``,
  ``nnfw.optimizer(...)`` and the other functions, and the CLI run in the same process
  (click's ``CliRunner``), use, beside the installed plugins.
- :func:`check_plugin` checks every entry a plugin module registers against its kind's
  contract and raises :class:`PluginCheckError` listing each failure as
  ``KIND NAME: CHECK: what is wrong``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from nnfw import api
from nnfw.entries import Entry
from nnfw.kinds import KINDS
from nnfw.loading import Candidate, entry_point_candidates, load_registry
from nnfw.registry import Registry

NOT_BUILT = ("strategy",)  # a strategy starts devices (or joins a cluster): train under it instead


class PluginCheckError(AssertionError):
    """A plugin failed some checks; ``failures`` holds one line per failed check."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__("\n".join(failures))


@contextlib.contextmanager
def plugin_registry(*modules: types.ModuleType, strict: bool = True) -> Iterator[Registry]:
    """The installed plugins and ``modules`` (each a plugin named after its module, which
    takes the place of an installed plugin of that name), as the registry everything in
    this process uses until the ``with`` block ends."""
    names = {_plugin_name(m) for m in modules}
    candidates = [*(c for c in entry_point_candidates() if c.name not in names),
                  *(Candidate(_plugin_name(m), lambda m=m: m) for m in modules)]
    registry = load_registry(candidates, strict=strict)
    previous = api._loaded
    api.use_registry(registry)
    try:
        yield registry
    finally:
        api.use_registry(previous)


def check_plugin(*modules: types.ModuleType, fresh_process: bool = True) -> list[str]:
    """Check every entry the plugin ``modules`` register; return notes on checks that could
    not run here.

    For each entry: it builds with its default hyperparameters; its Keras objects survive
    ``get_config``/``from_config`` and, with ``fresh_process``, a save and a load in safe
    mode in a new Python process; an optimizer lowers a small problem's loss; an optimizer,
    a loss and a model train the same on one device and on two replicas (where this
    process has two devices); a loss's ``probabilities`` gives probabilities; a model
    trains on made-up rows of its stand-in shape; a metric gives a finite value in a
    compiled function; a data set's arrays pass ``Dataset``'s checks; a function runs two
    steps of ``nnfw paths`` and is drawn over its range. Importing the module (in a
    new process) must import no TensorFlow. Raises :class:`PluginCheckError` on failures.
    """
    failures: list[str] = []
    notes: list[str] = []
    names = [_plugin_name(m) for m in modules]
    with plugin_registry(*modules, strict=False) as registry, \
            tempfile.TemporaryDirectory(prefix="nnfw-check-") as folder:
        broken = [r for r in registry.plugins if r.name in names and r.status == "error"]
        if broken:
            raise PluginCheckError([f"plugin {r.name!r}: registers: {r.error}" for r in broken])
        saved: dict[str, str] = {}
        for entry in (e for kind in KINDS for e in registry.entries(kind) if e.plugin in names):
            _check_entry(entry, Path(folder), saved, failures, notes)
        if fresh_process:
            _check_in_fresh_process(modules, saved, failures, notes)
    if failures:
        raise PluginCheckError(failures)
    return notes


def _plugin_name(module: types.ModuleType) -> str:
    """The name of the installed plugin that is this module, else the module's own name."""
    installed = next((c.name for c in entry_point_candidates() if c.target == module.__name__), None)
    return installed or module.__name__.rpartition(".")[2].replace("_", "-")


def _label(entry: Entry) -> str:
    return f"{entry.kind} {entry.qualified_name!r}"


def _check_entry(entry: Entry, folder: Path, saved: dict[str, str],
                 failures: list[str], notes: list[str]) -> None:
    """Run the checks of one entry, adding a line to ``failures`` for each that fails."""
    required = [p.name for p in entry.params if p.default is None]
    if required or entry.kind in NOT_BUILT:
        why = f"it needs {', '.join(required)}" if required else "strategies are checked by training"
        notes.append(f"{_label(entry)}: not built: {why}")
        return
    built: dict[str, Any] = {}

    def build_once() -> Any:
        if "object" not in built:
            built["object"] = entry.build_alone()
        return built["object"]

    checks: list[tuple[str, Callable[[], Any]]] = [("builds with its defaults", build_once)]
    if KINDS[entry.kind].keras:
        if entry.kind != "model":  # a model's own config is Keras' to keep: saving checks it
            checks.append(("survives get_config / from_config", lambda: _round_trip(build_once())))
        checks.append(("saves in a model", lambda: saved.__setitem__(
            _label(entry), _save_in_model(entry, build_once(), folder))))
    checks.extend(KIND_CHECKS.get(entry.kind, lambda e, n: [])(entry, notes))
    for check, run in checks:
        try:
            run()
        except Exception as exc:  # the plugin's fault, whatever it raised: say which check
            text = str(exc).strip().splitlines()
            failures.append(f"{_label(entry)}: {check}: {type(exc).__name__}"
                            + (f": {text[0]}" if text else ""))
            if check == "builds with its defaults":
                return


def _round_trip(obj: Any) -> None:
    """Serialize with Keras and back, in safe mode: the same object (a registered function)
    or one of the same class and config comes back."""
    import warnings

    import keras

    if isinstance(obj, int | float):
        return  # a constant learning rate: a number, nothing to serialize
    with warnings.catch_warnings():  # Keras warns about lambdas; the failure below says it
        warnings.simplefilter("ignore")
        again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(obj))
    if not hasattr(obj, "get_config"):
        if again is not obj:
            raise TypeError(f"{obj!r} came back as {again!r}: register it with "
                            "keras.saving.register_keras_serializable")
        return
    if type(again) is not type(obj) or again.get_config() != obj.get_config():
        raise ValueError(f"rebuilt as {type(again).__name__} with config {again.get_config()!r}, "
                         f"not {obj.get_config()!r}")


def _save_in_model(entry: Entry, obj: Any, folder: Path) -> str:
    """A small model that uses ``obj``, saved as ``.keras``; returns the file's path."""
    import warnings

    import keras

    dense: dict[str, Any] = {}
    compile_with: dict[str, Any] = {"optimizer": "sgd", "loss": "mse"}
    if entry.kind == "activation":
        dense["activation"] = obj
    elif entry.kind == "initializer":
        dense["kernel_initializer"] = obj
    elif entry.kind == "regularizer":
        dense["kernel_regularizer"] = obj
    elif entry.kind == "loss":
        compile_with["loss"] = obj
    elif entry.kind == "optimizer":
        compile_with["optimizer"] = obj
    elif entry.kind == "schedule":
        compile_with["optimizer"] = keras.optimizers.SGD(learning_rate=obj)
    model = obj if entry.kind == "model" else keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(2, **dense)])
    model.compile(**compile_with)
    path = folder / f"{entry.kind}-{entry.name}.keras"
    with warnings.catch_warnings():  # Keras warns about lambdas; loading it then fails, and says so
        warnings.simplefilter("ignore")
        model.save(path)
    return str(path)


def _optimizer_checks(entry: Entry, notes: list[str]
                      ) -> list[tuple[str, Callable[[], Any]]]:
    return [("lowers a small problem's loss", lambda: _lowers_loss(entry)),
            *_replica_check(entry, notes, {"optimizer": entry.qualified_name, "loss": "mse"})]


def _loss_checks(entry: Entry, notes: list[str]
                 ) -> list[tuple[str, Callable[[], Any]]]:
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


def _dataset_checks(entry: Entry, notes: list[str]
                    ) -> list[tuple[str, Callable[[], Any]]]:
    return [("gives an nnfw.Dataset", lambda: _is_dataset(entry.build_alone()))]


def _function_checks(entry: Entry, notes: list[str]
                     ) -> list[tuple[str, Callable[[], Any]]]:
    return [("runs in nnfw paths (2 sgd steps from its start)", lambda: _walks(entry)),
            ("is drawn over its range", lambda: _draws(entry))]


def _model_checks(entry: Entry, notes: list[str]
                  ) -> list[tuple[str, Callable[[], Any]]]:
    import tensorflow as tf

    checks = [("trains 3 epochs on made-up rows of its stand-in shape", lambda: _trains(entry))]
    if len(tf.config.list_logical_devices("CPU")) < 2 and not tf.config.list_logical_devices("GPU"):
        notes.append(f"{_label(entry)}: one device only here: not compared on two replicas")
        return checks
    return [*checks, ("trains the same on one device and on two replicas",
                      lambda: _same_model_on_replicas(entry))]


def _metric_checks(entry: Entry, notes: list[str]
                   ) -> list[tuple[str, Callable[[], Any]]]:
    return [("gives a finite value in a compiled function", lambda: _measures(entry))]


KIND_CHECKS: dict[str, Callable[[Entry, list[str]], list[tuple[str, Callable[[], Any]]]]] = {
    "optimizer": _optimizer_checks, "loss": _loss_checks, "dataset": _dataset_checks,
    "function": _function_checks, "model": _model_checks, "metric": _metric_checks}


def _trains(entry: Entry, strategy: Any = None) -> list[Any]:
    """Three epochs of sgd and cross-entropy on 28 made-up rows of the stand-in shape (batches
    of 7), the model built in ``strategy``'s scope; the loss must stay finite. Returns the
    trained weights."""
    import math

    import numpy as np
    import tensorflow as tf

    from nnfw.loop import Trainer
    from nnfw.model_context import STAND_IN
    from nnfw.network import Targets
    from nnfw.plan import seeded

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
    from nnfw.data import Dataset

    if not isinstance(obj, Dataset):
        raise TypeError(f"the factory returned {type(obj).__name__}, not an nnfw.Dataset")


def _walks(entry: Entry) -> None:
    """Two steps of the built-in ``sgd`` as ``nnfw paths`` runs them: a float32 scalar with a
    gradient, finite at the start point."""
    from nnfw.paths import run_paths

    path = run_paths(api.registry(), entry.qualified_name, ["sgd"], steps=2).paths[0]
    if path.diverged_at == 0:
        raise ValueError(f"{path.non_finite} is not finite at the start point {path.points[0].tolist()}")


def _draws(entry: Entry) -> None:
    """The function on a small grid over its drawing range (what ``nnfw paths -o`` draws)."""
    from nnfw.paths import surface

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


def _replica_check(entry: Entry, notes: list[str], options: dict[str, Any]
                   ) -> list[tuple[str, Callable[[], Any]]]:
    import tensorflow as tf

    if len(tf.config.list_logical_devices("CPU")) < 2 and not tf.config.list_logical_devices("GPU"):
        notes.append(f"{_label(entry)}: one device only here: not compared on two replicas "
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


def _check_in_fresh_process(modules: tuple[types.ModuleType, ...], saved: dict[str, str],
                            failures: list[str], notes: list[str]) -> None:
    """In one new process: import each module (no TensorFlow may come with it), then load
    every saved model with ``nnfw.load_model``, the modules beside the installed plugins."""
    named = {}
    for module in modules:
        spec = getattr(module, "__spec__", None)
        if spec is None or spec.origin is None:
            notes.append(f"plugin {_plugin_name(module)!r}: not importable by name: the import "
                         "and fresh-process loading checks did not run for it")
        else:
            named[_plugin_name(module)] = module.__name__
    if not named:
        return
    roots = [_import_root(module) for module in modules if module.__name__ in named.values()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*roots, *(p for p in sys.path if p)]),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", _FRESH_PROCESS_SCRIPT, json.dumps(named),
                           json.dumps(saved)], capture_output=True, text=True, env=env,
                          check=False, timeout=900)
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        failures.append(f"fresh process: it failed: "
                        f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
        return
    failures.extend(f"plugin {plugin!r}: imports no TensorFlow: importing it imported {heavy}"
                    for plugin, heavy in report["heavy"].items())
    failures.extend(f"{label}: loads in a fresh process (safe mode): {problem}"
                    for label, problem in report["failed"].items())


def _import_root(module: types.ModuleType) -> str:
    """The folder to put on the path so that ``import module.__name__`` finds this module."""
    origin = Path(module.__spec__.origin)  # type: ignore[union-attr]
    depth = module.__name__.count(".") + (1 if origin.name == "__init__.py" else 0)
    return str(origin.parents[depth])


# argv[1]: {plugin name: module name}; argv[2]: {entry label: saved model path}
_FRESH_PROCESS_SCRIPT = """
import importlib, json, sys
from nnfw.loading import HEAVY_MODULES
heavy, modules = {}, {}
for plugin, name in json.loads(sys.argv[1]).items():
    before = {m for m in HEAVY_MODULES if m in sys.modules}
    modules[plugin] = importlib.import_module(name)
    new = sorted({m for m in HEAVY_MODULES if m in sys.modules} - before)
    if new:
        heavy[plugin] = ", ".join(new)
from nnfw.loading import Candidate, entry_point_candidates, load_registry
from nnfw.saved import load_model
registry = load_registry([*(c for c in entry_point_candidates() if c.name not in modules),
                          *(Candidate(p, lambda m=m: m) for p, m in modules.items())])
failed = {}
for label, path in json.loads(sys.argv[2]).items():
    try:
        load_model(path, registry)
    except Exception as exc:
        failed[label] = type(exc).__name__ + ": " + (str(exc).strip().splitlines() or [""])[0][:300]
print(json.dumps({"heavy": heavy, "failed": failed}))
"""
