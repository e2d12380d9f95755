"""Counts the classification metrics share: the confusion matrix and per-class rates.

TensorFlow is imported inside each function: metric plugin modules import fast.
"""

from __future__ import annotations

from typing import Any

from nnfw import predicted_classes


def confusion(targets: Any, scores: Any) -> Any:
    """The confusion matrix, float32 ``[classes, classes]``: row = true class, column =
    predicted class. A product of one-hot matrices: exact for counts below 2**24, and
    compiled by XLA like any matrix product."""
    import tensorflow as tf

    classes = scores.shape[1]
    truth = tf.one_hot(targets, classes, dtype=tf.float32)
    predicted = tf.one_hot(predicted_classes(scores), classes, dtype=tf.float32)
    return tf.matmul(truth, predicted, transpose_a=True)


def per_class(targets: Any, scores: Any) -> tuple[Any, Any, Any, Any]:
    """``(true positives, predicted, actual, present)`` per class; ``present`` flags the
    classes that occur among the targets or the predictions, which macro averages
    average over (as scikit-learn's do)."""
    import tensorflow as tf

    matrix = confusion(targets, scores)
    hits = tf.linalg.diag_part(matrix)
    predicted = tf.reduce_sum(matrix, axis=0)
    actual = tf.reduce_sum(matrix, axis=1)
    return hits, predicted, actual, (predicted + actual) > 0


def ratio(numerator: Any, denominator: Any) -> Any:
    """``numerator / denominator`` element-wise, 0 where the denominator is 0."""
    import tensorflow as tf

    return tf.math.divide_no_nan(numerator, denominator)


def macro_mean(values: Any, present: Any) -> Any:
    """The mean of ``values`` over the ``present`` classes."""
    import tensorflow as tf

    return tf.reduce_sum(tf.where(present, values, 0.0)) / tf.reduce_sum(
        tf.cast(present, tf.float32))
