"""A finished run put to use: what its data set learnt (saved with it), new rows read as the
run read its own, and its model's outputs as class names and probabilities or values.

``nnfw predict``, ``nnfw evaluate`` and ``nnfw export`` open runs through :func:`open_run`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.config.config_file import load_config
from nnfw.config.resolve import resolve_settings
from nnfw.config.settings import Settings
from nnfw.errors import UsageError
from nnfw.rundirs.rundir import MODEL, PREPROCESSING, SETTINGS, read_json

if TYPE_CHECKING:
    import keras
    import numpy as np

    from nnfw.plugin.data import Dataset
    from nnfw.plugin.registry import Registry

FORMAT = 1  # the version of preprocessing.json's layout
DEFAULT_TARGET = "target"  # the target column of new rows for a data set without read_rows
# what each key of preprocessing.json holds, checked before anything reads it
_RECORD_TYPES: dict[str, type | tuple[type, ...]] = {
    "dataset": str, "task": str, "num_classes": int, "class_names": list, "feature_names": list,
    "input_shape": list, "units": int, "one_hot": bool, "preprocessing": dict}


def preprocessing_record(data: Dataset, settings: Settings, model: keras.Model) -> dict[str, Any]:
    """What ``preprocessing.json`` holds: the data set that made the run's features, how
    its targets meet the model's outputs, and the data set's own ``preprocessing``."""
    units = int(model.output_shape[-1])
    return {"format": FORMAT, "dataset": settings.choices["dataset"], "task": data.task,
            "num_classes": data.num_classes, "class_names": list(data.class_names),
            "feature_names": list(data.feature_names), "input_shape": list(data.input_shape),
            "units": units, "one_hot": data.task == "classification" and units > 1,
            "preprocessing": data.preprocessing}


@dataclass
class TrainedRun:
    """A run directory's settings, preprocessing record and trained model."""

    path: Path
    settings: Settings
    record: dict[str, Any]
    model: keras.Model

    @property
    def binary(self) -> bool:
        """A classification model with one output (the probability of class 1)."""
        return self.record["task"] == "classification" and not self.record["one_hot"]

    @property
    def class_names(self) -> list[str]:
        """The classes by id: the data set's names, else the ids as text."""
        return self.record["class_names"] or [str(i) for i in range(self.record["num_classes"])]


def open_run(path: Path, registry: Registry, dataset: str | None = None,
             dataset_params: dict[str, Any] | None = None) -> TrainedRun:
    """The finished run in ``path``, its model loaded with its plugins' classes; ``dataset``
    and ``dataset_params`` replace its data set in the settings (``nnfw evaluate --dataset``)."""
    from nnfw.rundirs.saved import load_model

    for needed in (SETTINGS, MODEL, PREPROCESSING):
        if not (path / needed).is_file():
            raise UsageError(f"{path}: no {needed}; only a run that finished (or was stopped and "
                             "saved) by this version of nnfw can be used")
    record = read_json(path / PREPROCESSING)
    if not _is_record(record):
        raise UsageError(f"{path / PREPROCESSING}: not a preprocessing record this nnfw reads "
                         f"(format {FORMAT})")
    options = {"dataset": dataset} if dataset else {}
    settings = resolve_settings(registry, load_config(registry, str(path / SETTINGS)), options,
                                {"dataset": dataset_params or {}})
    return TrainedRun(path, settings, record, load_model(path / MODEL, registry))


def _is_record(record: Any) -> bool:
    """Whether ``record`` has the layout :func:`preprocessing_record` writes."""
    return (isinstance(record, dict) and record.get("format") == FORMAT
            and record.get("task") in ("classification", "regression")
            and all(isinstance(record.get(key), kind) for key, kind in _RECORD_TYPES.items()))


def read_new_rows(run: TrainedRun, path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(x, y)`` of the CSV file ``path`` as the run's data set made its features (its
    ``read_rows`` with the run's preprocessing); y is None when the file has no targets.

    A data set that registered no ``read_rows`` gets :func:`read_numeric_rows`.
    """
    import numpy as np

    dataset = run.settings.chosen["dataset"]
    assert dataset is not None  # not an optional slot
    reader = dataset.entry.extras.get("read_rows")
    if reader is None:
        x, y = read_numeric_rows(path, run.record["feature_names"], run.record["task"],
                                 run.class_names)
    else:
        x, y = reader(path, run.record["preprocessing"], **dataset.params)
    x = np.asarray(x, dtype=np.float32)
    check_width(run, x, f"{path}: its rows give")
    return x, y


def check_width(run: TrainedRun, x: np.ndarray, source: str) -> None:
    """Refuse rows ``x`` whose number of features is not the run's model's; the message
    starts with ``source`` ("the data gives")."""
    width = len(run.record["feature_names"])
    given = x.shape[-1] if x.ndim else 0
    if x.ndim != 2 or given != width:
        raise UsageError(f"{source} {given} features a row; the run's model takes {width}")


def read_numeric_rows(path: str, features: list[str], task: str, class_names: list[str]
                      ) -> tuple[np.ndarray, np.ndarray | None]:
    """A CSV file with a header: the ``features`` columns as numbers, by name, and the
    ``target`` column if there is one (a class name or id, or a number)."""
    import numpy as np

    from nnfw.plugin.files import read_data_text

    rows = list(csv.reader(read_data_text(path).splitlines()))
    if not rows:
        raise UsageError(f"{path}: the file is empty; expected a header line naming the columns "
                         f"{', '.join(features)}")
    header, body = [name.strip() for name in rows[0]], rows[1:]
    missing = [name for name in features if name not in header]
    if missing:
        raise UsageError(f"{path}: no column {missing[0]!r}; the run's feature columns are "
                         f"{', '.join(features)}")
    x = np.empty((len(body), len(features)), dtype=np.float32)
    for i, row in enumerate(body):
        for j, name in enumerate(features):
            x[i, j] = _number(row, header.index(name), path, i + 2, name)
    if DEFAULT_TARGET not in header:
        return x, None
    where = header.index(DEFAULT_TARGET)
    if task == "regression":
        return x, np.array([[_number(row, where, path, i + 2, DEFAULT_TARGET)]
                            for i, row in enumerate(body)], dtype=np.float32)
    return x, np.array([_class_id(row[where].strip(), class_names, path, i + 2)
                        for i, row in enumerate(body)], dtype=np.int32)


def _number(row: list[str], column: int, path: str, line: int, name: str) -> float:
    """The number in ``row[column]``, or one line naming the file, line and column."""
    try:
        return float(row[column])
    except (IndexError, ValueError):
        cell = row[column] if column < len(row) else ""
        raise UsageError(f"{path}: line {line}, column {name!r}: {cell!r} is not a number"
                         ) from None


def _class_id(cell: str, class_names: list[str], path: str, line: int) -> int:
    """The class id a target cell names (a class name, or an id)."""
    if cell in class_names:
        return class_names.index(cell)
    if cell.isdigit() and int(cell) < len(class_names):
        return int(cell)
    raise UsageError(f"{path}: line {line}, column {DEFAULT_TARGET!r}: {cell!r} is not a class; "
                     f"classes: {', '.join(class_names)}")


def prediction_table(run: TrainedRun, x: np.ndarray
                     ) -> tuple[list[str], list[list[Any]]]:
    """The run's predictions for rows ``x``: a header and one row per input row.

    Classification: the predicted class's name, then one column per class with the
    probability the model gives it, ``p_<class>`` (when the loss says how its outputs
    become probabilities, as cross-entropy does), or else its score ``score_<class>``.
    Regression: ``predicted`` (``predicted_<i>`` for several outputs).
    """
    import numpy as np

    outputs = np.asarray(run.model(x, training=False), dtype=np.float32)
    if run.record["task"] == "regression":
        header = (["predicted"] if outputs.shape[1] == 1 else
                  [f"predicted_{i + 1}" for i in range(outputs.shape[1])])
        return header, outputs.tolist()
    from nnfw.plugin.predictions import predicted_classes

    scores, probabilities = class_scores(run, outputs)
    names = run.class_names
    prefix = "p" if probabilities else "score"
    header = ["predicted", *(f"{prefix}_{name}" for name in names)]
    chosen = predicted_classes(scores).numpy()  # as the metrics choose
    return header, [[names[c], *row] for c, row in zip(chosen, scores.tolist(), strict=True)]


def class_scores(run: TrainedRun, outputs: np.ndarray) -> tuple[np.ndarray, bool]:
    """One score per class for each row, and whether the scores are probabilities: the
    loss's ``probabilities`` turns outputs into them; a one-output model's output ``p``
    is ``[1 - p, p]``."""
    import numpy as np

    from nnfw.plugin.predictions import metric_outputs

    loss = run.settings.chosen["loss"]
    assert loss is not None  # not an optional slot
    convert = loss.entry.extras.get("probabilities")
    if convert is not None:
        outputs = np.asarray(convert(outputs, **loss.params), dtype=np.float32)
    return np.asarray(metric_outputs(outputs, run.binary)), convert is not None


def write_table(header: list[str], rows: list[list[Any]], out: Path | None) -> str | None:
    """The table as CSV: written atomically to ``out``, or returned as text (``out`` None)."""
    from nnfw.rundirs.rundir import csv_text, write_atomic

    text = csv_text(header, [[_cell(value) for value in row] for row in rows])  # float32 values
    if out is None:
        return text
    write_atomic(out, text)
    return None


def _cell(value: Any) -> Any:
    """A float32 value (held as a Python float) in the fewest digits that give it back
    exactly; others as they are."""
    import numpy as np

    return str(np.float32(value)) if isinstance(value, float) else value
