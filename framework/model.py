"""Building the model nnfw trains: a stack of dense layers chosen by settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError
from nnfw.registry import Registry
from nnfw.settings import SLOTS, Settings

if TYPE_CHECKING:
    import keras
    import numpy as np

    from nnfw.data import Dataset


@dataclass(frozen=True)
class Targets:
    """How a data set's targets meet the model's output.

    ``units`` outputs; for classification, ``one_hot`` says whether targets are
    one-hot rows (one output per class) or a single 0/1 column.
    """

    units: int
    classification: bool
    one_hot: bool

    def encode(self, y: np.ndarray) -> np.ndarray:
        """The targets the loss compares with the model's output."""
        import numpy as np

        if not self.classification:
            return y.astype(np.float32)
        if self.one_hot:
            return np.eye(self.units, dtype=np.float32)[y]
        return y.astype(np.float32).reshape(-1, 1)


def plan_targets(data: Dataset, loss_name: str, registry: Registry) -> Targets:
    """Choose the output size and target encoding for this data and loss; reject misfits."""
    entry = registry.get("loss", loss_name)
    tasks = entry.extras["tasks"]
    if data.task not in tasks:
        fitting = [e.name for e in registry.entries("loss") if data.task in e.extras["tasks"]]
        raise UsageError(f"loss {loss_name!r} fits {' or '.join(tasks)} data, but data set "
                         f"{data.name!r} is {data.task}; losses that fit: {', '.join(fitting)}")
    if data.task == "regression":
        return Targets(units=int(data.y_train.shape[1]), classification=False, one_hot=False)
    if data.num_classes == 2 and not entry.extras["per_class_outputs"]:
        return Targets(units=1, classification=True, one_hot=False)
    return Targets(units=data.num_classes, classification=True, one_hot=True)


def build(settings: Settings, registry: Registry, slot: str) -> Any:
    """A fresh object from the plugin chosen for ``slot`` (None when the slot is unset)."""
    name = settings.choices[slot]
    if name is None:
        return None
    return registry.get(SLOTS[slot], name).create(**settings.params[slot])


def build_model(settings: Settings, registry: Registry, inputs: int, outputs: int) -> keras.Model:
    """Dense layers of the hidden sizes, then an output layer; built, with weights initialised.

    Each layer gets fresh initializer, activation and regularizer objects, in
    layer order, kernel before bias, so seeded initializers draw as the lecture does.
    """
    import keras

    from nnfw.layers import LectureDense

    layers: list[keras.layers.Layer] = [keras.Input(shape=(inputs,))]
    sizes = settings.hidden
    for index, units in enumerate([*sizes, outputs]):
        last = index == len(sizes)
        layers.append(LectureDense(
            units,
            activation=build(settings, registry, "output-activation" if last else "activation"),
            use_bias=settings.scalars["bias"],
            kernel_initializer=build(settings, registry, "init"),
            bias_initializer=build(settings, registry, "bias-init"),
            kernel_regularizer=build(settings, registry, "regularizer"),
            name="output" if last else f"hidden{index + 1}",
        ))
    return keras.Sequential(layers, name="nnfw")
