"""Tests for the example plugin, run from the source tree: the package need not be installed.

The example directory is put on ``sys.path`` here, so this file also works when the
main test suite imports it (``tests/test_example_plugin_rule.py``).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnfw import UsageError
from nnfw.plugin.entries import Entry
from nnfw.registry import Candidate, Registry, load_registry

EXAMPLE_DIR = Path(__file__).resolve().parents[1]
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))
nnfw_lion = importlib.import_module("nnfw_lion")


def lion_registry() -> Registry:
    """A registry holding only this plugin, loaded the way nnfw loads installed ones."""
    return load_registry(candidates=[Candidate("lion", lambda: nnfw_lion)], strict=True)


def lion_entry() -> Entry:
    """The registered ``lion`` optimizer entry."""
    return lion_registry().get("optimizer", "lion")


def lion_step_numpy(w: np.ndarray, m: np.ndarray, g: np.ndarray, lr: np.float32,
                    b1: np.float32, b2: np.float32, decay: np.float32
                    ) -> tuple[np.ndarray, np.ndarray]:
    """One Lion step in plain float32 numpy: the reference the Keras optimizer must match."""
    one = np.float32(1.0)
    c = b1 * m + (one - b1) * g
    w = w - lr * (np.sign(c) + decay * w)
    m = b2 * m + (one - b2) * g
    return w, m


def test_module_registers_lion() -> None:
    registry = lion_registry()
    assert [(p.name, p.status) for p in registry.plugins] == [("lion", "ok")]
    assert registry.plugins[0].provides == {"optimizer": ["lion"]}
    entry = registry.get("optimizer", "lion")
    declared = {p.name: (p.default, p.bounds) for p in entry.params}
    assert declared == {"b1": (0.9, "[0, 1)"), "b2": (0.99, "[0, 1)"),
                        "weight_decay": (0.0, "[0, inf)")}
    assert entry.description and "sign(c)" in (entry.formula or "")


@pytest.mark.parametrize("given", [{"b1": "1"}, {"b2": "-0.1"}, {"weight_decay": "-1e-3"},
                                   {"beta": "0.5"}])
def test_out_of_bounds_or_unknown_hyperparameters_are_refused(given: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        lion_entry().resolve(given)


def test_import_and_registration_do_not_load_tensorflow() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import nnfw_lion\n"
        "from nnfw.registry import Candidate, load_registry\n"
        "load_registry(candidates=[Candidate('lion', lambda: nnfw_lion)], strict=True)\n"
        "print(nnfw_lion.__file__)\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(EXAMPLE_DIR)], capture_output=True,
                          text=True, timeout=60, check=True)
    where, heavy = done.stdout.strip().splitlines()[-2:]
    assert Path(where).resolve() == EXAMPLE_DIR / "nnfw_lion.py"
    assert heavy == "[]"


@pytest.mark.parametrize("hyperparameters", [
    {},
    {"b1": 0.95, "b2": 0.98, "weight_decay": 0.1},
    {"b1": 0.0, "b2": 0.5, "weight_decay": 0.01},
])
def test_weights_follow_numpy_reference(hyperparameters: dict[str, float]) -> None:
    """120 steps on a small quadratic: weights equal the numpy rule after every step."""
    import keras

    lr = 0.05
    entry = lion_entry()
    resolved = entry.resolve(hyperparameters)
    optimizer = entry.build(lr, **hyperparameters)
    b1, b2, decay = (np.float32(resolved[k]) for k in ("b1", "b2", "weight_decay"))
    target = np.array([[1.5, -0.7], [0.2, 2.0], [-1.1, 0.4]], dtype=np.float32)
    scale = np.array([[1.0, 4.0], [0.5, 2.0], [3.0, 0.25]], dtype=np.float32)
    w = np.array([[-0.3, 0.8], [1.2, -0.5], [0.05, 0.0]], dtype=np.float32)
    m = np.zeros_like(w)
    variable = keras.Variable(w)
    start = 0.5 * np.sum(scale * (w - target) ** 2)
    for step in range(120):
        gradient = scale * (w - target)  # of 0.5 * sum(scale * (w - target)**2)
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
        w, m = lion_step_numpy(w, m, gradient, np.float32(lr), b1, b2, decay)
        np.testing.assert_allclose(variable.numpy(), w, rtol=1e-6,
                                   atol=1e-7, err_msg=f"after step {step + 1}")
    assert 0.5 * np.sum(scale * (w - target) ** 2) < 0.05 * start  # the reference did descend


def test_trains_a_model_with_fit_and_saves_it(tmp_path: Path) -> None:
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0]], dtype=np.float32) + 0.5).astype(np.float32)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    optimizer = lion_entry().build(0.05, b1=0.8, b2=0.95, weight_decay=0.01)
    model.compile(optimizer=optimizer, loss="mse")
    losses: list[Any] = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.8 * losses[0]

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path).optimizer
    assert type(loaded) is nnfw_lion.optimizer_class()
    assert (loaded.b1, loaded.b2, loaded.lion_weight_decay) == (0.8, 0.95, 0.01)
