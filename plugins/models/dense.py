"""The ``dense`` model: the lecture's stack of dense layers, with optional dropout and batch norm."""

from __future__ import annotations

from typing import Any

from nnfw import ModelContext, Param, hookimpl


@hookimpl
def register_models(register):
    """Register ``dense``."""
    register("dense", build,
             description="Dense layers of the --hidden sizes, then the output layer (the lecture's "
                         "network).",
             formula="h1 = act(x @ w1 + b1); ...; y = out_act(h_k @ w_out + b_out)",
             notes="Every layer takes its activation, initializers and regularizer from the run's "
                   "layer settings (--activation, --output-activation, --init, --bias-init, "
                   "--regularizer, --bias). dropout and batch_norm act after each hidden layer "
                   "(batch norm before the activation), never after the output layer.",
             params=[
                 Param("dropout", 0.0, "share of each hidden layer's outputs dropped while "
                       "training (0: no dropout layers)", bounds="[0, 1)"),
                 Param("batch_norm", False, "normalise each hidden layer's sums over the batch "
                       "before its activation"),
             ],
             keras_objects=layer_class)


def layer_class() -> type:
    """The Keras class of the model's layers (saved models name it ``nnfw>LectureDense``)."""
    from nnfw_plugins.models.dense_layer import LectureDense

    return LectureDense


def build(context: ModelContext, dropout: float = 0.0, batch_norm: bool = False) -> Any:
    """The dense stack for ``context``: layers named hidden1, hidden2, ..., output."""
    import keras

    dense = layer_class()
    layers: list[Any] = [keras.Input(shape=(context.inputs,))]
    for index, units in enumerate(context.hidden, start=1):
        activation = context.activation()
        layers.append(dense(units, activation=None if batch_norm else activation,
                            use_bias=context.bias, kernel_initializer=context.kernel_initializer(),
                            bias_initializer=context.bias_initializer(),
                            kernel_regularizer=context.kernel_regularizer(), name=f"hidden{index}"))
        if batch_norm:
            layers += [keras.layers.BatchNormalization(name=f"batch_norm{index}"),
                       keras.layers.Activation(activation, name=f"activation{index}")]
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout{index}"))
    layers.append(dense(context.outputs, activation=context.output_activation(),
                        use_bias=context.bias, kernel_initializer=context.kernel_initializer(),
                        bias_initializer=context.bias_initializer(),
                        kernel_regularizer=context.kernel_regularizer(), name="output"))
    return keras.Sequential(layers, name="nnfw")
