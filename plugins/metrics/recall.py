"""Recall, macro-averaged: per class, the share of its rows that are found."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.metrics._classes import macro_mean, per_class, ratio


@hookimpl
def register_metrics(register):
    """Register ``recall``."""
    register("recall", build, description="Recall per class (found / actual), averaged over the "
             "classes (macro).",
             formula="recall = mean over classes c of TP_c / (TP_c + FN_c)",
             tasks=("classification",))


def recall(targets: Any, scores: Any) -> Any:
    """Macro recall over the classes present in the targets or the predictions."""
    hits, _, actual, present = per_class(targets, scores)
    return macro_mean(ratio(hits, actual), present)


def build() -> Any:
    """The recall function."""
    return recall
