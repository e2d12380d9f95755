"""The layer of the `dense` model: Keras' ``Dense``, adding the bias as the lecture does.

Importing this module imports Keras: the `dense` plugin imports it only when a model is built.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="nnfw")
class LectureDense(keras.layers.Dense):
    """``activation(x @ w + b)`` with the bias added by ``tf.add``, as ``tf.matmul(x, w) + b``.

    Keras' ``Dense`` adds its bias with ``tf.nn.bias_add``, whose gradient sums the
    batch in another order than the gradient of ``+``: with 11 units the lecture's
    bias gradients then differ in the last bit from the first step on. Everything
    else (weights, initializers, regularizers, saving) is Keras' ``Dense``.
    """

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """The layer's output for a batch ``inputs``."""
        x = tf.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = tf.add(x, self.bias)
        return self.activation(x)
