"""Reading new rows (``nnfw predict``, ``nnfw evaluate``) as a data set made its own.

Every built-in data set records its ``preprocessing`` in one layout::

    {"format": 1,
     "columns": [spec, ...],    # the feature columns, in order (see table_encode)
     "target": spec,            # the target column (see table_target)
     "missing": "refuse" | "mean" | "median" | "most-frequent"}

and registers :func:`read_rows`, which reads a CSV file by that record alone: columns are
found by name (in any order; others, such as those training dropped, are left out), and
encoded by the same functions that made the data set's features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nnfw import UsageError
from nnfw.plugin.suggest import closest
from nnfw_plugins.datasets import table_cells, table_encode, table_read, table_target

if TYPE_CHECKING:
    import numpy as np

FORMAT = 1  # the version of the preprocessing's layout


def record(columns: list[dict[str, Any]], target: dict[str, Any], missing: str = "refuse"
           ) -> dict[str, Any]:
    """The preprocessing of a data set in the layout :func:`read_rows` reads."""
    return {"format": FORMAT, "columns": columns, "target": target, "missing": missing}


def read_rows(path: str, preprocessing: dict[str, Any], /, separator: str = "auto",
              header: bool = True, **_params: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """``(x, y)`` of the CSV file ``path``: float32 features encoded by ``preprocessing``,
    and the targets (class ids or float32 values), or None when the file has no target column.

    ``separator`` and ``header`` are the data set's hyperparameters of those names (the
    lecture's data sets have none: a guessed separator and a header line); the others
    (the csv data set's own ``path`` among them: ``path`` here is positional only) are not
    needed, what they decided is in ``preprocessing``.
    """
    import numpy as np

    specs, target = preprocessing["columns"], preprocessing["target"]
    numbers = all(spec["kind"] == "number" for spec in specs) and (
        target["task"] == "regression" or "values" in target)
    table = table_read.read_table(path, separator, header, min_columns=1, numbers=numbers)
    x = table_encode.transform(feature_columns(table, specs), specs, table.locator)
    if target["name"] not in table.header:
        return x, None
    y = table_target.encode_target(table, target)
    if target["task"] == "classification":
        return x, y.astype(np.int32)
    return x, y.astype(np.float32)


def feature_columns(table: table_read.Table, specs: list[dict[str, Any]]
                    ) -> list[table_cells.Column]:
    """The table's feature columns, read as the specs' kinds; a column the table lacks raises."""
    columns = []
    for spec in specs:
        name = spec["name"]
        if name not in table.header:
            raise UsageError(missing_column(table, name, [s["name"] for s in specs]))
        cells, where = table.cells(name), table.locator(name)
        if spec["kind"] == "number":
            columns.append(table_cells.numbers(cells, where, "the column held numbers in the "
                                               "training data"))
        else:
            columns.append(table_cells.column(cells, where, category=True))
    return columns


def missing_column(table: table_read.Table, name: str, features: list[str]) -> str:
    """The message for a feature column the file does not have."""
    guess = closest(name, table.header)
    hint = f" (did you mean {table_read.display(guess)!r}?)" if guess else ""
    return (f"{table.path}: no column {table_read.display(name)!r}{hint}; the data set's feature "
            f"columns are {table_encode.listed(features)}; the file has "
            f"{table_encode.listed(table.header)}")
