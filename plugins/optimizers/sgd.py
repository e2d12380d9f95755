"""SGD, the lecture's plain gradient descent: ``w -= lr * g``."""

from __future__ import annotations

import functools
from typing import Any

from nnfw import hookimpl


@hookimpl
def register_optimizers(register):
    """Register ``sgd``."""
    register("sgd", build, description="Stochastic gradient descent, the lecture's form.",
             formula="w -= lr * g")


def build(learning_rate: Any) -> Any:
    """A Keras optimizer applying ``w -= lr * g``."""
    return optimizer_class()(learning_rate=learning_rate)


@functools.cache
def optimizer_class() -> type:
    """The Keras optimizer class, defined on first use so that importing this module stays fast."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="nnfw")
    class LectureSGD(keras.optimizers.Optimizer):
        """``w -= lr * g`` for every variable."""

        def __init__(self, learning_rate: Any = 0.01, name: str = "lecture_sgd", **kwargs: Any):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            lr = ops.cast(learning_rate, variable.dtype)
            self.assign_sub(variable, ops.multiply(lr, ops.cast(gradient, variable.dtype)))

    return LectureSGD
