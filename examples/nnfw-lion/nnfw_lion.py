"""Lion, an optimizer nnfw does not ship, added by a third-party plugin.

The update for each weight ``w`` with gradient ``g`` and one slot ``m`` (zeros at first)::

    c = b1*m + (1-b1)*g
    w -= lr*(sign(c) + weight_decay*w)
    m = b2*m + (1-b2)*g

Only nnfw's public API is used. Keras is imported on first use, never at import
time, so ``nnfw list-plugins`` stays fast with this plugin installed.
"""

from __future__ import annotations

import functools
from typing import Any

from nnfw import Param, hookimpl

FORMULA = "c = b1*m + (1-b1)*g; w -= lr*(sign(c) + weight_decay*w); m = b2*m + (1-b2)*g"

PARAMS = (
    Param("b1", 0.9, "how much of the slot m goes into the step direction c", bounds="[0, 1)"),
    Param("b2", 0.99, "decay of the slot m, a moving average of the gradients", bounds="[0, 1)"),
    Param("weight_decay", 0.0, "pull of each weight towards zero, scaled by lr",
          bounds="[0, inf)"),
)


@hookimpl
def register_optimizers(register):
    """Register ``lion``."""
    register("lion", build, description="Lion: steps of size lr along the sign of a momentum.",
             formula=FORMULA, params=PARAMS, keras_objects=optimizer_class)


def build(learning_rate: Any, b1: float, b2: float, weight_decay: float) -> Any:
    """A Keras optimizer applying the Lion rule; ``learning_rate`` may be a schedule."""
    return optimizer_class()(learning_rate=learning_rate, b1=b1, b2=b2,
                             weight_decay=weight_decay)


@functools.cache
def optimizer_class() -> type:
    """The Keras optimizer class, defined on first use so that importing this module stays fast."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="nnfw_lion")
    class Lion(keras.optimizers.Optimizer):
        """The Lion rule for every variable, with one slot ``m`` per variable.

        ``weight_decay`` is Lion's own term inside the step. It is kept apart from
        the Keras base class's ``weight_decay``, which Keras would apply as a
        separate step before ``update_step`` and so change the order of operations.
        """

        def __init__(self, learning_rate: Any = 1e-4, b1: float = 0.9, b2: float = 0.99,
                     weight_decay: float = 0.0, name: str = "lion", **kwargs: Any):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)
            self.b1 = b1
            self.b2 = b2
            self.lion_weight_decay = weight_decay

        def build(self, variables: list[Any]) -> None:
            """Create the slot ``m`` (zeros) for each trained variable."""
            if self.built:
                return
            super().build(variables)
            self._momentums = [self.add_variable_from_reference(v, "momentum")
                               for v in variables]

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            """Apply one Lion step to ``variable``, then update its slot."""
            dtype = variable.dtype
            lr = ops.cast(learning_rate, dtype)
            g = ops.cast(gradient, dtype)
            b1 = ops.cast(self.b1, dtype)
            b2 = ops.cast(self.b2, dtype)
            decay = ops.cast(self.lion_weight_decay, dtype)
            m = self._momentums[self._get_variable_index(variable)]
            c = ops.add(ops.multiply(b1, m), ops.multiply(ops.subtract(1.0, b1), g))
            step = ops.add(ops.sign(c), ops.multiply(decay, variable))
            self.assign_sub(variable, ops.multiply(lr, step))
            self.assign(m, ops.add(ops.multiply(b2, m), ops.multiply(ops.subtract(1.0, b2), g)))

        def get_config(self) -> dict[str, Any]:
            """The hyperparameters, so that a saved model's optimizer can be rebuilt."""
            config = super().get_config()
            config.update(b1=self.b1, b2=self.b2, weight_decay=self.lion_weight_decay)
            return config

    return Lion
