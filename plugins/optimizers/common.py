"""What the lecture's optimizers share: hyperparameter declarations and a Keras base class.

Importing this module does not import Keras; the base class is built on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from nnfw import Param

DEFAULT_EPSILON = 1e-7  # Keras' own default (keras.config.epsilon())


def beta_param(name: str, default: float, help: str) -> Param:
    """A decay rate of a running average, in ``[0, 1)``."""
    return Param(name, default, help, bounds="[0, 1)")


def epsilon_param() -> Param:
    """``epsilon``, added to the denominator as ``sqrt(.) + epsilon``.

    The default is Keras' own 1e-7, so that a weight whose gradients are all 0 (a constant
    feature) stays finite; 0 is the lecture's form, which the lecture's experiments set.
    """
    return Param("epsilon", DEFAULT_EPSILON,
                 "added to the denominator as sqrt(.) + epsilon, so that a weight whose "
                 "gradients were all 0 stays finite; 0 is the lecture's form (nan for such a "
                 "weight), which the lecture's experiments set",
                 bounds="[0, inf)")


def defaults(params: Sequence[Param]) -> dict[str, Any]:
    """The declared hyperparameters with their default values, in declaration order."""
    return {param.name: param.default for param in params}


@functools.cache
def lecture_optimizer_base() -> type:
    """The Keras base class of the lecture's optimizers, defined on first use.

    A subclass sets ``slot_names`` (one zero-initialised slot of each name per
    trained variable, created in ``build()`` in a stable order),
    ``hyperparameters`` (name -> default; stored as attributes and returned by
    ``get_config()``) and ``default_name``, and implements ``update_step``.
    """
    import keras
    from keras import ops

    class LectureOptimizer(keras.optimizers.Optimizer):
        """A Keras optimizer with named zero slots and plain-float hyperparameters."""

        slot_names: ClassVar[tuple[str, ...]] = ()
        hyperparameters: ClassVar[dict[str, Any]] = {}
        default_name: ClassVar[str] = "lecture_optimizer"

        def __init__(self, learning_rate: Any = 0.01, name: str | None = None,
                     **kwargs: Any) -> None:
            own = {key: kwargs.pop(key, default) for key, default in self.hyperparameters.items()}
            super().__init__(learning_rate=learning_rate, name=name or self.default_name,
                             **kwargs)
            for key, value in own.items():
                setattr(self, key, value)

        def build(self, var_list: list[Any]) -> None:
            """Create the slots of every variable, all starting at 0."""
            if self.built:
                return
            super().build(var_list)
            if self.slot_names:
                slots = self.add_optimizer_variables(var_list, list(self.slot_names))
                self._lecture_slots = [list(per_name) for per_name in slots]
            else:
                self._lecture_slots = []

        def slots(self, variable: Any) -> tuple[Any, ...]:
            """This variable's slots, in the order of ``slot_names``."""
            index = self._get_variable_index(variable)
            return tuple(per_name[index] for per_name in self._lecture_slots)

        @staticmethod
        def constant(value: Any, variable: Any) -> Any:
            """``value`` (a Python number or a tensor) as a tensor of ``variable``'s dtype."""
            return ops.convert_to_tensor(value, dtype=variable.dtype)

        def average(self, old: Any, new: Any, beta: float, variable: Any) -> Any:
            """``beta*old + (1-beta)*new``, with ``1-beta`` computed in Python as the lecture does."""
            return ops.add(ops.multiply(self.constant(beta, variable), old),
                           ops.multiply(self.constant(1.0 - beta, variable), new))

        def get_config(self) -> dict[str, Any]:
            """The base optimizer's settings plus this optimizer's hyperparameters."""
            config = super().get_config()
            config.update({key: getattr(self, key) for key in self.hyperparameters})
            return config

    return LectureOptimizer


def keras_optimizer(define: Callable[[type, Any], type]
                    ) -> tuple[Callable[..., Any], Callable[[], type]]:
    """``(build, optimizer_class)`` for an optimizer whose class ``define(base, ops)`` returns.

    The class is defined on first use (importing the plugin stays free of Keras)
    and registered as Keras-serializable under the package ``nnfw``; ``build``
    is the plugin's factory, ``build(learning_rate, **hyperparameters)``.
    """

    @functools.cache
    def optimizer_class() -> type:
        import keras
        from keras import ops

        return keras.saving.register_keras_serializable(package="nnfw")(
            define(lecture_optimizer_base(), ops))

    def build(learning_rate: Any, **hyperparameters: Any) -> Any:
        return optimizer_class()(learning_rate=learning_rate, **hyperparameters)

    return build, optimizer_class
