"""What a model plugin's factory gets: the shapes of the run and the layer parts it chose."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LAYER_PARTS = ("activation", "output-activation", "init", "bias-init", "regularizer")


def _no_parts(part: str) -> Any:
    return None


@dataclass(frozen=True)
class ModelContext:
    """The run's facts a model needs, passed to every model factory as its first argument.

    ``input_shape`` is the shape of one example (``(features,)`` for a table; the
    data set's ``input_shape`` for flattened images or sequences), ``inputs`` the
    number of feature columns the model receives (rows of ``inputs`` numbers, always:
    a model for images reshapes them itself), ``outputs`` the output units the loss
    needs, ``hidden`` the hidden layer sizes and ``bias`` whether layers get biases
    (``--hidden``, ``--bias``). The methods give fresh objects, one per call, from the
    plugins the run chose for the layer settings (``--activation``, ``--init``, ...):
    call them once per layer, in layer order, so that seeded initializers draw as a
    plain Keras model built the same way would. Any of them may be None (no
    regularizer, Keras' default).
    """

    input_shape: tuple[int, ...]
    outputs: int
    hidden: tuple[int, ...] = ()
    bias: bool = True
    parts: Callable[[str], Any] = field(default=_no_parts, repr=False)

    @property
    def inputs(self) -> int:
        """How many feature columns each row has."""
        return math.prod(self.input_shape)

    def activation(self) -> Any:
        """The activation of hidden layers (``--activation``)."""
        return self.parts("activation")

    def output_activation(self) -> Any:
        """The activation of the output layer (``--output-activation``)."""
        return self.parts("output-activation")

    def kernel_initializer(self) -> Any:
        """The initializer of weights (``--init``)."""
        return self.parts("init")

    def bias_initializer(self) -> Any:
        """The initializer of biases (``--bias-init``)."""
        return self.parts("bias-init")

    def kernel_regularizer(self) -> Any:
        """The regularizer of weights (``--regularizer``), or None."""
        return self.parts("regularizer")


# what a model entry is built for when built alone (to check it, or define its classes): one
# 8 x 8 x 1 example (64 feature columns, which a dense model takes as they are), 2 outputs
STAND_IN = ModelContext(input_shape=(8, 8, 1), outputs=2)
