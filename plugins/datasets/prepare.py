"""Steps the data set plugins share: seeded shuffling, the train/test split, standardizing,
and the preprocessing they record for reading new rows.

numpy is imported inside each function, so importing a data set plugin stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nnfw import Param

if TYPE_CHECKING:
    import numpy as np

# np.random.RandomState accepts seeds 0 <= seed < 2**32.
SEED_BOUNDS = "[0, 4294967295]"


def seed_param(default: int) -> Param:
    """The ``seed`` hyperparameter of a generated or shuffled data set."""
    return Param("seed", default, "seed of the np.random.RandomState used", bounds=SEED_BOUNDS)


def standardize_param(default: bool = False) -> Param:
    """The ``standardize`` hyperparameter: scale features by the training part's mean and std
    (off by default: the lecture's data sets train on raw features)."""
    return Param("standardize", default,
                 "scale each number feature to mean 0, std 1 using the training part's "
                 "mean and std")


def permutation(rows: int, seed: int) -> np.ndarray:
    """Row order of ``np.random.seed(seed); np.random.shuffle(rows)``, without the global RNG."""
    import numpy as np

    return np.random.RandomState(seed).permutation(rows)


def split(x: np.ndarray, y: np.ndarray, test_rows: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)``: the last ``test_rows`` rows are the test part."""
    cut = len(x) - test_rows
    return x[:cut], y[:cut], x[cut:], y[cut:]


def fit_standardize(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training part's per-feature mean and (population) std, float64; the std of a
    constant feature is 1, so that standardizing only centres it."""
    import numpy as np

    train = np.asarray(x_train, dtype=np.float64)
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std[std == 0] = 1.0
    return mean, std


def apply_standardize(x: np.ndarray, mean: np.ndarray | float, std: np.ndarray | float
                      ) -> np.ndarray:
    """``(x - mean) / std`` in float64: every data set standardizes with these operations, so
    that new rows read later get the same features, bit for bit."""
    import numpy as np

    return (np.asarray(x, dtype=np.float64) - mean) / std


def preprocessing(feature_names: Sequence[str], target: dict[str, Any],
                  mean: Sequence[float] | None = None, std: Sequence[float] | None = None
                  ) -> dict[str, Any]:
    """What a data set of number features learnt, in the form ``table_rows.read_rows`` reads
    (see ``table_rows``): its columns, standardized by ``mean`` and ``std`` if given, and the
    spec of its ``target`` column (``table_target.classes_spec`` or ``regression_spec``)."""
    from nnfw_plugins.datasets import table_encode, table_rows

    if mean is None or std is None:
        columns = [table_encode.number_spec(name) for name in feature_names]
    else:
        columns = [table_encode.number_spec(name, m, s)
                   for name, m, s in zip(feature_names, mean, std, strict=True)]
    return table_rows.record(columns, target)
