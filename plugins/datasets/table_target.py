"""The target column: the task, class labels and their ids, and encoding targets of new rows.

The target's spec, saved in the preprocessing under ``target``:

- ``{"name", "task": "regression"}``: the values are the targets (float32);
- ``{"name", "task": "classification", "classes", "values"?}``: class ``i`` is named
  ``classes[i]``; with ``values``, labels are numbers and class ``i`` is the label
  ``values[i]`` (``1`` and ``1.0`` are one class), else labels are the texts ``classes``.
  Ids follow the sorted labels (by value for numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nnfw import UsageError
from nnfw_plugins.datasets import table_cells
from nnfw_plugins.datasets.table_encode import listed, positions
from nnfw_plugins.datasets.table_read import Table, display, quote

if TYPE_CHECKING:
    import numpy as np

TASKS = ("auto", "classification", "regression")
MAX_AUTO_CLASSES = 20  # whole-number targets with at most this many values count as classes
REGRESSION_HINT = "regression targets must be numbers (or use task=classification)"

Spec = dict[str, Any]


def classes_spec(name: str, classes: Sequence[str], values: Sequence[float] | None = None) -> Spec:
    """The spec of a class target: its class names, and the number labels if labels are numbers."""
    spec: Spec = {"name": name, "task": "classification", "classes": [str(c) for c in classes]}
    if values is not None:
        spec["values"] = [float(value) for value in values]
    return spec


def regression_spec(name: str) -> Spec:
    """The spec of a target of values."""
    return {"name": name, "task": "regression"}


def fit_target(table: Table, name: str, task: str) -> tuple[Spec, np.ndarray]:
    """The spec of column ``name`` (``task`` "auto" decided here) and every row's target.

    Labels are numbers when every label is one (then ordered by value), else texts.
    """
    import numpy as np

    cells, where = table.cells(name), table.locator(name)
    texts = None
    if table_cells.read_numbers(cells) is None:
        texts, missing = table_cells.stripped(cells)
        _refuse_missing(cells, missing, where)
    if task == "regression" or texts is None or table_cells.all_numbers(texts) is not None:
        values = table_cells.numbers(cells, where, REGRESSION_HINT).values
        distinct = np.unique(values)
        if task == "regression" or (task == "auto" and not _looks_like_classes(distinct)):
            return regression_spec(name), values.reshape(-1, 1)
        spec = classes_spec(name, [_label_name(value) for value in distinct.tolist()],
                            distinct.tolist())
    else:
        distinct = np.unique(texts)
        spec = classes_spec(name, distinct.tolist())
    if len(distinct) < 2:
        raise UsageError(f"{table.path}, column {display(name)!r}: every row has the same class "
                         f"({quote(spec['classes'][0])}); classification needs at least 2 classes "
                         "(or use task=regression)")
    return spec, encode_target(table, spec)


def encode_target(table: Table, spec: Spec) -> np.ndarray:
    """The targets of the table's column ``spec["name"]``, encoded as the spec says: class
    ids (int64) or values (float64, one column); a label the spec does not know raises."""
    import numpy as np

    cells, where = table.cells(spec["name"]), table.locator(spec["name"])
    if spec["task"] == "regression":
        column = table_cells.numbers(cells, where, REGRESSION_HINT)
        _refuse_missing(cells, column.missing, where)
        return column.values.reshape(-1, 1)
    if "values" in spec:
        column = table_cells.numbers(cells, where, "the class labels are numbers")
        labels, known = column.values, np.asarray(spec["values"], dtype=np.float64)
    else:
        labels, missing = table_cells.stripped(cells)
        column = table_cells.Column("category", missing, cells, texts=labels)
        known = np.asarray(spec["classes"], dtype=str)
    _refuse_missing(cells, column.missing, where)
    return positions(labels, known, lambda row: (
        f"{where(row)}: {quote(_cell_text(cells, row))} is not a class of the training data; known "
        f"classes: {listed(spec['classes'])}"))


def _refuse_missing(cells: Sequence[str], missing: np.ndarray, where: Callable[[int], str]
                    ) -> None:
    """Raise for a missing target: targets are never imputed."""
    import numpy as np

    if missing.any():
        row = int(np.argmax(missing))
        shown = quote(cells[row].strip()) if cells[row].strip() else "empty"
        raise UsageError(f"{where(row)}: the target is missing ({shown}); every row needs a "
                         f"target (only feature columns may have missing values, imputed "
                         "with missing)")


def _cell_text(cells: Sequence[str] | np.ndarray, row: int) -> str:
    """A label cell as the file writes it: its text, or, where the reader's fast path read the
    column as numbers, the number as a class name (``3`` for 3.0)."""
    cell = cells[row]
    return cell.strip() if isinstance(cell, str) else _label_name(float(cell))


def _looks_like_classes(distinct: np.ndarray) -> bool:
    """True for whole numbers with at most :data:`MAX_AUTO_CLASSES` distinct values."""
    import numpy as np

    return len(distinct) <= MAX_AUTO_CLASSES and bool(np.all(np.mod(distinct, 1) == 0))


def _label_name(value: float) -> str:
    """A number label as a class name: ``3`` for 3.0, else as Python writes the float."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
