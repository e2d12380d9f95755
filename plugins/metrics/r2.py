"""R^2, the coefficient of determination of a regression."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl


@hookimpl
def register_metrics(register):
    """Register ``r2``."""
    register("r2", build, description="Coefficient of determination per output, averaged over "
             "the outputs.",
             formula="r2 = 1 - sum((y_ - y)^2) / sum((y_ - mean(y_))^2)  (per output; a constant "
                     "target gives 1 if predicted exactly, else 0)",
             tasks=("regression",))


def r2(targets: Any, outputs: Any) -> Any:
    """R^2 per output column, then their mean (scikit-learn's ``r2_score`` default)."""
    import tensorflow as tf

    residual = tf.reduce_sum(tf.square(targets - outputs), axis=0)
    total = tf.reduce_sum(tf.square(targets - tf.reduce_mean(targets, axis=0)), axis=0)
    constant = tf.where(residual == 0.0, 1.0, 0.0)  # no spread to explain
    safe_total = tf.where(total == 0.0, 1.0, total)
    return tf.reduce_mean(tf.where(total == 0.0, constant, 1.0 - residual / safe_total))


def build() -> Any:
    """The R^2 function."""
    return r2
