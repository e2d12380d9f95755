"""Mean squared error, the lecture's ``tf.reduce_mean(tf.square(y_ - y))``."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.losses._loss import loss_class


@hookimpl
def register_losses(register):
    """Register ``mse``."""
    register("mse", build, default_for=("regression",),
             description="Mean squared error over all outputs of the batch.",
             formula="loss_mse = mean((y_ - y)^2)",
             keras_objects=keras_class)


def mse(y_true: Any, y_pred: Any) -> Any:
    """``mean((y_ - y)^2)`` over every element, in the lecture's operation order."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(y_true - y_pred))


def build() -> Any:
    """A serializable Keras MSE loss."""
    return keras_class()()


def keras_class() -> type:
    """The Keras class of this loss (defined on first use), for saving and loading models."""
    return loss_class("MeanSquaredError", mse)
