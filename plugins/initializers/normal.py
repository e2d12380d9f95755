"""Normal initialization: ``tf.random.normal(shape, mean, stddev, seed=seed)``."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.initializers._initializer import distribution_params, initializer_class


@hookimpl
def register_initializers(register):
    """Register ``normal``."""
    register("normal", build, description="Random normal values (the lecture's tf.random.normal).",
             formula="w = tf.random.normal(shape, mean, stddev, seed=seed)",
             params=distribution_params(stddev=1.0),
             keras_objects=keras_class)


def normal(shape: tuple[int, ...], dtype: Any, mean: float, stddev: float, seed: int) -> Any:
    """Exactly ``tf.random.normal(shape, mean, stddev, dtype, seed)``."""
    import tensorflow as tf

    return tf.random.normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def build(mean: float, stddev: float, seed: int) -> Any:
    """A serializable Keras normal initializer."""
    return keras_class()(mean=mean, stddev=stddev, seed=seed)


def keras_class() -> type:
    """The Keras class of this initializer (defined on first use), for saving and loading models."""
    return initializer_class("Normal", normal)
