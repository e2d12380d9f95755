"""Column encodings: what a data set learns from its training rows, and applying it to rows.

Each feature column has a *spec*, a JSON-able dict saved in the data set's preprocessing:

- ``{"name", "kind": "number", "fill"?, "mean"?, "std"?}``: a number column; ``fill``
  replaces a missing value (present only when missing values are imputed), ``mean`` and
  ``std`` standardize it as ``(value - mean) / std`` (present only when standardized;
  ``std`` is 1 for a column that is constant in the training rows);
- ``{"name", "kind": "category", "categories", "fill"?}``: a categorical column, one-hot
  encoded as one 0/1 feature per category (in the sorted order of ``categories``).

Own numpy code rather than scikit-learn's SimpleImputer, StandardScaler and OneHotEncoder:
each is a line or two of numpy here, the learnt values must be saved as JSON anyway, and a
category or a missing value met in new rows must be reported with its file, line and column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nnfw import UsageError
from nnfw_plugins.datasets import prepare
from nnfw_plugins.datasets.table_cells import Column, refuse_missing
from nnfw_plugins.datasets.table_read import display, quote

if TYPE_CHECKING:
    import numpy as np

MISSING_CHOICES = ("refuse", "mean", "median", "most-frequent")
MAX_LISTED = 20  # a message lists at most this many categories

Spec = dict[str, Any]
WhereFor = Callable[[str], Callable[[int], str]]  # column name -> (row -> "path, line N, ...")


def number_spec(name: str, mean: float | None = None, std: float | None = None) -> Spec:
    """The spec of a number column, standardized when ``mean`` and ``std`` are given."""
    spec: Spec = {"name": name, "kind": "number"}
    if mean is not None and std is not None:
        spec.update(mean=float(mean), std=float(std))
    return spec


def feature_names(specs: Sequence[Spec]) -> tuple[str, ...]:
    """The names of the encoded features: a number column's name, ``name=category`` for each
    category of a categorical column."""
    names: list[str] = []
    for spec in specs:
        if spec["kind"] == "number":
            names.append(spec["name"])
        else:
            names.extend(f"{spec['name']}={category}" for category in spec["categories"])
    return tuple(names)


def fit(columns: dict[str, Column], train: np.ndarray, missing: str, standardize: bool,
        max_categories: int, path: str) -> list[Spec]:
    """Every column's spec: categories from all rows (they are the column's vocabulary, not a
    statistic), fill values and standardization from the ``train`` rows only."""
    specs: list[Spec] = []
    for name, data in columns.items():
        label = f"{path}, column {display(name)!r}"
        if data.kind == "number":
            spec = number_spec(name)
            if missing != "refuse":
                spec["fill"] = _fill(data.values[train], data.missing[train], missing, label)
        else:
            spec = {"name": name, "kind": "category",
                    "categories": _categories(data, max_categories, label)}
            if missing != "refuse":
                spec["fill"] = _fill(data.texts[train], data.missing[train], "most-frequent", label)
        specs.append(spec)
    if standardize:
        _fit_standardize(columns, specs, train)
    return specs


def transform(columns: Sequence[Column], specs: Sequence[Spec], where_for: WhereFor) -> np.ndarray:
    """The rows' features, float32, encoded by ``specs`` (one per column, in order)."""
    import numpy as np

    rows = len(columns[0].missing) if columns else 0
    out = np.empty((rows, len(feature_names(specs))), dtype=np.float32)
    at = 0
    for data, spec in zip(columns, specs, strict=True):
        where = where_for(spec["name"])
        if data.missing.any() and "fill" not in spec:
            refuse_missing(data, where)
        if spec["kind"] == "number":
            out[:, at] = _numbers(data, spec)
            at += 1
        else:
            codes = _codes(data, spec, where)
            block = out[:, at:at + len(spec["categories"])]
            block[:] = 0.0
            block[np.arange(rows), codes] = 1.0
            at += len(spec["categories"])
    return out


def _numbers(data: Column, spec: Spec) -> np.ndarray:
    """A number column's values, missing ones filled, standardized if the spec says so."""
    values = data.values
    if data.missing.any():
        values = values.copy()
        values[data.missing] = spec["fill"]
    if "mean" in spec:  # the same float64 operations as prepare.apply_standardize
        values = prepare.apply_standardize(values, spec["mean"], spec["std"])
    return values


def _codes(data: Column, spec: Spec, where: Callable[[int], str]) -> np.ndarray:
    """Each row's category index; a category the spec does not know raises, naming it."""
    import numpy as np

    texts = data.texts
    if data.missing.any():  # np.where widens the strings' dtype to fit the fill value
        texts = np.where(data.missing, spec["fill"], texts)
    return positions(texts, np.asarray(spec["categories"], dtype=str), lambda row: (
        f"{where(row)}: {quote(str(texts[row]))} is a category not seen in training; known "
        f"categories: {listed(spec['categories'])}"))


def positions(values: np.ndarray, known: np.ndarray, unknown: Callable[[int], str]
              ) -> np.ndarray:
    """Each value's index in the sorted array ``known``; for the first value not in it, the
    UsageError ``unknown(row)`` is raised."""
    import numpy as np

    found = np.minimum(np.searchsorted(known, values), len(known) - 1)
    missed = known[found] != values
    if missed.any():
        raise UsageError(unknown(int(np.argmax(missed))))
    return found


def listed(names: Sequence[str]) -> str:
    """Names for a message: all of them, or the first :data:`MAX_LISTED` and how many more."""
    shown = ", ".join(quote(str(name)) for name in names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return shown + (f", ... ({more} more)" if more > 0 else "")


def _categories(data: Column, max_categories: int, label: str) -> list[str]:
    """The sorted distinct values of a categorical column, at most ``max_categories``."""
    import numpy as np

    categories = np.unique(data.texts[~data.missing]).tolist()
    if len(categories) > max_categories:
        raise UsageError(f"{label}: {len(categories)} different text values, more than "
                         f"max_categories ({max_categories}) for a categorical column; if it is "
                         "an identifier or free text, drop it (drop), else raise max_categories")
    return categories


def _fill(values: np.ndarray, missing: np.ndarray, how: str, label: str) -> float | str:
    """What replaces a missing value: the mean, median or most frequent training value."""
    import numpy as np

    known = values[~missing]
    if len(known) == 0:
        raise UsageError(f"{label}: every training row misses this value, so there is nothing "
                         "to impute it from; drop the column (drop)")
    if how == "mean":
        return float(np.mean(known))
    if how == "median":
        return float(np.median(known))
    distinct, counts = np.unique(known, return_counts=True)
    mode = distinct[int(np.argmax(counts))]  # of equally frequent values, the smallest
    return float(mode) if known.dtype.kind == "f" else str(mode)


def _fit_standardize(columns: dict[str, Column], specs: list[Spec], train: np.ndarray) -> None:
    """Add each number column's training mean and std to its spec."""
    import numpy as np

    numeric = [(data, spec) for data, spec in zip(columns.values(), specs, strict=True)
               if spec["kind"] == "number"]
    if not numeric:
        return
    matrix = np.stack([_numbers(data, spec)[train] for data, spec in numeric], axis=1)
    means, stds = prepare.fit_standardize(matrix)
    for (_, spec), mean, std in zip(numeric, means.tolist(), stds.tolist(), strict=True):
        spec.update(mean=mean, std=std)
