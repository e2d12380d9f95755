"""The metrics a run evaluates: chosen by ``--metrics`` or by the plugins' defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nnfw.plugin.entries import Entry

if TYPE_CHECKING:
    import keras
    import numpy as np


def column_name(entry: Entry) -> str:
    """The metric's name in history columns (``test_<name>``): hyphens become underscores."""
    return entry.name.replace("-", "_")


def per_epoch(entries: list[Entry]) -> list[tuple[str, Callable[[Any, Any], Any]]]:
    """The metrics evaluated every epoch, as (column name, function)."""
    return [(column_name(e), e.create()) for e in entries if e.extras["per_epoch"]]


def final_values(entries: list[Entry], model: keras.Model, x: np.ndarray, y: np.ndarray,
                 binary: bool) -> dict[str, Any]:
    """The metrics evaluated once, on the final model (``per_epoch`` false), on rows ``x``
    with targets ``y``: name -> value as nested lists (JSON)."""
    import numpy as np

    from nnfw.plugin.predictions import metric_outputs

    once = [e for e in entries if not e.extras["per_epoch"]]
    if not once or not len(x):
        return {}
    outputs = metric_outputs(model(x, training=False), binary)
    targets = y.astype("int32") if y.ndim == 1 else y
    return {e.name: np.asarray(e.create()(targets, outputs)).tolist() for e in once}
