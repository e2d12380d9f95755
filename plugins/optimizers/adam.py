"""Adam, as the lecture writes it: bias-corrected averages of the gradients and their squares."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl
from nnfw_plugins.optimizers.common import (
    beta_param,
    defaults,
    epsilon_param,
    keras_optimizer,
)

PARAMS = (beta_param("beta1", 0.9, "decay of the running average of the gradients (m)"),
          beta_param("beta2", 0.999, "decay of the running average of the squared gradients (v)"),
          epsilon_param())


@hookimpl
def register_optimizers(register):
    """Register ``adam``."""
    register("adam", build,
             description="Adam in the lecture's operation order, epsilon 1e-7 by default "
                         "(the lecture's experiments set 0; Keras' Adam adds its epsilon to "
                         "sqrt(v) before bias correction).",
             formula="m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2;  "
                     "m^ = m / (1 - beta1^t);  v^ = v / (1 - beta2^t);  "
                     "w -= lr * m^ / (sqrt(v^) + epsilon)   (m, v start at 0; t = 1, 2, ...)",
             params=PARAMS,
             keras_objects=optimizer_class)


def define(base: type, ops: Any) -> type:
    """The Keras optimizer class, on the shared lecture-optimizer base."""

    class LectureAdam(base):
        """The lecture's Adam, slots ``m`` and ``v`` per variable."""

        slot_names = ("m", "v")
        hyperparameters = defaults(PARAMS)
        default_name = "lecture_adam"

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            """One step of the lecture's Adam, in the lecture's operation order."""
            lr = self.constant(learning_rate, variable)
            g = self.constant(gradient, variable)
            m, v = self.slots(variable)
            t = self.constant(self.iterations + 1, variable)
            beta1 = self.constant(self.beta1, variable)
            beta2 = self.constant(self.beta2, variable)
            one = self.constant(1.0, variable)
            m_new = self.average(m, g, self.beta1, variable)
            v_new = self.average(v, ops.square(g), self.beta2, variable)
            self.assign(m, m_new)
            self.assign(v, v_new)
            m_hat = ops.divide(m_new, ops.subtract(one, ops.power(beta1, t)))
            v_hat = ops.divide(v_new, ops.subtract(one, ops.power(beta2, t)))
            denominator = ops.add(ops.sqrt(v_hat), self.constant(self.epsilon, variable))
            self.assign_sub(variable, ops.divide(ops.multiply(lr, m_hat), denominator))

    return LectureAdam


build, optimizer_class = keras_optimizer(define)
