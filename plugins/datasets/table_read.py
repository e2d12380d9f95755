"""Reading a CSV file into a table of text cells: separator, header, index column, shape.

The standard ``csv`` module reads the cells (quoting, quoted separators and line breaks are
its job, done in C); ``csv.Sniffer`` guesses the separator from the first lines. Nothing
here interprets a cell: that is :mod:`table_cells`, except for the fast path of a file of
numbers only (:func:`_number_table`), which numpy's parser reads straight into float64
columns: the same values as the cells' conversion, in about a quarter of the time and
memory. Every problem is one :class:`nnfw.UsageError` line naming the file and, where it
applies, the line.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nnfw import UsageError, read_data_text

if TYPE_CHECKING:
    import numpy as np

# What the ``separator`` parameter accepts, and the character each choice means.
SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
SEPARATOR_CHOICES = ("auto", *SEPARATORS)
SNIFF_LINES = 50  # the separator is guessed from this many lines at the start
FINITE_MAX = 3.4028234663852886e38  # the fast path takes finite numbers within float32's range
LINES_PER_BLOCK = 50_000  # the fast path hands numpy's parser the text in blocks of lines
MAX_SHOWN_CELL = 40  # longer cells are not quoted in messages


@dataclass
class Table:
    """A CSV file's data rows as text cells, one tuple of cells per column.

    ``path`` is the file as messages show it, ``header`` the column names (a pandas
    index column left out), ``lines`` the file's line number of each data row.
    """

    path: str
    header: list[str]
    columns: list[Sequence[str] | np.ndarray]  # text cells, or float64 numbers (fast path)
    lines: Sequence[int]
    separator: str
    index_column: bool = False
    _positions: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._positions = {name: i for i, name in enumerate(self.header)}

    @property
    def rows(self) -> int:
        """How many data rows the file has."""
        return len(self.lines)

    def cells(self, name: str) -> tuple[str, ...]:
        """The cells of column ``name``, as the file has them (not stripped)."""
        return self.columns[self._positions[name]]

    def where(self, row: int, name: str) -> str:
        """How a message names one cell: ``path, line N, column 'name'``."""
        return f"{self.path}, line {self.lines[row]}, column {display(name)!r}"

    def locator(self, name: str) -> Callable[[int], str]:
        """:meth:`where` for column ``name``: row index -> how a message names the cell."""
        return functools.partial(self.where, name=name)


def read_table(path: str, separator: str = "auto", header: bool = True,
               min_columns: int = 2, numbers: bool = False) -> Table:
    """Read ``path`` as a table of at least ``min_columns`` columns and one data row.

    ``separator`` is ``auto`` (guessed) or a key of :data:`SEPARATORS`; with ``header``
    False the columns are named ``c1``, ``c2``, ... and every line is data. With
    ``numbers`` (every column will be read as numbers, none as categories), a file of
    finite numbers only comes back as float64 columns; any other file as text cells.
    """
    if not path.strip():
        raise UsageError("dataset 'csv': path is empty; give the path of a CSV file")
    shown = display(path)
    text = read_data_text(Path(path).expanduser(), shown)
    char = guess_separator(text) if separator == "auto" else SEPARATORS[separator]
    if numbers and (table := _number_table(shown, text, char, header, min_columns)):
        return table
    lines, rows = _parse(shown, text, char)
    if not rows:
        raise UsageError(f"{shown}: the file is empty; expected a header line naming the columns, "
                         "then one row per example")
    if header:
        names, lines, rows = [cell.strip() for cell in rows[0]], lines[1:], rows[1:]
    else:
        names = [f"c{i}" for i in range(1, len(rows[0]) + 1)]
    _check_shape(shown, names, lines, rows, char)
    index = int(header and len(names) > 1 and not names[0])  # pandas' to_csv() writes one
    check_header(shown, names[index:], char, min_columns, first=1 + index)
    columns = list(zip(*rows, strict=True))[index:]
    return Table(shown, names[index:], columns, lines, char, index_column=bool(index))


def _number_table(path: str, text: str, separator: str, header: bool,
                  min_columns: int) -> Table | None:
    """The table of a file of numbers only, read by numpy's parser, or None for any other
    file (quotes, blank lines, text or missing cells, non-finite values or rows of other
    widths), which the cell by cell reader then reads and explains."""
    import numpy as np

    first = text[:text.find("\n")] if "\n" in text else text
    if '"' in text or "\n\n" in text or "\n\r\n" in text or not first.strip():
        return None
    try:
        names = next(csv.reader([first], delimiter=separator))
    except csv.Error:  # a line break of another kind inside it: the cell reader explains it
        return None
    names = [name.strip() for name in names] if header else \
        [f"c{i}" for i in range(1, len(names) + 1)]
    physical = text.count("\n") + (not text.endswith("\n"))
    if physical <= header:
        return None
    try:
        values = np.loadtxt(_line_blocks(text), delimiter=separator, skiprows=int(header),
                            dtype=np.float64, comments=None, ndmin=2)
    except ValueError:
        return None
    rows = len(values)
    # NaN (a "nan" cell: missing) and infinities fail too; two passes, no temporary copy
    finite = values.size and max(values.max(), -values.min()) <= FINITE_MAX
    if rows + header != physical or values.shape[1] != len(names) or not finite:
        return None
    index = int(header and len(names) > 1 and not names[0])  # pandas' to_csv() writes one
    check_header(path, names[index:], separator, min_columns, first=1 + index)
    return Table(path, names[index:], list(values.T[index:]),
                 range(1 + header, rows + 1 + header), separator, index_column=bool(index))


def _line_blocks(text: str) -> Iterator[str]:
    """The lines of ``text``, cut from it a block at a time (never all at once as a list)."""
    start = 0
    while start < len(text):
        end = start
        for _ in range(LINES_PER_BLOCK):
            end = text.find("\n", end) + 1
            if not end:
                end = len(text)
                break
        yield from text[start:end].splitlines()
        start = end


def guess_separator(text: str) -> str:
    """The separator of ``text``: the Sniffer's guess among :data:`SEPARATORS`, unless that
    splits the first line into fewer columns than another would (then the other)."""
    sample = "\n".join(line for line in text[:1 << 16].splitlines()[:SNIFF_LINES] if line.strip())
    choices = list(SEPARATORS.values())
    try:
        guess = csv.Sniffer().sniff(sample, delimiters="".join(choices)).delimiter
    except csv.Error:  # no separator is used consistently: judge by the header alone
        guess = ","
    first = sample.split("\n", 1)[0]
    widths = {char: len(next(csv.reader([first], delimiter=char), [])) for char in choices}
    best = max(choices, key=lambda char: widths[char])  # the first of equals: "," before others
    return guess if widths.get(guess, 0) >= widths[best] else best


def _parse(path: str, text: str, separator: str) -> tuple[list[int], list[list[str]]]:
    """The non-blank rows of ``text`` with the line number each ends on."""
    lines: list[int] = []
    rows: list[list[str]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        for cells in reader:
            if "".join(cells).strip():  # a blank line, or one of empty cells only, is no row
                lines.append(reader.line_num)
                rows.append(cells)
    except csv.Error as error:
        raise UsageError(f"{path}: not a readable CSV file ({error}); expected "
                         f"{separator_name(separator)}-separated text") from None
    return lines, rows


def _check_shape(path: str, names: list[str], lines: list[int], rows: list[list[str]],
                 separator: str) -> None:
    """Raise unless there are data rows and each has one cell per column."""
    if not rows:
        raise UsageError(f"{path}: the file has a header but no data rows; "
                         "expected one row per example after the header")
    widths = list(map(len, rows))
    if widths.count(len(names)) != len(widths):
        row = next(i for i, width in enumerate(widths) if width != len(names))
        raise UsageError(f"{path}, line {lines[row]}: {widths[row]} values, but the header names "
                         f"{len(names)} columns; every row needs one value per column "
                         f"(separator {separator_name(separator)})")


def check_header(path: str, names: list[str], separator: str, min_columns: int,
                 first: int = 1) -> None:
    """Raise unless ``names`` are at least ``min_columns`` distinct names, not all numbers
    (``first``: the position of the first name in the file's line, for messages)."""
    if all(is_number(name) for name in names):
        raise UsageError(f"{path}: the first line holds numbers, not column names; the first "
                         "line must be a header naming the columns, e.g. 'x1,x2,label' "
                         "(or set header to false)")
    if len(names) < min_columns:
        raise UsageError(f"{path}: the file has one column, split by "
                         f"{separator_name(separator)}; need feature columns and a target "
                         "column (if the file uses another separator, set separator to "
                         "comma, semicolon, tab or pipe)")
    seen: set[str] = set()
    for position, name in enumerate(names, start=first):
        if not name:
            raise UsageError(f"{path}: column {position} has no name in the header line; every "
                             "column needs a name (only a first, index column may have none)")
        if name in seen:
            raise UsageError(f"{path}: the header names column {display(name)!r} twice; "
                             "column names must be unique")
        seen.add(name)


def separator_name(separator: str) -> str:
    """A separator as messages name it: ``','``, ``';'``, ``tab``."""
    return "tab" if separator == "\t" else repr(separator)


def is_number(text: str) -> bool:
    """True when ``text`` is written as a number (as Python's ``float`` reads it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def display(text: str) -> str:
    """A path or name as messages show it: as it is, or quoted if it holds a newline or the like."""
    return text if text.isprintable() else repr(text)


def quote(text: str) -> str:
    """A cell as messages show it: quoted if short and printable, else only its length
    (a message never carries a long stretch of a file: it may not be a CSV file at all)."""
    if len(text) <= MAX_SHOWN_CELL and text.isprintable():
        return repr(text)
    return f"a value of {len(text)} characters"
