"""Softmax cross-entropy ``H(y_, y) = -sum(y_ * ln y)``, averaged over the batch."""

from __future__ import annotations

from typing import Any

from nnfw import Param, hookimpl
from nnfw_plugins.losses._loss import loss_class


@hookimpl
def register_losses(register):
    """Register ``cross-entropy``."""
    register("cross-entropy", build, tasks=("classification",), per_class_outputs=True,
             probabilities=probabilities,
             description="Cross-entropy between label and predicted class distributions.",
             formula="H(y_, y) = -sum(y_ * ln y)",
             params=[Param("from_logits", True,
                           "outputs are logits (fused softmax-cross-entropy); "
                           "false: outputs are probabilities")],
             keras_objects=keras_class)


def cross_entropy(y_true: Any, y_pred: Any, from_logits: bool) -> Any:
    """The batch mean of ``-sum(y_ * ln y)``; ``y`` is ``softmax(y_pred)`` when ``from_logits``.

    ``y_true`` is one-hot rows (same shape as ``y_pred``) or integer class ids (one fewer
    axis, or a last axis of size 1). On probabilities ``0 * ln 0`` counts as 0.
    """
    import tensorflow as tf

    labels = one_hot_labels(y_true, y_pred)
    if from_logits:
        per_sample = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
    else:
        per_sample = -tf.reduce_sum(tf.math.xlogy(labels, y_pred), axis=-1)
    return tf.reduce_mean(per_sample)


def probabilities(outputs: Any, from_logits: bool) -> Any:
    """The class probabilities the loss reads in the model's ``outputs`` [rows, classes]:
    their softmax when they are logits, else the outputs themselves."""
    import numpy as np

    if not from_logits:
        return outputs
    shifted = np.exp(outputs - np.max(outputs, axis=1, keepdims=True))  # no overflow
    return shifted / np.sum(shifted, axis=1, keepdims=True)


def one_hot_labels(y_true: Any, y_pred: Any) -> Any:
    """``y_true`` as one-hot rows like ``y_pred``, told from integer ids by its shape."""
    import tensorflow as tf

    y_true = tf.convert_to_tensor(y_true)
    y_pred = tf.convert_to_tensor(y_pred)
    classes = y_pred.shape[-1]
    if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == classes:
        return tf.cast(y_true, y_pred.dtype)
    if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, axis=-1)
    return tf.one_hot(tf.cast(y_true, tf.int32), classes, dtype=y_pred.dtype)


def build(from_logits: bool) -> Any:
    """A serializable Keras cross-entropy loss."""
    return keras_class()(from_logits=from_logits)


def keras_class() -> type:
    """The Keras class of this loss (defined on first use), for saving and loading models."""
    return loss_class("CrossEntropy", cross_entropy)
