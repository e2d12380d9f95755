"""The lecture's "yogurt sales" data: y_ = x1 + x2 plus a little uniform noise."""

from __future__ import annotations

from nnfw import Dataset, Param, hookimpl
from nnfw_plugins.datasets import prepare, table_rows, table_target

FEATURES = ("x1", "x2")


@hookimpl
def register_datasets(register):
    """Register ``yogurt``."""
    register("yogurt", build, read_rows=table_rows.read_rows,
             description="The lecture's yogurt sales: 32 random (x1, x2), target x1 + x2 + noise.",
             formula="rdm = RandomState(seed); X = rdm.rand(rows, 2); "
                     "y_ = x1 + x2 + (rdm.rand()/10.0 - 0.05) per row",
             params=[prepare.seed_param(23455),
                     Param("rows", 32, "how many rows to generate", bounds="[1, inf)")])


def build(seed: int = 23455, rows: int = 32) -> Dataset:
    """All generated rows are training rows; the test part is empty.

    New rows (``read_rows``) are a CSV file with columns x1, x2 and optionally y_ (sales).
    """
    import numpy as np

    rdm = np.random.RandomState(seed)
    x = rdm.rand(rows, 2)
    noise = rdm.rand(rows) / 10.0 - 0.05  # drawn after all of x, one value per row, in row order
    y = (x[:, 0] + x[:, 1] + noise).reshape(rows, 1)
    return Dataset(x, y, np.empty((0, 2)), np.empty((0, 1)), task="regression",
                   feature_names=FEATURES, name="yogurt",
                   preprocessing=prepare.preprocessing(FEATURES, table_target.regression_spec("y_")))
