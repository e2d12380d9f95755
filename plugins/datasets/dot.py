"""The lecture's "dot" data: 300 normal points, labelled 1 inside the circle x1^2 + x2^2 < 2."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnfw import Dataset, Param, UsageError, hookimpl
from nnfw_plugins.datasets import prepare, table_rows, table_target

if TYPE_CHECKING:
    import numpy as np

FEATURES = ("x1", "x2")


@hookimpl
def register_datasets(register):
    """Register ``dot``."""
    register("dot", build, read_rows=table_rows.read_rows,
             description="The lecture's dot set: 300 normal points in 2-D, 1 inside a circle.",
             formula="x = round(RandomState(seed).randn(rows, 2), 9); "
                     "y_c = 1 if x1^2 + x2^2 < 2 else 0",
             params=[prepare.seed_param(2),
                     Param("rows", 300, "how many points to generate", bounds="[1, inf)"),
                     Param("test_rows", 0, "rows at the end kept for testing (fewer than rows)",
                           bounds="[0, inf)")])


def points(seed: int = 2, rows: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """The points (float64, rounded to 9 decimals) and their 0/1 labels."""
    import numpy as np

    x = np.round(np.random.RandomState(seed).randn(rows, 2), 9)
    y_c = np.where(x[:, 0] ** 2 + x[:, 1] ** 2 < 2, 1, 0)
    return x, y_c


def build(seed: int = 2, rows: int = 300, test_rows: int = 0) -> Dataset:
    """The generated points; the last ``test_rows`` of them are the test part.

    New rows (``read_rows``) are a CSV file with columns x1, x2 and optionally y_c (0 or 1),
    as the lecture's dot.csv.
    """
    if test_rows >= rows:
        raise UsageError(f"dataset 'dot': test_rows ({test_rows}) must be less than rows ({rows}),"
                         " so that at least one row is left to train on")
    x, y_c = points(seed, rows)
    x_train, y_train, x_test, y_test = prepare.split(x, y_c, test_rows)
    names = ("outside (0)", "inside (1)")
    target = table_target.classes_spec("y_c", names, (0, 1))
    return Dataset(x_train, y_train, x_test, y_test, task="classification", num_classes=2,
                   class_names=names, feature_names=FEATURES, name="dot",
                   preprocessing=prepare.preprocessing(FEATURES, target))
