"""SGDM, the lecture's gradient descent with momentum: an average of the gradients."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.optimizers.common import beta_param, defaults, keras_optimizer

PARAMS = (beta_param("beta", 0.9, "decay of the running average of the gradients (m)"),)


@hookimpl
def register_optimizers(register):
    """Register ``sgdm``."""
    register("sgdm", build,
             description="SGD with momentum, the lecture's average of the gradients; Keras' "
                         "SGD(momentum) sums them instead, steps 1/(1-beta) times larger.",
             formula="m = beta*m + (1-beta)*g;  w -= lr * m   (m starts at 0; Keras' "
                     "v = beta*v - lr*g; w += v is this only at learning rate lr*(1-beta))",
             params=PARAMS,
             keras_objects=optimizer_class)


def define(base: type, ops: Any) -> type:
    """The Keras optimizer class, on the shared lecture-optimizer base."""

    class LectureSGDM(base):
        """``m = beta*m + (1-beta)*g; w -= lr*m``, one slot ``m`` per variable."""

        slot_names = ("m",)
        hyperparameters = defaults(PARAMS)
        default_name = "lecture_sgdm"

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            """One step of the lecture's SGDM, in the lecture's operation order."""
            lr = self.constant(learning_rate, variable)
            g = self.constant(gradient, variable)
            (m,) = self.slots(variable)
            m_new = self.average(m, g, self.beta, variable)
            self.assign(m, m_new)
            self.assign_sub(variable, ops.multiply(lr, m_new))

    return LectureSGDM


build, optimizer_class = keras_optimizer(define)
