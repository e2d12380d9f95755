"""Splitting a table's rows into training, validation and test parts, by the seed alone.

scikit-learn's ``train_test_split`` does the work: its stratified split gives each class its
share of a part to within one row (apportioning the rounding is subtle; a well-tested
library does it better than code of our own).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

from nnfw import NnfwWarning, UsageError

if TYPE_CHECKING:
    import numpy as np


def part_size(rows: int, fraction: float) -> int:
    """``fraction`` of ``rows``, rounded half up, at least 1 when the fraction is not 0."""
    return 0 if fraction == 0 else max(1, math.floor(rows * fraction + 0.5))


def part_sizes(path: str, rows: int, test_fraction: float, validation_fraction: float
               ) -> tuple[int, int]:
    """``(test rows, validation rows)`` for the fractions of all ``rows``, leaving at least one
    training row (else a UsageError)."""
    test_rows, val_rows = part_size(rows, test_fraction), part_size(rows, validation_fraction)
    if rows - test_rows - val_rows < 1:
        asked = f"test_fraction {test_fraction}" + (
            f" and validation_fraction {validation_fraction}" if validation_fraction else "")
        needed = " and ".join(["1 training row"] + ["1 test row"] * bool(test_rows)
                              + ["1 validation row"] * bool(val_rows))
        raise UsageError(f"{path}: {rows} data row(s) are too few for {asked}; need at least "
                         f"{needed} (add rows or lower the fractions)")
    return test_rows, val_rows


def split(path: str, rows: int, test_rows: int, val_rows: int, seed: int,
          classes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train, validation, test)`` indices of ``rows`` rows, each part shuffled by ``seed``,
    stratified by the class ids ``classes`` if given."""
    import numpy as np

    if test_rows == val_rows == 0:  # no split to shuffle the rows: shuffle them here
        return np.random.RandomState(seed).permutation(rows), np.arange(0), np.arange(0)
    rest, test = _take(path, np.arange(rows), test_rows, classes, seed, "test")
    classes = None if classes is None else classes[rest]
    train, val = _take(path, rest, val_rows, classes, seed, "validation")
    return train, val, test


def _take(path: str, rows: np.ndarray, count: int, classes: np.ndarray | None, seed: int,
          part: str) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` split into the rest and ``count`` rows for ``part``, stratified by ``classes``
    where every class has two rows and the part has room for each class."""
    from sklearn.model_selection import train_test_split

    if count == 0:
        return rows, rows[:0]
    if classes is not None and not _can_stratify(path, classes, count, part):
        classes = None
    rest, taken = train_test_split(rows, test_size=count, random_state=seed, stratify=classes)
    return rest, taken


def _can_stratify(path: str, classes: np.ndarray, count: int, part: str) -> bool:
    """Whether a stratified split of ``count`` rows is possible; a warning says why not."""
    import numpy as np

    counts = np.bincount(classes)
    counts = counts[counts > 0]
    rest = len(classes) - count
    if counts.min() >= 2 and count >= len(counts) and rest >= len(counts):
        return True
    why = (f"a class has only {counts.min()} row" if counts.min() < 2 else
           f"{len(counts)} classes do not fit in {min(count, rest)} row(s)")
    warnings.warn(f"{path}: the {part} part is not stratified ({why}); set stratify to false "
                  "to split at random without this warning", NnfwWarning, stacklevel=2)
    return False
