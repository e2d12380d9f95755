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
from nnfw.data import Dataset
from nnfw.deadline import deadline
from nnfw.errors import NnfwError, NnfwWarning, PluginError, UsageError
from nnfw.files import read_data_text
from nnfw.hookspecs import hookimpl
from nnfw.model_context import ModelContext
from nnfw.objective import Objective
from nnfw.params import Param
from nnfw.predictions import predicted_classes
from nnfw.suggest import unknown_name_message

__version__ = "0.1.0"

__all__ = [
    "Dataset", "ModelContext", "NnfwError", "NnfwWarning", "Objective", "Param", "PluginError",
    "UsageError", "activation", "dataset", "deadline", "function", "hookimpl", "initializer",
    "load_model", "loss", "metric", "model", "optimizer", "predicted_classes", "read_data_text", "registry",
    "regularizer", "schedule", "strategy", "train", "unknown_name_message",
]
