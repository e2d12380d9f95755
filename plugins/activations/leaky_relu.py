"""The leaky relu activation, ``f(x) = max(slope * x, x)``."""

from __future__ import annotations

from typing import Any

from nnfw import Param, hookimpl
from nnfw_plugins.activations._activation import activation_class


@hookimpl
def register_activations(register):
    """Register ``leaky-relu``."""
    register("leaky-relu", build,
             description="Leaky relu: like relu, but a small slope below 0 keeps gradients alive.",
             formula="f(x) = max(a * x, x), a = slope",
             params=[Param("slope", 0.01, "the slope a for x < 0", bounds="[0, 1)")],
             keras_objects=keras_class)


def leaky_relu(x: Any, slope: float) -> Any:
    """``max(slope * x, x)``, elementwise."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    return tf.maximum(slope * x, x)


def build(slope: float) -> Any:
    """A serializable leaky relu activation with the given slope."""
    return keras_class()(slope=slope)


def keras_class() -> type:
    """The Keras class of this activation (defined on first use), for saving and loading models."""
    return activation_class("LeakyRelu", leaky_relu)
