"""Adagrad, as the lecture writes it: divide by the root of the summed squared gradients."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.optimizers.common import defaults, epsilon_param, keras_optimizer

PARAMS = (epsilon_param(),)


@hookimpl
def register_optimizers(register):
    """Register ``adagrad``."""
    register("adagrad", build,
             description="Adagrad in the lecture's operation order, epsilon 1e-7 by default "
                         "(the lecture's experiments set 0; Keras' Adagrad starts v at 0.1 "
                         "and adds its epsilon inside the root).",
             formula="v += g^2;  w -= lr * g / (sqrt(v) + epsilon)   (v starts at 0)",
             params=PARAMS,
             keras_objects=optimizer_class)


def define(base: type, ops: Any) -> type:
    """The Keras optimizer class, on the shared lecture-optimizer base."""

    class LectureAdagrad(base):
        """``v += g^2; w -= lr*g/(sqrt(v) + epsilon)``, one slot ``v`` per variable."""

        slot_names = ("v",)
        hyperparameters = defaults(PARAMS)
        default_name = "lecture_adagrad"

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            """One step of the lecture's Adagrad, in the lecture's operation order."""
            lr = self.constant(learning_rate, variable)
            g = self.constant(gradient, variable)
            (v,) = self.slots(variable)
            v_new = ops.add(v, ops.square(g))
            self.assign(v, v_new)
            denominator = ops.add(ops.sqrt(v_new), self.constant(self.epsilon, variable))
            self.assign_sub(variable, ops.divide(ops.multiply(lr, g), denominator))

    return LectureAdagrad


build, optimizer_class = keras_optimizer(define)
