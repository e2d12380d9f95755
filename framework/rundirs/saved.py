"""Loading models that nnfw saved: plugin classes are defined before Keras looks for them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError
from nnfw.plugin.kinds import KINDS
from nnfw.plugin.registry import Registry

if TYPE_CHECKING:
    import keras



def define_plugin_classes(registry: Registry) -> tuple[dict[str, Any], list[str]]:
    """The Keras classes and functions of every installed entry, by their registered names
    (Keras' ``custom_objects``), and the entries that could give none.

    An entry that declares ``keras_objects`` is asked for them; one that does not is
    built once with its defaults, which defines (and registers) the classes of plugins
    that define them lazily, and is listed when that fails (a required hyperparameter).
    """
    import keras

    found: dict[str, Any] = {}
    skipped = []
    for kind in (k.name for k in KINDS.values() if k.keras):
        for entry in registry.entries(kind):
            try:
                if entry.keras_objects is not None:
                    objects = entry.keras_objects()
                    for obj in objects if isinstance(objects, list | tuple) else [objects]:
                        found[keras.saving.get_registered_name(obj)] = obj
                else:
                    entry.build_alone()
            except Exception:  # an entry that cannot say defines nothing we can use
                skipped.append(entry.qualified_name)
    return found, skipped


def load_model(path: str | Path, registry: Registry) -> keras.Model:
    """Load a ``.keras`` model saved by nnfw, in safe mode (no arbitrary code)."""
    import keras

    file = Path(path)
    if not file.is_file():
        raise UsageError(f"model file {str(file)!r} does not exist")
    custom_objects, _ = define_plugin_classes(registry)
    return keras.models.load_model(file, safe_mode=True, custom_objects=custom_objects)
