"""He initialization as the lecture advises: normal, mean 0, std sqrt(2 / number of inputs)."""

from __future__ import annotations

import math
from typing import Any

from nnfw import hookimpl
from nnfw_plugins.initializers._initializer import SEED, initializer_class


@hookimpl
def register_initializers(register):
    """Register ``he-normal``."""
    register("he-normal", build,
             description="Normal with mean 0 and std sqrt(2 / fan_in), the lecture's advice.",
             formula="w ~ normal(mean=0, std=sqrt(2 / number of inputs))",
             params=[SEED],
             keras_objects=keras_class)


def fan_in(shape: tuple[int, ...]) -> int:
    """The number of inputs: ``shape[0]`` of a 2-D kernel, all but the last axis beyond that."""
    if not shape:
        return 1
    if len(shape) == 1:
        return shape[0]
    return math.prod(shape[:-1])


def he_normal(shape: tuple[int, ...], dtype: Any, seed: int) -> Any:
    """``tf.random.normal(shape, 0, sqrt(2 / fan_in), dtype, seed)`` (not truncated)."""
    import tensorflow as tf

    stddev = math.sqrt(2.0 / max(fan_in(shape), 1))
    return tf.random.normal(shape, mean=0.0, stddev=stddev, dtype=dtype, seed=seed)


def build(seed: int) -> Any:
    """A serializable Keras He-normal initializer."""
    return keras_class()(seed=seed)


def keras_class() -> type:
    """The Keras class of this initializer (defined on first use), for saving and loading models."""
    return initializer_class("HeNormal", he_normal)
