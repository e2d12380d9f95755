"""Zero initialization: every value 0."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.initializers._initializer import initializer_class


@hookimpl
def register_initializers(register):
    """Register ``zeros``."""
    register("zeros", build, description="All zeros (fine for biases, not for weights).",
             formula="w = 0",
             keras_objects=keras_class)


def zeros(shape: tuple[int, ...], dtype: Any) -> Any:
    """``tf.zeros(shape, dtype)``."""
    import tensorflow as tf

    return tf.zeros(shape, dtype=dtype)


def build() -> Any:
    """A serializable Keras zeros initializer."""
    return keras_class()()


def keras_class() -> type:
    """The Keras class of this initializer (defined on first use), for saving and loading models."""
    return initializer_class("Zeros", zeros)
