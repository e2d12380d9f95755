"""The relu activation, ``f(x) = max(x, 0)``."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.activations._activation import activation_class


@hookimpl
def register_activations(register):
    """Register ``relu``."""
    register("relu", build, description="Rectified linear unit: 0 below 0, x above; try it first.",
             formula="f(x) = max(x, 0)",
             keras_objects=keras_class)


def relu(x: Any) -> Any:
    """``max(x, 0)``, elementwise (``tf.nn.relu``)."""
    import tensorflow as tf

    return tf.nn.relu(x)


def build() -> Any:
    """A serializable relu activation."""
    return keras_class()()


def keras_class() -> type:
    """The Keras class of this activation (defined on first use), for saving and loading models."""
    return activation_class("Relu", relu)
