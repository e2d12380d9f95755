"""The confusion matrix of the final model: rows are true classes, columns predicted ones."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.metrics._classes import confusion


@hookimpl
def register_metrics(register):
    """Register ``confusion-matrix``."""
    register("confusion-matrix", build,
             description="Counts of rows by true class (row) and predicted class (column), of the "
                         "final model.",
             tasks=("classification",), per_epoch=False)


def build() -> Any:
    """The confusion-matrix function (float32 counts)."""
    return confusion
