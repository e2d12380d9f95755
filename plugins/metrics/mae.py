"""Mean absolute error of a regression."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl


@hookimpl
def register_metrics(register):
    """Register ``mae``."""
    register("mae", build, description="Mean absolute error over all outputs.",
             formula="mae = mean(|y_ - y|)", tasks=("regression",), better="lower")


def mae(targets: Any, outputs: Any) -> Any:
    """``mean(|y_ - y|)`` over every element."""
    import tensorflow as tf

    return tf.reduce_mean(tf.abs(targets - outputs))


def build() -> Any:
    """The MAE function."""
    return mae
