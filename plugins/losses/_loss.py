"""Shared by the loss plugins: a Keras-serializable loss class made from a function."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


@functools.cache
def loss_class(class_name: str, function: Callable[..., Any]) -> type:
    """A ``keras.losses.Loss`` computing ``function(y_true, y_pred, **params)``.

    ``function`` returns the final scalar (the lecture's own reduction: a mean or a sum),
    which Keras passes through unchanged. The class is registered with Keras as
    ``nnfw>class_name`` and keeps its parameters in ``get_config()``; it is defined on
    first use so that importing a plugin module stays fast, and cached so each loss gets
    exactly one class.
    """
    import keras

    class PluginLoss(keras.losses.Loss):
        """A loss with fixed hyperparameters."""

        def __init__(self, name: str | None = None, reduction: str = "sum_over_batch_size",
                     dtype: Any = None, **params: Any) -> None:
            super().__init__(name=name, reduction=reduction, dtype=dtype)
            self.params = params

        def call(self, y_true: Any, y_pred: Any) -> Any:
            """The loss of a batch, a scalar tensor."""
            return function(y_true, y_pred, **self.params)

        def get_config(self) -> dict[str, Any]:
            """Name, reduction and the hyperparameters, enough to rebuild this loss."""
            return {**super().get_config(), **self.params}

    PluginLoss.__name__ = PluginLoss.__qualname__ = class_name
    return keras.saving.register_keras_serializable(package="nnfw", name=class_name)(PluginLoss)
