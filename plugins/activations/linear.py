"""The linear (identity) activation, ``f(x) = x``."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.activations._activation import activation_class


@hookimpl
def register_activations(register):
    """Register ``linear``."""
    register("linear", build, description="Identity: no activation, for regression outputs.",
             formula="f(x) = x",
             keras_objects=keras_class)


def linear(x: Any) -> Any:
    """``x`` unchanged, as a tensor."""
    import tensorflow as tf

    return tf.convert_to_tensor(x)


def build() -> Any:
    """A serializable identity activation."""
    return keras_class()()


def keras_class() -> type:
    """The Keras class of this activation (defined on first use), for saving and loading models."""
    return activation_class("Linear", linear)
