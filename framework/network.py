"""The network a run trains: its output size and target encoding, and the model plugin's model."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError
from nnfw.isolation import check_result
from nnfw.model_context import ModelContext
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


def loss_for_task(settings: Settings, registry: Registry, task: str) -> Settings:
    """The settings, with the loss that declares itself the default for ``task``
    (``default_for``) in place of a default loss (one no one chose) that does not fit the
    data; as they are otherwise, or when no single loss declares that."""
    name = settings.choices["loss"]
    if "loss" not in settings.defaulted or task in registry.get("loss", name).extras["tasks"]:
        return settings
    found = [e for e in registry.entries("loss") if task in e.extras["default_for"]]
    if len(found) != 1:
        return settings
    return replace(settings, choices={**settings.choices, "loss": found[0].name},
                   params={**settings.params, "loss": found[0].resolve({})})


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


def build_model(settings: Settings, registry: Registry, input_shape: tuple[int, ...],
                outputs: int) -> keras.Model:
    """The model the settings choose (``--model``), built by its plugin with the run's shapes
    and layer parts (see :class:`nnfw.ModelContext`); built, with weights initialised."""
    context = ModelContext(input_shape=tuple(input_shape), outputs=outputs,
                           hidden=tuple(settings.hidden), bias=settings.scalars["bias"],
                           parts=lambda part: build(settings, registry, part))
    entry = registry.get("model", settings.choices["model"])
    # called directly, not through Entry.create: the model's factory runs the code of the
    # layer parts' plugins too, and the run's guard names whichever plugin's code raised
    model = entry.factory(context, **settings.params["model"])
    check_result(entry, model)
    if not model.built:
        model.build((None, context.inputs))
    return model
