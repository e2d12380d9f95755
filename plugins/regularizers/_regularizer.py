"""Shared by the regularizer plugins: a Keras-serializable regularizer class from a function."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


@functools.cache
def regularizer_class(class_name: str, function: Callable[..., Any]) -> type:
    """A ``keras.regularizers.Regularizer`` computing ``function(w, **params)``.

    Registered with Keras as ``nnfw>class_name``, with its parameters in ``get_config()``;
    defined on first use so that importing a plugin module stays fast, and cached so each
    regularizer gets exactly one class.
    """
    import keras

    class PluginRegularizer(keras.regularizers.Regularizer):
        """A weight penalty with fixed hyperparameters."""

        def __init__(self, **params: Any) -> None:
            self.params = params

        def __call__(self, weights: Any) -> Any:
            return function(weights, **self.params)

        def get_config(self) -> dict[str, Any]:
            """The hyperparameters, enough to rebuild this regularizer."""
            return dict(self.params)

    PluginRegularizer.__name__ = PluginRegularizer.__qualname__ = class_name
    return keras.saving.register_keras_serializable(package="nnfw", name=class_name)(
        PluginRegularizer)
