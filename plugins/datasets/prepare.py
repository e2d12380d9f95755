"""Steps the data set plugins share: seeded shuffling, the train/test split, standardizing.

numpy is imported inside each function, so importing a data set plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnfw import Param

if TYPE_CHECKING:
    import numpy as np

# np.random.RandomState accepts seeds 0 <= seed < 2**32.
SEED_BOUNDS = "[0, 4294967295]"


def seed_param(default: int) -> Param:
    """The ``seed`` hyperparameter of a generated or shuffled data set."""
    return Param("seed", default, "seed of the np.random.RandomState used", bounds=SEED_BOUNDS)


def standardize_param() -> Param:
    """The ``standardize`` hyperparameter: scale features by the training part's mean and std."""
    return Param("standardize", False,
                 "scale each feature to mean 0, std 1 using the training part's mean and std")


def permutation(rows: int, seed: int) -> np.ndarray:
    """Row order of ``np.random.seed(seed); np.random.shuffle(rows)``, without the global RNG."""
    import numpy as np

    return np.random.RandomState(seed).permutation(rows)


def split(x: np.ndarray, y: np.ndarray, test_rows: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)``: the last ``test_rows`` rows are the test part."""
    cut = len(x) - test_rows
    return x[:cut], y[:cut], x[cut:], y[cut:]


def standardize(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both parts scaled by the training part's per-feature mean and (population) std.

    A constant feature (std 0) is only centred, not divided.
    """
    import numpy as np

    train = np.asarray(x_train, dtype=np.float64)
    test = np.asarray(x_test, dtype=np.float64)
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std[std == 0] = 1.0
    return (train - mean) / std, (test - mean) / std
