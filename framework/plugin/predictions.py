"""What a model's outputs predict: the scores metrics see, the class each row predicts.

Public (``nnfw.predicted_classes``), so that a third party's metrics decide classes as
the built-in ones do.
"""

from __future__ import annotations

from typing import Any


def metric_outputs(prediction: Any, binary: bool) -> Any:
    """The model's outputs as metrics receive them: for classification, one score per class
    (a one-output ``binary`` model's ``p`` as ``[1 - p, p]``); for regression, as they are."""
    import tensorflow as tf

    if binary:
        return tf.concat([1.0 - prediction, prediction], axis=1)
    return prediction


def predicted_classes(scores: Any) -> Any:
    """The class each row of ``scores`` ``[rows, classes]`` predicts (int32): the highest score,
    the first on a tie; NaN scores count as the lowest, so that a diverged model predicts
    class 0 everywhere, on every device and under XLA alike (as TensorFlow's CPU kernel
    does by itself)."""
    import tensorflow as tf

    scores = tf.where(tf.math.is_nan(scores), -float("inf"), scores)
    return tf.argmax(scores, axis=1, output_type=tf.int32)
