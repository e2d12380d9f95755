"""CSV files for the csv data set's tests: scikit-learn's bundled sets and a messy file.

Numbers are written with ``repr``, so that reading a file gives back the very float64
values written. Nothing is downloaded: the four sets ship with scikit-learn.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SKLEARN_SETS = ("wine", "breast_cancer", "digits", "diabetes")
REGIONS = ("north", "south", "east")


def write_table(path: Path, header: list[str], rows: list[list[object]], separator: str = ","
                ) -> Path:
    """Write ``rows`` under ``header`` as CSV (floats as ``repr``); return ``path``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=separator, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[repr(v) if isinstance(v, float) else v for v in row] for row in rows])
    return path


def sklearn_set(name: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str] | None]:
    """``(x, y, feature names, class names or None)`` of a bundled scikit-learn set."""
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")()
    names = [str(n) for n in getattr(bunch, "target_names", [])] if name != "diabetes" else None
    return bunch.data, bunch.target, [str(n) for n in bunch.feature_names], names


def write_sklearn_set(folder: Path, name: str) -> Path:
    """``folder/NAME.csv``: the set's features, then a ``target`` column; breast cancer's
    labels are its class names (text), the others' are numbers as scikit-learn has them."""
    x, y, features, classes = sklearn_set(name)
    labels: list[object] = ([classes[int(t)] for t in y] if name == "breast_cancer" else
                            [float(t) for t in y] if name == "diabetes" else [int(t) for t in y])
    rows = [[*map(float, row), label] for row, label in zip(x.tolist(), labels, strict=True)]
    return write_table(folder / f"{name}.csv", [*features, "target"], rows)


@dataclass
class Messy:
    """What :func:`write_messy` wrote: the file and its columns (None: a missing value)."""

    path: Path
    ids: list[int]
    regions: list[str | None]
    ages: list[float | None]
    incomes: list[int]
    labels: list[str]


def write_messy(folder: Path, rows: int = 90, seed: int = 0) -> Messy:
    """``folder/customers.csv`` as pandas' ``to_csv(sep=";")`` writes it: an index column with
    no name, an ``id``, a text ``region``, ``age`` with missing values written as NA, empty
    or ?, a whole-number ``income`` (unique: it identifies a row) and string labels."""
    rng = np.random.default_rng(seed)
    regions: list[str | None] = [REGIONS[i] for i in rng.integers(0, 3, rows)]
    ages: list[float | None] = [float(a) for a in rng.integers(18, 80, rows)]
    incomes = (rng.permutation(rows) * 37 + 20000).tolist()
    age_markers = {3: "NA", 17: "", 40: "?"}  # rows whose age is missing, as written
    for row in age_markers:
        ages[row] = None
    regions[25] = None  # written as an empty cell
    score = [(a or 50) / 80 + (r == "north") - income / 25000
             for a, r, income in zip(ages, regions, incomes, strict=True)]
    labels = ["buys" if s > float(np.median(score)) else "leaves" for s in score]
    table = [[i, 1000 + i, regions[i] or "", age_markers.get(i, ages[i]), incomes[i], labels[i]]
             for i in range(rows)]
    path = write_table(folder / "customers.csv", ["", "id", "region", "age", "income", "label"],
                       table, separator=";")
    return Messy(path, [1000 + i for i in range(rows)], regions, ages, incomes, labels)


def write_exact_numbers(folder: Path, rows: int = 200, columns: int = 4, seed: int = 1) -> Path:
    """``folder/exact.csv``: multiples of 1/8 (exact in float32, so float32 features are the
    file's values) of columns of different scales, and labels 0/1/2."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(rows, columns)) * np.arange(1, columns + 1) * 40) / 8
    rows_out = [[*row, int(i % 3)] for i, row in enumerate(x.tolist())]
    return write_table(folder / "exact.csv", [f"f{j}" for j in range(columns)] + ["label"],
                       rows_out)
