"""The data set type that dataset plugins return."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from nnfw.errors import UsageError
from nnfw.plugin.exception_line import message_line

if TYPE_CHECKING:
    import numpy as np

Task = Literal["classification", "regression"]
MAX_CLASSES = 2**31 - 1  # class ids are int32


@dataclass(eq=False)
class Dataset:
    """A data set split into train and test parts, as numpy arrays.

    Features are float32 arrays of shape (rows, features). For classification,
    targets are integer class ids of shape (rows,), ``num_classes`` says how
    many and ``class_names`` may name them in id order; for regression, targets
    are float32 arrays of shape (rows, outputs). The test part may have no
    rows. Construction checks shapes and values.

    Optional: a validation part (``x_val``, ``y_val``; None or no rows for none),
    which training evaluates every epoch for early stopping and the choice of the best
    weights; ``preprocessing``, what the data set learnt from its training rows to turn
    raw rows into features (JSON-able: column encodings, means and stds, ...), saved with
    every run so that the data set's ``read_rows`` can turn new rows into the same
    features; ``input_shape``, the shape of one example when the feature columns are
    a flattened image or sequence (empty: a plain row of features).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: Task
    num_classes: int = 0
    feature_names: tuple[str, ...] = ()
    name: str = "data"
    class_names: tuple[str, ...] = ()
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    preprocessing: dict[str, Any] = field(default_factory=dict)
    input_shape: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', not {self.task!r}")
        self.x_train = _features(self.x_train, f"{self.name}: training features")
        width = self.x_train.shape[1]
        self.x_test = _features(self.x_test, f"{self.name}: test features", width)
        if self.x_val is None and self.y_val is None:
            self.x_val, self.y_val = self.x_train[:0], self.y_train[:0]
        self.x_val = _features(self.x_val, f"{self.name}: validation features", width)
        if self.task == "classification":
            self.y_train = _labels(self.y_train, self.num_classes, f"{self.name}: training labels")
            self.y_test = _labels(self.y_test, self.num_classes, f"{self.name}: test labels")
            self.y_val = _labels(self.y_val, self.num_classes, f"{self.name}: validation labels")
        else:
            self.y_train = _targets(self.y_train, f"{self.name}: training targets")
            outputs = self.y_train.shape[1]
            self.y_test = _targets(self.y_test, f"{self.name}: test targets", outputs)
            self.y_val = _targets(self.y_val, f"{self.name}: validation targets", outputs)
        parts = (("training", self.x_train, self.y_train), ("test", self.x_test, self.y_test),
                 ("validation", self.x_val, self.y_val))
        for part, x, y in parts:
            if len(x) != len(y):
                raise UsageError(f"{self.name}: {part} part has {len(x)} feature rows but {len(y)} targets")
        if len(self.x_train) == 0:
            raise UsageError(f"{self.name}: the training part has no rows")
        if self.class_names and len(self.class_names) != self.num_classes:
            raise UsageError(f"{self.name}: {len(self.class_names)} class names for "
                             f"{self.num_classes} classes")
        if not self.feature_names:
            self.feature_names = tuple(f"x{i + 1}" for i in range(width))
        try:
            json.dumps(self.preprocessing, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{self.name}: preprocessing is not JSON-able ({exc})") from None
        self.input_shape = tuple(self.input_shape) or (width,)
        if math.prod(self.input_shape) != width:
            raise UsageError(f"{self.name}: input_shape {self.input_shape} holds "
                             f"{math.prod(self.input_shape)} values, but rows have {width} features")

    def __eq__(self, other: object) -> bool:
        """Equal when every array is equal (same shape, dtype and values) and so is the rest."""
        import numpy as np

        if not isinstance(other, Dataset):
            return NotImplemented
        arrays = ("x_train", "y_train", "x_test", "y_test", "x_val", "y_val")
        rest = ("task", "num_classes", "feature_names", "name", "class_names", "preprocessing",
                "input_shape")
        return (all(np.array_equal(getattr(self, a), getattr(other, a)) and
                    getattr(self, a).dtype == getattr(other, a).dtype for a in arrays)
                and all(getattr(self, a) == getattr(other, a) for a in rest))

    @property
    def num_features(self) -> int:
        """How many input features each row has."""
        return int(self.x_train.shape[1])


def _features(x: object, what: str, width: int | None = None) -> np.ndarray:
    import numpy as np

    array = _float32(x, what)
    if array.ndim == 1 and width is not None and array.size == 0:
        array = array.reshape(0, width)
    if array.ndim != 2:
        raise UsageError(f"{what}: expected a table (rows, features), got shape {array.shape}")
    if width is None and array.shape[1] == 0:
        raise UsageError(f"{what}: no columns; expected at least 1 per row")
    if width is not None and array.shape[1] != width:
        raise UsageError(f"{what}: {array.shape[1]} columns, the training part has {width}")
    if not np.all(np.isfinite(array)):
        raise UsageError(f"{what}: contains NaN, infinite values or values beyond float32's "
                         "range (about 3.4e38); expected finite numbers")
    return array


def _float32(x: object, what: str) -> np.ndarray:
    """``x`` as a float32 array; what cannot be one is a UsageError (too large: infinite)."""
    import numpy as np

    try:
        with np.errstate(over="ignore"):  # too large for float32: inf, reported by the caller
            return np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        detail = message_line(exc) or type(exc).__name__
        raise UsageError(f"{what}: not a table of numbers ({detail})") from None


def _labels(y: object, num_classes: int, what: str) -> np.ndarray:
    import numpy as np

    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer) or not (
            2 <= num_classes <= MAX_CLASSES):
        raise UsageError(f"{what}: classification needs a whole number of classes in "
                         f"2..{MAX_CLASSES}, got num_classes={num_classes!r}")
    expected = f"{what}: expected whole-number class ids in 0..{num_classes - 1} of shape (rows,)"
    try:
        array = np.asarray(y)
    except ValueError:  # ragged
        raise UsageError(expected) from None
    if array.ndim != 1 or not (array.dtype.kind in "biu" or (
            array.dtype.kind == "f" and np.all(np.isfinite(array)) and
            np.all(np.equal(np.mod(array, 1), 0)))):
        raise UsageError(expected)
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise UsageError(f"{what}: class ids must lie in 0..{num_classes - 1}")
    return array.astype(np.int32)


def _targets(y: object, what: str, width: int | None = None) -> np.ndarray:
    array = _float32(y, what)
    if array.ndim == 1:
        array = array.reshape(-1, width or 1)
    return _features(array, what, width)
