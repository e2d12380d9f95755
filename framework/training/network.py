"""The network a run trains: its output size and target encoding, and the model plugin's model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nnfw.config.settings import Settings
from nnfw.plugin.entries import Entry
from nnfw.plugin.isolation import check_result
from nnfw.plugin.model_context import ModelContext

if TYPE_CHECKING:
    import keras
    import numpy as np

    from nnfw.plugin.data import Dataset


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


def plan_targets(data: Dataset, loss: Entry) -> Targets:
    """The output size and target encoding for this data and a loss that fits it."""
    if data.task == "regression":
        return Targets(units=int(data.y_train.shape[1]), classification=False, one_hot=False)
    if data.num_classes == 2 and not loss.extras["per_class_outputs"]:
        return Targets(units=1, classification=True, one_hot=False)
    return Targets(units=data.num_classes, classification=True, one_hot=True)


def build_model(settings: Settings, input_shape: tuple[int, ...], outputs: int) -> keras.Model:
    """The model the settings choose (``--model``), built by its plugin with the run's shapes
    and layer parts (see :class:`nnfw.ModelContext`); built, with weights initialised."""
    context = ModelContext(input_shape=tuple(input_shape), outputs=outputs,
                           hidden=tuple(settings.hidden), bias=settings.scalars["bias"],
                           parts=settings.build)
    model_choice = settings.chosen["model"]
    assert model_choice is not None  # not an optional slot
    entry = model_choice.entry
    # called directly, not through Entry.create: the model's factory runs the code of the
    # layer parts' plugins too, and the run's guard names whichever plugin's code raised
    model = entry.factory(context, **model_choice.params)
    check_result(entry, model)
    if not model.built:
        model.build((None, context.inputs))
    return model
