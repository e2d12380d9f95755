"""Shared by the initializer plugins: a Keras-serializable initializer class from a function."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from nnfw import Param

SEED = Param("seed", 1, "the op seed (the sequence also depends on tf.random.set_seed)", type=int)


def distribution_params(stddev: float) -> list[Param]:
    """The hyperparameters of a normal-like draw: mean, stddev (default ``stddev``) and seed."""
    return [Param("mean", 0.0, "the mean of the distribution"),
            Param("stddev", stddev, "the standard deviation", bounds="(0, inf)"),
            SEED]


@functools.cache
def initializer_class(class_name: str, function: Callable[..., Any]) -> type:
    """A ``keras.initializers.Initializer`` returning ``function(shape, dtype, **params)``.

    ``dtype`` reaches ``function`` as a ``tf.DType`` (Keras' float type when not given).
    Registered with Keras as ``nnfw>class_name``, with its parameters in ``get_config()``;
    defined on first use so that importing a plugin module stays fast, and cached so each
    initializer gets exactly one class.
    """
    import keras
    import tensorflow as tf

    class PluginInitializer(keras.initializers.Initializer):
        """A weight initializer with fixed hyperparameters."""

        def __init__(self, **params: Any) -> None:
            self.params = params

        def __call__(self, shape: Any, dtype: Any = None) -> Any:
            return function(tuple(shape), tf.as_dtype(dtype or keras.backend.floatx()),
                            **self.params)

        def get_config(self) -> dict[str, Any]:
            """The hyperparameters, enough to rebuild this initializer."""
            return dict(self.params)

    PluginInitializer.__name__ = PluginInitializer.__qualname__ = class_name
    return keras.saving.register_keras_serializable(package="nnfw", name=class_name)(
        PluginInitializer)
