"""The tanh activation, ``f(x) = (1 - e^-2x) / (1 + e^-2x)``."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.activations._activation import activation_class


@hookimpl
def register_activations(register):
    """Register ``tanh``."""
    register("tanh", build, description="Hyperbolic tangent: squashes to (-1, 1), centred on 0.",
             formula="f(x) = (1 - e^-2x) / (1 + e^-2x)",
             keras_objects=keras_class)


def tanh(x: Any) -> Any:
    """``(1 - e^-2x) / (1 + e^-2x)``, elementwise (``tf.math.tanh``)."""
    import tensorflow as tf

    return tf.math.tanh(x)


def build() -> Any:
    """A serializable tanh activation."""
    return keras_class()()


def keras_class() -> type:
    """The Keras class of this activation (defined on first use), for saving and loading models."""
    return activation_class("Tanh", tanh)
