"""Truncated normal initialization: ``tf.random.truncated_normal(shape, mean, stddev, seed)``."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.initializers._initializer import distribution_params, initializer_class


@hookimpl
def register_initializers(register):
    """Register ``truncated-normal``."""
    register("truncated-normal", build,
             description="Normal values redrawn beyond 2 stddev (the lecture's iris initializer).",
             formula="w = tf.random.truncated_normal(shape, mean, stddev, seed=seed)",
             params=distribution_params(stddev=0.1),
             keras_objects=keras_class)


def truncated_normal(shape: tuple[int, ...], dtype: Any, mean: float, stddev: float,
                     seed: int) -> Any:
    """Exactly ``tf.random.truncated_normal(shape, mean, stddev, dtype, seed)``."""
    import tensorflow as tf

    return tf.random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def build(mean: float, stddev: float, seed: int) -> Any:
    """A serializable Keras truncated-normal initializer."""
    return keras_class()(mean=mean, stddev=stddev,
                                                                   seed=seed)


def keras_class() -> type:
    """The Keras class of this initializer (defined on first use), for saving and loading models."""
    return initializer_class("TruncatedNormal", truncated_normal)
