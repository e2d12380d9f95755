"""A column's text cells as numbers or categories, with its missing values marked.

Work is done a column at a time with numpy (a whole column is converted to numbers in one
call; text is classified per distinct value, not per cell), so that files of millions of
rows read in seconds. Problems are one :class:`nnfw.UsageError` line naming the cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nnfw import UsageError
from nnfw_plugins.datasets.table_read import is_number, quote

if TYPE_CHECKING:
    import numpy as np

# Cells that mean "no value", compared without case (pandas' defaults and UCI's "?").
MISSING_MARKERS = ("", "na", "n/a", "#n/a", "nan", "-nan", "null", "none", "<na>", "?")
MISSING_HELP = "empty, NA, N/A, NaN, null, None or ?"
FLOAT32_MAX = 3.4028234663852886e38  # features and targets become float32
IMPUTE_HINT = ("fill them in, drop the column, or set missing to mean, median or most-frequent "
               "to impute them")

Where = Callable[[int], str]  # row index -> "path, line N, column 'name'"


@dataclass
class Column:
    """One column's cells: ``kind`` "number" (``values``, NaN where missing) or
    "category" (``texts``, stripped); ``missing`` marks the missing cells."""

    kind: str
    missing: np.ndarray
    cells: Sequence[str]
    values: np.ndarray | None = None
    texts: np.ndarray | None = None


def column(cells: Sequence[str], where: Where, category: bool = False) -> Column:
    """The cells as numbers, or as categories when ``category`` or when no cell is a number.

    A column mixing numbers and text raises, naming the first cell of the rarer kind.
    """
    import numpy as np

    if not category and (values := all_numbers(cells)) is not None:
        return _number_column(values, cells, where)
    texts, missing = stripped(cells)
    if category:
        return Column("category", missing, cells, texts=texts)
    values, text = _some_numbers(texts, missing)
    if not text.any():
        return _number_column(values, cells, where)
    numeric = ~text & ~missing
    if not numeric.any():
        _refuse_decimal_commas(texts, missing, where)
        return Column("category", missing, cells, texts=texts)
    if np.count_nonzero(text) <= np.count_nonzero(numeric):
        row = int(np.argmax(text))
        raise UsageError(f"{where(row)}: {quote(str(texts[row]))} is not a number; feature "
                         "columns must hold numbers, or text in every row (a categorical "
                         "column: list it in categorical to treat every value as a category)")
    row = int(np.argmax(numeric))
    raise UsageError(f"{where(row)}: {quote(str(texts[row]))} is a number in a column of text; "
                     "list the column in categorical to treat every value as a category")


def numbers(cells: Sequence[str], where: Where, hint: str) -> Column:
    """The cells as a number column; a cell of text raises, the message ending with ``hint``."""
    import numpy as np

    values = all_numbers(cells)
    if values is None:
        texts, missing = stripped(cells)
        values, text = _some_numbers(texts, missing)
        if text.any():
            row = int(np.argmax(text))
            raise UsageError(f"{where(row)}: {quote(str(texts[row]))} is not a number; {hint}")
    return _number_column(values, cells, where)


def all_numbers(cells: Sequence[str]) -> np.ndarray | None:
    """The cells as float64 in one call (NaN for "nan"), or None when one is not a number."""
    import numpy as np

    try:
        return np.asarray(cells, dtype=np.float64)
    except ValueError:
        return None


def read_numbers(cells: Sequence[str] | np.ndarray) -> np.ndarray | None:
    """The column as float64 when the reader's fast path already read it as numbers
    (finite, none missing), else None (text cells)."""
    import numpy as np

    return cells if isinstance(cells, np.ndarray) and cells.dtype.kind == "f" else None


def _some_numbers(texts: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values, text)``: the cells' numbers (NaN where missing or text) and which cells are
    text; each distinct cell is judged once, so a column of few categories costs little."""
    import numpy as np

    distinct, inverse = np.unique(texts, return_inverse=True)
    numeric = np.array([is_number(text) for text in distinct.tolist()], dtype=bool)[inverse]
    numeric &= ~missing
    values = np.full(len(texts), np.nan)
    values[numeric] = texts[numeric].astype(np.float64)
    return values, ~numeric & ~missing


def stripped(cells: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The cells without surrounding spaces (a str array), and which of them are missing."""
    import numpy as np

    texts = np.char.strip(np.asarray(cells, dtype=str))
    return texts, np.isin(np.char.lower(texts), MISSING_MARKERS)


def refuse_missing(data: Column, where: Where) -> None:
    """Raise, naming the first missing cell and how many there are, if any is missing."""
    import numpy as np

    count = int(np.count_nonzero(data.missing))
    if count:
        row = int(np.argmax(data.missing))
        more = f" (and {count - 1} more in this column)" if count > 1 else ""
        raise UsageError(f"{where(row)}: {missing_text(data.cells[row])}{more}; missing values "
                         f"are refused (missing=refuse): {IMPUTE_HINT}")


def missing_text(cell: str) -> str:
    """How a message describes one missing cell."""
    shown = cell.strip()
    return "the value is empty, a missing value" if not shown else \
        f"{quote(shown)} is a missing value"


def _refuse_decimal_commas(texts: np.ndarray, missing: np.ndarray, where: Where) -> None:
    """Raise when every value of a text column is a number written with a decimal comma
    (``1,5``): one-hot encoding them would silently turn numbers into categories."""
    import numpy as np

    distinct = np.unique(texts[~missing]).tolist()
    if distinct and all("," in text and is_number(text.replace(",", ".", 1)) for text in distinct):
        row = int(np.argmax(~missing))
        raise UsageError(f"{where(row)}: {quote(str(texts[row]))} is a number written with a "
                         "decimal comma; numbers need a decimal point (convert the file), or list "
                         "the column in categorical to treat its values as categories")


def _number_column(values: np.ndarray, cells: Sequence[str], where: Where) -> Column:
    """A number column, after checking every value is finite and fits float32; NaN cells
    (written as a missing marker, or "nan") are its missing values."""
    import numpy as np

    bad = np.isinf(values) | (np.abs(values) > FLOAT32_MAX)
    if bad.any():
        row = int(np.argmax(bad))
        text = quote(cells[row].strip())
        if np.isinf(values[row]):
            raise UsageError(f"{where(row)}: {text} is not a finite number; NaN and infinite values "
                             f"are not accepted as numbers (a missing value is {MISSING_HELP})")
        raise UsageError(f"{where(row)}: {text} is too large; values are float32, within "
                         f"±{FLOAT32_MAX:.7g}")
    return Column("number", np.isnan(values), cells, values=values)
