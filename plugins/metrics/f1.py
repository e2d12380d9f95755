"""F1, macro-averaged: per class, the harmonic mean of precision and recall."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.metrics._classes import macro_mean, per_class, ratio


@hookimpl
def register_metrics(register):
    """Register ``f1``."""
    register("f1", build, description="F1 score per class, averaged over the classes (macro).",
             formula="f1 = mean over classes c of 2 TP_c / (2 TP_c + FP_c + FN_c)",
             tasks=("classification",))


def f1(targets: Any, scores: Any) -> Any:
    """Macro F1 over the classes present in the targets or the predictions."""
    hits, predicted, actual, present = per_class(targets, scores)
    return macro_mean(ratio(2.0 * hits, predicted + actual), present)


def build() -> Any:
    """The F1 function."""
    return f1
