"""RMSProp, as the lecture writes it: divide by the root of a running mean of squared gradients."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.optimizers.common import (
    beta_param,
    defaults,
    epsilon_param,
    keras_optimizer,
)

PARAMS = (beta_param("beta", 0.9, "decay of the running mean of the squared gradients (v)"),
          epsilon_param())


@hookimpl
def register_optimizers(register):
    """Register ``rmsprop``."""
    register("rmsprop", build,
             description="RMSProp in the lecture's operation order, epsilon 1e-7 by default "
                         "(the lecture's experiments set 0; Keras' RMSprop adds its epsilon "
                         "inside the root).",
             formula="v = beta*v + (1-beta)*g^2;  w -= lr * g / (sqrt(v) + epsilon)"
                     "   (v starts at 0)",
             notes="Without epsilon (the lecture's form, --optimizer.epsilon 0), g / sqrt(v) "
                   "is 0 / 0 once v is exactly 0. The lecture's iris run (--config iris, which "
                   "sets epsilon 0; lr 0.1) is chaotic: whether v underflows to 0 and the run breaks "
                   "(near epoch 370) depends on the CPU's float rounding; on some "
                   "CPUs it ends finite. nnfw computes what the lecture's own code computes on "
                   "the same machine, so it breaks where that code breaks. To see the break on "
                   "every CPU, train with epsilon 0 on data with a feature that is 0 in every row: that "
                   "weight's gradient is exactly 0, so v is 0 from the first step. "
                   "The default epsilon, 1e-7, avoids it.",
             params=PARAMS,
             keras_objects=optimizer_class)


def define(base: type, ops: Any) -> type:
    """The Keras optimizer class, on the shared lecture-optimizer base."""

    class LectureRMSProp(base):
        """``v = beta*v + (1-beta)*g^2; w -= lr*g/(sqrt(v) + epsilon)``, one slot ``v``."""

        slot_names = ("v",)
        hyperparameters = defaults(PARAMS)
        default_name = "lecture_rmsprop"

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            """One step of the lecture's RMSProp, in the lecture's operation order."""
            lr = self.constant(learning_rate, variable)
            g = self.constant(gradient, variable)
            (v,) = self.slots(variable)
            v_new = self.average(v, ops.square(g), self.beta, variable)
            self.assign(v, v_new)
            denominator = ops.add(ops.sqrt(v_new), self.constant(self.epsilon, variable))
            self.assign_sub(variable, ops.divide(ops.multiply(lr, g), denominator))

    return LectureRMSProp


build, optimizer_class = keras_optimizer(define)
