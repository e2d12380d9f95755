"""A user's CSV file: a header line naming the columns, then one example per row.

Every problem with the file is a one-line :class:`nnfw.UsageError` naming the file
(and the line and column where it applies) and what is accepted.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from nnfw import Dataset, Param, UsageError, hookimpl, read_data_text, unknown_name_message
from nnfw_plugins.datasets import prepare

if TYPE_CHECKING:
    import numpy as np

TASKS = ("auto", "classification", "regression")
MAX_AUTO_CLASSES = 20  # whole-number targets with at most this many values count as classes
FLOAT32_MAX = 3.4028234663852886e38  # features and targets become float32
MAX_SHOWN_CELL = 40  # longer cells are not quoted in messages

Row = tuple[int, list[str]]  # (line number in the file, stripped cells)


@hookimpl
def register_datasets(register):
    """Register ``csv``."""
    register("csv", build,
             description="Your own CSV file: a header line, numeric features, one target column.",
             params=[
                 Param("path", None, "the CSV file to read", type=str, file=True),
                 Param("target", "", "name of the label/target column (empty: the last column)"),
                 Param("task", "auto", "auto: classification when the target has text, or "
                       f"only whole numbers with at most {MAX_AUTO_CLASSES} distinct values",
                       choices=TASKS),
                 Param("test_fraction", 0.2, "share of the rows kept for testing",
                       bounds="[0, 1)"),
                 prepare.seed_param(0),
                 prepare.standardize_param(),
             ])


def build(path: str, target: str = "", task: str = "auto", test_fraction: float = 0.2,
          seed: int = 0, standardize: bool = False) -> Dataset:
    """Read ``path``, shuffle its rows with ``seed`` and split off ``test_fraction`` for testing.

    Text class labels (and numeric ones) become ids 0, 1, ... in sorted order.
    """
    header, rows = read_table(path)
    shown = display(path)
    test_rows = split_size(shown, len(rows), test_fraction)
    column = target_column(shown, header, target)
    feature_names = tuple(name for i, name in enumerate(header) if i != column)
    x = feature_matrix(shown, header, rows, column)
    task, y, num_classes = encode_target(shown, header[column], [(n, r[column]) for n, r in rows],
                                         task)
    order = prepare.permutation(len(rows), seed)
    x_train, y_train, x_test, y_test = prepare.split(x[order], y[order], test_rows)
    if standardize:
        x_train, x_test = prepare.standardize(x_train, x_test)
    return Dataset(x_train, y_train, x_test, y_test, task=task,
                   num_classes=num_classes, feature_names=feature_names,
                   name=display(Path(path).name))


def read_table(path: str) -> tuple[list[str], list[Row]]:
    """The header's column names and the data rows, checked to form a table."""
    lines = _read_rows(path)
    shown = display(path)
    if not lines:
        raise UsageError(f"{shown}: the file is empty; expected a header line naming the columns, "
                         "then one comma-separated row per example")
    (_, header), rows = lines[0], lines[1:]
    _check_header(shown, header)
    if not rows:
        raise UsageError(f"{shown}: the file has a header but no data rows; "
                         "expected one comma-separated row per example after the header")
    for line, cells in rows:
        if len(cells) != len(header):
            raise UsageError(f"{shown}, line {line}: {len(cells)} values, but the header names "
                             f"{len(header)} columns; every row needs one value per column")
    return header, rows


def _read_rows(path: str) -> list[Row]:
    """Every non-blank row of the file with its line number, cells stripped of spaces."""
    if not path.strip():
        raise UsageError("dataset 'csv': path is empty; give the path of a CSV file")
    shown = display(path)
    text = read_data_text(Path(path).expanduser(), shown)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = [(reader.line_num, [cell.strip() for cell in cells]) for cells in reader]
    except csv.Error as error:
        raise UsageError(f"{shown}: not a readable CSV file ({error}); "
                         "expected comma-separated text") from None
    return [(line, cells) for line, cells in rows if any(cells)]


def display(text: str) -> str:
    """A path or name as messages show it: as it is, or quoted if it holds a newline or the like."""
    return text if text.isprintable() else repr(text)


def _check_header(path: str, header: list[str]) -> None:
    """Raise unless ``header`` names two or more distinct columns (not numbers)."""
    if all(_number(cell) is not None for cell in header):
        raise UsageError(f"{path}: the first line holds numbers, not column "
                         "names; the first line must be a header naming the columns, "
                         "e.g. 'x1,x2,label'")
    if len(header) < 2:
        raise UsageError(f"{path}: the header names one column; need feature "
                         "columns and a target column, separated by commas")
    seen: set[str] = set()
    for index, name in enumerate(header, start=1):
        if not name:
            raise UsageError(f"{path}: column {index} has no name in the header line; "
                             "every column needs a name")
        if name in seen:
            raise UsageError(f"{path}: the header names column {name!r} twice; "
                             "column names must be unique")
        seen.add(name)


def target_column(path: str, header: list[str], target: str) -> int:
    """Index of the target column: the one named ``target``, or the last one for ``""``."""
    if not target:
        return len(header) - 1
    if target not in header:
        raise UsageError(unknown_name_message(f"{path}: no column", target,
                                              [display(name) for name in header]))
    return header.index(target)


def feature_matrix(path: str, header: list[str], rows: list[Row], column: int) -> np.ndarray:
    """The feature columns (all but ``column``) as a float64 array, every value checked."""
    import numpy as np

    features = [i for i in range(len(header)) if i != column]
    values = [[_feature(path, line, header[i], cells[i]) for i in features]
              for line, cells in rows]
    return np.array(values, dtype=np.float64).reshape(len(rows), len(features))


def encode_target(path: str, name: str, cells: list[tuple[int, str]], task: str
                  ) -> tuple[str, np.ndarray, int]:
    """``(task, y, num_classes)`` for the target column; ``task`` "auto" is decided here."""
    import numpy as np

    numbers = [_cell(f"{path}, line {line}, column {name!r}", text)
               for line, text in cells]
    if task == "auto":
        task = "classification" if _looks_like_classes(numbers) else "regression"
    if task == "regression":
        for (line, text), number in zip(cells, numbers, strict=True):
            if number is None:
                raise UsageError(f"{path}, line {line}, column {name!r}: {_quote(text)} is not a "
                                 "number; regression targets must be numbers "
                                 "(or use task=classification)")
        return task, np.array(numbers, dtype=np.float64).reshape(-1, 1), 0
    numeric = None not in numbers
    labels: list = numbers if numeric else [text for _, text in cells]
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise UsageError(f"{path}, column {name!r}: every row has the same class "
                         f"({_quote(cells[0][1])}); classification needs at least 2 classes "
                         "(or use task=regression)")
    ids = {label: index for index, label in enumerate(classes)}
    return task, np.array([ids[label] for label in labels], dtype=np.int64), len(classes)


def _looks_like_classes(numbers: list[float | None]) -> bool:
    """True for text labels, or whole numbers with at most MAX_AUTO_CLASSES distinct values."""
    if None in numbers:
        return True
    whole = all(number is not None and number.is_integer() for number in numbers)
    return whole and len(set(numbers)) <= MAX_AUTO_CLASSES


def split_size(path: str, rows: int, test_fraction: float) -> int:
    """How many rows to test on: ``test_fraction`` of ``rows``, rounded, at least 1 if > 0."""
    if test_fraction == 0:
        return 0
    test_rows = max(1, math.floor(rows * test_fraction + 0.5))
    if rows - test_rows < 1:
        raise UsageError(f"{path}: {rows} data row(s) are too few for test_fraction "
                         f"{test_fraction}; need at least 1 training row and 1 test row "
                         "(add rows or lower test_fraction)")
    return test_rows


def _feature(path: str, line: int, name: str, text: str) -> float:
    """A feature cell as a finite float; text raises a UsageError naming file, line and column."""
    where = f"{path}, line {line}, column {name!r}"
    number = _cell(where, text)
    if number is None:
        raise UsageError(f"{where}: {_quote(text)} is not a number; feature columns must hold numbers "
                         "(only the target column may hold text labels)")
    return number


def _cell(where: str, text: str) -> float | None:
    """A cell as a finite float, or None for text; an empty, NaN or infinite cell raises."""
    if not text:
        raise UsageError(f"{where}: the value is empty; every row needs a value in every column")
    number = _number(text)
    if number is not None and not math.isfinite(number):
        raise UsageError(f"{where}: {_quote(text)} is not a finite number; "
                         "NaN and infinite values are not accepted")
    if number is not None and abs(number) > FLOAT32_MAX:
        raise UsageError(f"{where}: {_quote(text)} is too large; values are float32, "
                         f"within ±{FLOAT32_MAX:.7g}")
    return number


def _number(text: str) -> float | None:
    """``text`` as a float, or None when it is not written as a number."""
    if not text or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _quote(text: str) -> str:
    """A cell as messages show it: quoted if short and printable, else only its length
    (a message never carries a long stretch of a file: it may not be a CSV file at all)."""
    if len(text) <= MAX_SHOWN_CELL and text.isprintable():
        return repr(text)
    return f"a value of {len(text)} characters"
