"""Precision, macro-averaged: per class, the share of its predictions that are right."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.metrics._classes import macro_mean, per_class, ratio


@hookimpl
def register_metrics(register):
    """Register ``precision``."""
    register("precision", build, description="Precision per class (right / predicted), averaged "
             "over the classes (macro).",
             formula="precision = mean over classes c of TP_c / (TP_c + FP_c)  (0 where nothing "
                     "is predicted c)",
             tasks=("classification",))


def precision(targets: Any, scores: Any) -> Any:
    """Macro precision over the classes present in the targets or the predictions."""
    hits, predicted, _, present = per_class(targets, scores)
    return macro_mean(ratio(hits, predicted), present)


def build() -> Any:
    """The precision function."""
    return precision
