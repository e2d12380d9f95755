"""A benchmark-only dataset plugin: seeded random rows with classes from a random linear teacher.

Registered in-process (never installed), so the MLP work feeds nnfw 60000 x 784
rows without downloads or CSV parsing. The same ``build`` gives the other ways their data.
"""

from __future__ import annotations

import numpy as np

from nnfw import Dataset, Param, hookimpl

NAME = "bench-random"


@hookimpl
def register_datasets(register):
    """Register ``bench-random``."""
    register(NAME, build,
             description="Benchmark data: standard-normal features, class = argmax of a random "
                         "linear teacher plus noise.",
             params=[Param("rows", 60000, "training rows", bounds="[1, inf)"),
                     Param("features", 784, "features per row", bounds="[1, inf)"),
                     Param("classes", 10, "number of classes", bounds="[2, inf)"),
                     Param("seed", 0, "seed of the numpy generator", bounds="[0, inf)")])


def build(rows: int = 60000, features: int = 784, classes: int = 10, seed: int = 0) -> Dataset:
    """``rows`` training rows (no test part), the same for the same arguments."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features), dtype=np.float32)
    teacher = rng.standard_normal((features, classes), dtype=np.float32) / np.sqrt(features)
    noise = rng.standard_normal((rows, classes), dtype=np.float32)
    y = np.argmax(x @ teacher + noise, axis=1)
    return Dataset(x, y, np.empty((0, features)), np.empty(0), task="classification",
                   num_classes=classes, name=NAME)


def use_in_nnfw() -> None:
    """Make ``nnfw.train`` / ``nnfw.dataset`` see this plugin beside the installed ones."""
    import sys

    from nnfw.api import use_registry
    from nnfw.plugin.loading import Candidate, entry_point_candidates, load_registry

    module = sys.modules[__name__]
    use_registry(load_registry(candidates=[*entry_point_candidates(), Candidate("bench", lambda: module)]))
