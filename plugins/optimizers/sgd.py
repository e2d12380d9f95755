"""SGD, the lecture's plain gradient descent: ``w -= lr * g``."""

from __future__ import annotations

import functools
from typing import Any

from nnfw import hookimpl
from nnfw_plugins.optimizers.common import lecture_optimizer_base


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
    class LectureSGD(lecture_optimizer_base()):
        """``w -= lr * g`` for every variable."""

        default_name = "lecture_sgd"

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            """``w -= lr * g``."""
            lr = self.constant(learning_rate, variable)
            g = self.constant(gradient, variable)
            self.assign_sub(variable, ops.multiply(lr, g))

    return LectureSGD
