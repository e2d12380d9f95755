"""L1 regularization: ``REGULARIZER * sum(|w|)``."""

from __future__ import annotations

from typing import Any

from nnfw import Param, hookimpl
from nnfw_plugins.regularizers._regularizer import regularizer_class


@hookimpl
def register_regularizers(register):
    """Register ``l1``."""
    register("l1", build, description="L1 weight penalty: scale * sum(|w|), on weights only.",
             formula="loss = loss_mse + REGULARIZER * l1(w), l1(w) = sum(|w|)",
             params=[Param("scale", 0.01, "REGULARIZER, the weight of the penalty",
                           bounds="[0, inf)")],
             keras_objects=keras_class)


def l1(weights: Any, scale: float) -> Any:
    """``scale * sum(|w|)``."""
    import tensorflow as tf

    return scale * tf.reduce_sum(tf.abs(tf.convert_to_tensor(weights)))


def build(scale: float) -> Any:
    """A serializable Keras L1 regularizer."""
    return keras_class()(scale=scale)


def keras_class() -> type:
    """The Keras class of this regularizer (defined on first use), for saving and loading models."""
    return regularizer_class("L1", l1)
