"""nnfw: a plugin-based neural-network training framework on TensorFlow 2 / Keras 3.

Importing nnfw never imports TensorFlow. Build things by name::

    import nnfw
    opt = nnfw.optimizer("rmsprop", learning_rate=0.01, beta=0.9)
    data = nnfw.dataset("iris")

Write a plugin with :data:`hookimpl` and :class:`Param`; see ``nnfw.hookspecs``.
"""

from nnfw.api import (
    activation,
    dataset,
    function,
    initializer,
    load_model,
    loss,
    metric,
    model,
    optimizer,
    registry,
    regularizer,
    schedule,
    strategy,
    train,
)
from nnfw.errors import NnfwError, NnfwWarning, PluginError, UsageError
from nnfw.hookspecs import hookimpl
from nnfw.plugin.data import Dataset
from nnfw.plugin.deadline import deadline
from nnfw.plugin.files import read_data_text
from nnfw.plugin.model_context import ModelContext
from nnfw.plugin.objective import Objective
from nnfw.plugin.params import Param, Sizes
from nnfw.plugin.predictions import predicted_classes
from nnfw.plugin.suggest import unknown_name_message

__version__ = "0.1.0"

__all__ = [
    "Dataset", "ModelContext", "NnfwError", "NnfwWarning", "Objective", "Param", "PluginError", "Sizes",
    "UsageError", "activation", "dataset", "deadline", "function", "hookimpl", "initializer",
    "load_model", "loss", "metric", "model", "optimizer", "predicted_classes", "read_data_text", "registry",
    "regularizer", "schedule", "strategy", "train", "unknown_name_message",
]
