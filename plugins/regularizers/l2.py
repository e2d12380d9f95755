"""L2 regularization, the lecture's ``REGULARIZER * tf.nn.l2_loss(w)``."""

from __future__ import annotations

from typing import Any

from nnfw import Param, hookimpl
from nnfw_plugins.regularizers._regularizer import regularizer_class


@hookimpl
def register_regularizers(register):
    """Register ``l2``."""
    register("l2", build, description="L2 weight penalty: scale * sum(w^2) / 2, on weights only.",
             formula="loss = loss_mse + REGULARIZER * l2(w), l2(w) = sum(w^2) / 2",
             params=[Param("scale", 0.03, "REGULARIZER, the weight of the penalty",
                           bounds="[0, inf)")],
             keras_objects=keras_class)


def l2(weights: Any, scale: float) -> Any:
    """``scale * sum(w^2) / 2``, computed as ``scale * tf.nn.l2_loss(w)``."""
    import tensorflow as tf

    return scale * tf.nn.l2_loss(tf.convert_to_tensor(weights))


def build(scale: float) -> Any:
    """A serializable Keras L2 regularizer."""
    return keras_class()(scale=scale)


def keras_class() -> type:
    """The Keras class of this regularizer (defined on first use), for saving and loading models."""
    return regularizer_class("L2", l2)
