"""The softmax activation: turns each row of scores into a probability distribution."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.activations._activation import activation_class


@hookimpl
def register_activations(register):
    """Register ``softmax``."""
    register("softmax", build,
             description="Softmax over the last axis: each row becomes probabilities summing to 1.",
             formula="softmax(y_i) = e^y_i / sum_j e^y_j",
             keras_objects=keras_class)


def softmax(x: Any) -> Any:
    """``e^x_i / sum_j e^x_j`` over the last axis (``tf.nn.softmax``, as in the lecture)."""
    import tensorflow as tf

    return tf.nn.softmax(x)


def build() -> Any:
    """A serializable softmax activation."""
    return keras_class()()


def keras_class() -> type:
    """The Keras class of this activation (defined on first use), for saving and loading models."""
    return activation_class("Softmax", softmax)
