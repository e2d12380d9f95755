"""Shared by the activation plugins: a Keras-serializable activation class made from a function."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


@functools.cache
def activation_class(class_name: str, function: Callable[..., Any]) -> type:
    """A callable class applying ``function(x, **params)``, registered as ``nnfw>class_name``.

    Defined on first use so that importing a plugin module stays fast; cached so each
    activation gets exactly one class. Instances keep their parameters in ``get_config()``,
    so a model using them can be saved and loaded.
    """
    import keras

    class Activation:
        """An activation ``f(tensor) -> tensor`` with fixed hyperparameters."""

        def __init__(self, **params: Any) -> None:
            self.params = params

        def __call__(self, x: Any) -> Any:
            return function(x, **self.params)

        def get_config(self) -> dict[str, Any]:
            """The hyperparameters, enough to rebuild this activation."""
            return dict(self.params)

        @classmethod
        def from_config(cls, config: dict[str, Any]) -> Activation:
            """Rebuild the activation from ``get_config()``."""
            return cls(**config)

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
            return f"{class_name}({args})"

    Activation.__name__ = Activation.__qualname__ = class_name
    return keras.saving.register_keras_serializable(package="nnfw", name=class_name)(Activation)
