"""SGD, the lecture's plain gradient descent: ``w -= lr * g``."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.optimizers.common import keras_optimizer


@hookimpl
def register_optimizers(register):
    """Register ``sgd``."""
    register("sgd", build, description="Stochastic gradient descent, the lecture's form.",
             formula="w -= lr * g",
             keras_objects=optimizer_class)


def define(base: type, ops: Any) -> type:
    """The Keras optimizer class, on the shared lecture-optimizer base."""

    class LectureSGD(base):
        """``w -= lr * g`` for every variable."""

        default_name = "lecture_sgd"

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            """``w -= lr * g``."""
            lr = self.constant(learning_rate, variable)
            g = self.constant(gradient, variable)
            self.assign_sub(variable, ops.multiply(lr, g))

    return LectureSGD


build, optimizer_class = keras_optimizer(define)
