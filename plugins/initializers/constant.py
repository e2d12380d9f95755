"""Constant initialization: every value the same."""

from __future__ import annotations

from typing import Any

from nnfw import Param, hookimpl
from nnfw_plugins.initializers._initializer import initializer_class


@hookimpl
def register_initializers(register):
    """Register ``constant``."""
    register("constant", build, description="Every value the same constant.",
             formula="w = value",
             params=[Param("value", 0.1, "the value of every element")],
             keras_objects=keras_class)


def constant(shape: tuple[int, ...], dtype: Any, value: float) -> Any:
    """``tf.fill(shape, value)`` in ``dtype``."""
    import tensorflow as tf

    return tf.fill(shape, tf.constant(value, dtype=dtype))


def build(value: float) -> Any:
    """A serializable Keras constant initializer."""
    return keras_class()(value=value)


def keras_class() -> type:
    """The Keras class of this initializer (defined on first use), for saving and loading models."""
    return initializer_class("Constant", constant)
