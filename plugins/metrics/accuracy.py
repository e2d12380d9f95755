"""Accuracy: the share of rows whose highest score is their class."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl, predicted_classes


@hookimpl
def register_metrics(register):
    """Register ``accuracy``."""
    register("accuracy", build, description="Share of rows whose predicted class is their class.",
             formula="accuracy = mean(argmax(y) == y_)", tasks=("classification",), default=True)


def accuracy(targets: Any, scores: Any) -> Any:
    """The lecture's ``reduce_mean(cast(equal(argmax(y, 1), y_), float32))``."""
    import tensorflow as tf

    correct = tf.cast(tf.equal(predicted_classes(scores), targets), tf.float32)
    return tf.reduce_mean(correct)


def build() -> Any:
    """The accuracy function."""
    return accuracy
