"""The sigmoid activation, ``f(x) = 1 / (1 + e^-x)``."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.activations._activation import activation_class


@hookimpl
def register_activations(register):
    """Register ``sigmoid``."""
    register("sigmoid", build, description="Sigmoid: squashes to (0, 1); derivative at most 0.25.",
             formula="f(x) = 1 / (1 + e^-x)",
             keras_objects=keras_class)


def sigmoid(x: Any) -> Any:
    """``1 / (1 + e^-x)``, elementwise (``tf.nn.sigmoid``, as the lecture's code uses)."""
    import tensorflow as tf

    return tf.nn.sigmoid(x)


def build() -> Any:
    """A serializable sigmoid activation."""
    return keras_class()()


def keras_class() -> type:
    """The Keras class of this activation (defined on first use), for saving and loading models."""
    return activation_class("Sigmoid", sigmoid)
