"""A user's CSV file: a header line naming the columns, then one example per row.

Reading the cells is :mod:`table_read`, turning them into numbers or categories
:mod:`table_cells`, the target :mod:`table_target`, the split :mod:`table_split`, the
feature encodings :mod:`table_encode`, new rows :mod:`table_rows`; this module chooses the
columns and puts the steps together. Every problem with a file is a one-line
:class:`nnfw.UsageError` naming the file (and the line and column where it applies) and
what is accepted.
"""

from __future__ import annotations

from pathlib import Path

from nnfw import Dataset, Param, UsageError, hookimpl, unknown_name_message
from nnfw_plugins.datasets import prepare, table_encode, table_rows, table_split, table_target
from nnfw_plugins.datasets.table_cells import MISSING_HELP, column, refuse_missing
from nnfw_plugins.datasets.table_read import SEPARATOR_CHOICES, Table, display, read_table
from nnfw_plugins.datasets.table_target import MAX_AUTO_CLASSES, TASKS

DEFAULT_MAX_CATEGORIES = 100


@hookimpl
def register_datasets(register):
    """Register ``csv``."""
    register("csv", build, read_rows=table_rows.read_rows,
             description="Your own CSV file: a header line, number or text features, one target "
                         "column.",
             notes="Text feature columns are one-hot encoded; a first column without a name "
                   f"(pandas' index) is left out; missing values are {MISSING_HELP}.",
             params=[
                 Param("path", None, "the CSV file to read", type=str, file=True),
                 Param("target", "", "name of the label/target column (empty: the last column "
                       "not dropped)"),
                 Param("task", "auto", "auto: classification when the target has text, or only "
                       f"whole numbers with at most {MAX_AUTO_CLASSES} distinct values",
                       choices=TASKS),
                 Param("features", "", "the feature columns, comma-separated (empty: all but "
                       "the target and those dropped)"),
                 Param("drop", "", "columns to leave out, comma-separated (an ID, free text)"),
                 Param("categorical", "", "columns to one-hot encode even if they hold numbers, "
                       "comma-separated (text columns always are)"),
                 Param("missing", "refuse", "missing feature values: refuse them, or impute the "
                       "training part's mean, median or most frequent value (text columns: most "
                       "frequent)", choices=table_encode.MISSING_CHOICES),
                 Param("separator", "auto", "the column separator (auto: guessed from the first "
                       "lines)", choices=SEPARATOR_CHOICES),
                 Param("header", True, "the first line names the columns (false: they are c1, "
                       "c2, ...)"),
                 Param("test_fraction", 0.2, "share of the rows kept for testing (not used with "
                       "test_path)", bounds="[0, 1)"),
                 Param("validation_fraction", 0.0, "share of the rows kept for validation (the val_ "
                       "columns; --patience stops early on it, --restore-best keeps its best "
                       "epoch's weights)",
                       bounds="[0, 1)"),
                 Param("test_path", "", "a CSV file of test rows, with the same columns (empty: "
                       "test on test_fraction of path)", file=True),
                 Param("stratify", True, "give each class its share of the test and validation "
                       "parts (classification)"),
                 prepare.seed_param(0),
                 prepare.standardize_param(True),
                 Param("max_categories", DEFAULT_MAX_CATEGORIES, "most distinct values a text "
                       "column may have", bounds="[1, inf)"),
             ])


def build(path: str, target: str = "", task: str = "auto", features: str = "", drop: str = "",
          categorical: str = "", missing: str = "refuse", separator: str = "auto",
          header: bool = True, test_fraction: float = 0.2, validation_fraction: float = 0.0,
          test_path: str = "", stratify: bool = True, seed: int = 0, standardize: bool = True,
          max_categories: int = DEFAULT_MAX_CATEGORIES) -> Dataset:
    """Read ``path``; learn the encodings from its training part; split by ``seed``.

    Class labels become ids 0, 1, ... in sorted order (numbers by value), named in
    ``class_names``. What was learnt is the data set's ``preprocessing`` (:mod:`table_rows`).
    """
    table = read_table(path, separator, header, numbers=not categorical.strip())
    test_rows, val_rows = table_split.part_sizes(table.path, table.rows,
                                                 0.0 if test_path else test_fraction,
                                                 validation_fraction)
    target, names, forced = choose_columns(table, target, features, drop, categorical)
    columns = {name: column(table.cells(name), table.locator(name), name in forced)
               for name in names}
    if missing == "refuse":
        for name, data in columns.items():
            refuse_missing(data, table.locator(name))
    target_spec, y = table_target.fit_target(table, target, task)
    classify = target_spec["task"] == "classification"
    train, val, test = table_split.split(table.path, table.rows, test_rows, val_rows, seed,
                                         y if classify and stratify else None)
    specs = table_encode.fit(columns, train, missing, standardize, max_categories, table.path)
    x = table_encode.transform(list(columns.values()), specs, table.locator)
    preprocessing = table_rows.record(specs, target_spec, missing)
    x_test, y_test = (x[test], y[test]) if not test_path else \
        _test_file(test_path, preprocessing, separator, header)
    return Dataset(x[train], y[train], x_test, y_test, x_val=x[val], y_val=y[val],
                   task=target_spec["task"], num_classes=len(target_spec.get("classes", ())),
                   class_names=tuple(target_spec.get("classes", ())),
                   feature_names=table_encode.feature_names(specs),
                   name=display(Path(path).stem), preprocessing=preprocessing)


def choose_columns(table: Table, target: str, features: str, drop: str, categorical: str
                   ) -> tuple[str, list[str], set[str]]:
    """``(target, feature columns in file order, columns forced categorical)``."""
    dropped, chosen = _names(table, "drop", drop), _names(table, "features", features)
    forced = _names(table, "categorical", categorical)
    if not target:
        kept = [name for name in table.header if name not in dropped]
        target = kept[-1] if kept else table.header[-1]
    elif target not in table.header:
        raise UsageError(unknown_name_message(f"{table.path}: no column", target,
                                              [display(name) for name in table.header]))
    for param, names in (("drop", dropped), ("features", chosen)):
        if target in names:
            raise UsageError(f"{table.path}: {param} names the target column {display(target)!r}; "
                             "the target cannot also be a feature or be dropped (name another "
                             "with target)")
    kept = [name for name in table.header
            if name != target and name not in dropped and (not chosen or name in chosen)]
    if not kept:
        raise UsageError(f"{table.path}: no feature column is left besides the target "
                         f"{display(target)!r}; drop and features leave none")
    if stray := [name for name in forced if name not in kept]:
        raise UsageError(f"{table.path}: categorical names {display(stray[0])!r}, which is not a "
                         "feature column (it is the target, or dropped, or not in features)")
    return target, kept, set(forced)


def _names(table: Table, param: str, text: str) -> list[str]:
    """The comma-separated column names of parameter ``param``, each checked to exist."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in table.header:
            raise UsageError(unknown_name_message(f"{table.path}: {param}: no column", name,
                                                  [display(n) for n in table.header]))
    return names


def _test_file(path: str, preprocessing: dict, separator: str, header: bool) -> tuple:
    """The rows of ``test_path``, encoded as the training rows; it must have the target."""
    x, y = table_rows.read_rows(path, preprocessing, separator, header)
    if y is None:
        raise UsageError(f"{display(path)}: no target column "
                         f"{display(preprocessing['target']['name'])!r}; test rows need their "
                         "targets (test_path)")
    return x, y
