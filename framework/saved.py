"""Loading models that nnfw saved: plugin classes are defined before Keras looks for them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError
from nnfw.registry import Registry

if TYPE_CHECKING:
    import keras

# Arguments that stand in for the context a factory of these kinds is called with.
_CONTEXT: dict[str, tuple[Any, ...]] = {"optimizer": (0.01,), "schedule": (0.01, 1)}
_KERAS_KINDS = ("optimizer", "loss", "schedule", "activation", "regularizer", "initializer")


def define_plugin_classes(registry: Registry) -> list[str]:
    """Build every Keras-object entry once with its defaults, so that plugins which define
    their Keras classes lazily have registered them; return the entries that could not be built
    (for example those with required hyperparameters)."""
    skipped = []
    for kind in _KERAS_KINDS:
        for entry in registry.entries(kind):
            try:
                entry.create(*_CONTEXT.get(kind, ()), **entry.run_keywords({"epochs": 1}),
                             **entry.resolve({}))
            except Exception:  # an entry that needs more than defaults defines nothing we need
                skipped.append(entry.qualified_name)
    return skipped


def load_model(path: str | Path, registry: Registry) -> keras.Model:
    """Load a ``.keras`` model saved by nnfw, in safe mode (no arbitrary code)."""
    import keras

    file = Path(path)
    if not file.is_file():
        raise UsageError(f"model file {str(file)!r} does not exist")
    import nnfw.layers  # noqa: F401  (registers the layer class the models are made of)

    define_plugin_classes(registry)
    return keras.models.load_model(file, safe_mode=True)
