"""The compile choice measured: each shape trained as a plain graph and with XLA, and nnfw's pick.

Each shape is one nnfw run on the benchmark's random data (``synthetic.py``), trained twice
in this process: with ``xla = false`` (a graph) and with XLA forced on (the size rule
bypassed for that run only), both including their compile time. nnfw's own choice is what
its planner decides for the shape with ``xla = true`` (the default); its time is that path's time. The target:
the chosen path within 1.1x of the faster one on every shape.
"""

from __future__ import annotations

import statistics
from typing import Any

import synthetic
from sizes import Sizes

# (rows, features, hidden, batch size, epochs): lecture-sized to MNIST-sized
SHAPES = (
    (120, 4, "", 32, 100),
    (120, 4, "", 32, 1000),
    (120, 4, "", 32, 3000),
    (32, 2, "", 32, 15000),
    (1438, 64, "32", 32, 30),
    (1438, 64, "32", 32, 100),
    (1438, 64, "32", 32, 300),
    (1438, 64, "32", 128, 300),
    (10000, 64, "64", 128, 20),
    (10000, 256, "256", 128, 20),
    (10000, 256, "256", 128, 60),
    (60000, 784, "512", 128, 1),
    (60000, 784, "512", 128, 3),
    (60000, 784, "512", 32, 1),
)


def _options(shape: tuple[int, int, str, int, int]) -> dict[str, Any]:
    """``nnfw.train``'s options for ``shape``: Adam at lr 0.001, rows in order."""
    rows, features, hidden, batch, epochs = shape
    return {"dataset": synthetic.NAME, "params": {"dataset": {"rows": rows, "features": features}},
            "hidden": hidden, "batch_size": batch, "epochs": epochs, "optimizer": "adam",
            "lr": 0.001, "shuffle": False}


def _train(shape: tuple[int, int, str, int, int], xla: str) -> float:
    """Seconds of nnfw's training loop for ``shape`` on path ``xla``: 'graph' or 'xla'."""
    import nnfw
    import nnfw.training.plan as plan

    rule = plan.xla_pays_off
    if xla == "xla":
        plan.xla_pays_off = lambda steps, parameters: True
    try:
        result = nnfw.train(**_options(shape), xla=xla != "graph")
    finally:
        plan.xla_pays_off = rule
    return result.train_seconds


def chosen_path(shape: tuple[int, int, str, int, int]) -> str:
    """'xla' or 'graph': what nnfw's planner picks for ``shape`` (the run planned, not trained)."""
    from nnfw.api import registry, train_settings
    from nnfw.training.plan import plan_run, start_strategy

    settings = train_settings(**_options(shape))
    plan = plan_run(settings, registry(), start_strategy(settings), resumed=False)
    return "xla" if plan.settings.scalars["xla"] else "graph"


def run(sizes: Sizes, broken: bool = False) -> dict[str, Any]:
    """Graph and XLA seconds (median of the repeats, interleaved) and nnfw's choice per shape."""
    synthetic.use_in_nnfw()
    shapes = SHAPES[:sizes.compile_shapes]
    repeats = max(1, sizes.repeats // 2)
    _train((120, 4, "", 32, 1), "graph")  # TensorFlow's one-time start-up, untimed
    rows = []
    for shape in shapes:
        seconds: dict[str, list[float]] = {"graph": [], "xla": []}
        for _ in range(repeats):
            for path in seconds:
                seconds[path].append(_train(shape, path))
        graph, xla = (statistics.median(seconds[p]) for p in ("graph", "xla"))
        choice = chosen_path(shape)
        rows.append({"shape": list(shape), "graph": graph, "xla": xla, "choice": choice,
                     "ratio": (xla if choice == "xla" else graph) / min(graph, xla)})
    return {"work": "compile", "repeats": repeats, "shapes": rows}
