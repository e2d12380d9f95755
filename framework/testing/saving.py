"""The plugin kit's Keras checks: an object survives serialization and a save in a model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnfw.plugin.entries import Entry


def round_trip(obj: Any) -> None:
    """Serialize with Keras and back, in safe mode: the same object (a registered function)
    or one of the same class and config comes back."""
    import warnings

    import keras

    if isinstance(obj, int | float):
        return  # a constant learning rate: a number, nothing to serialize
    with warnings.catch_warnings():  # Keras warns about lambdas; the failure below says it
        warnings.simplefilter("ignore")
        again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(obj))
    if not hasattr(obj, "get_config"):
        if again is not obj:
            raise TypeError(f"{obj!r} came back as {again!r}: register it with "
                            "keras.saving.register_keras_serializable")
        return
    if type(again) is not type(obj) or again.get_config() != obj.get_config():
        raise ValueError(f"rebuilt as {type(again).__name__} with config {again.get_config()!r}, "
                         f"not {obj.get_config()!r}")


def save_in_model(entry: Entry, obj: Any, folder: Path) -> str:
    """A small model that uses ``obj``, saved as ``.keras``; returns the file's path."""
    import warnings

    import keras

    dense: dict[str, Any] = {}
    compile_with: dict[str, Any] = {"optimizer": "sgd", "loss": "mse"}
    if entry.kind == "activation":
        dense["activation"] = obj
    elif entry.kind == "initializer":
        dense["kernel_initializer"] = obj
    elif entry.kind == "regularizer":
        dense["kernel_regularizer"] = obj
    elif entry.kind == "loss":
        compile_with["loss"] = obj
    elif entry.kind == "optimizer":
        compile_with["optimizer"] = obj
    elif entry.kind == "schedule":
        compile_with["optimizer"] = keras.optimizers.SGD(learning_rate=obj)
    model = obj if entry.kind == "model" else keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(2, **dense)])
    model.compile(**compile_with)
    path = folder / f"{entry.kind}-{entry.name}.keras"
    with warnings.catch_warnings():  # Keras warns about lambdas; loading it then fails, and says so
        warnings.simplefilter("ignore")
        model.save(path)
    return str(path)
