"""A run's settings, resolved: the plugin chosen for each slot, and the scalar settings.

Settings are made by :func:`nnfw.config.resolve.resolve_settings` (defaults, a config file,
command-line options), which is where plugin names are looked up; everything after it
uses the chosen entries the settings hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nnfw.plugin.entries import Entry
from nnfw.plugin.params import sizes
from nnfw.rundirs.rundir import slug


@dataclass(frozen=True)
class Slot:
    """A setting that chooses one plugin of ``kind``; ``optional`` slots may be 'none'."""

    name: str
    kind: str
    help: str
    optional: bool = False


_ROWS = (
    Slot("dataset", "dataset", "the data set to train on"),
    Slot("model", "model", "the model architecture, built from the layer settings below"),
    Slot("optimizer", "optimizer", "the optimizer"),
    Slot("loss", "loss", "the loss (when none is given and the default does not fit the data's "
         "task: the loss registered as that task's default)"),
    Slot("schedule", "schedule", "the learning-rate schedule"),
    Slot("activation", "activation", "the activation of hidden layers"),
    Slot("output-activation", "activation", "the activation of the output layer"),
    Slot("init", "initializer", "the initializer of weights (kernels)"),
    Slot("bias-init", "initializer", "the initializer of biases"),
    Slot("regularizer", "regularizer", "the regularizer of weights (never biases), or 'none'",
         optional=True),
    Slot("strategy", "strategy", "where training runs: one device, several, or several machines"),
)
SLOTS: dict[str, Slot] = {slot.name: slot for slot in _ROWS}
LISTS: dict[str, str] = {"metrics": "metric"}  # settings naming several plugins of a kind
NONE = "none"
NAME_LIMIT = 64  # characters of a run's name; the rest of its directory's name must fit too


@dataclass(frozen=True)
class Choice:
    """The plugin chosen for a slot: the name it was chosen by (bare, or ``plugin:name``),
    its entry, its checked hyperparameters, and the distribution and version it comes from
    (for the run's provenance)."""

    name: str
    entry: Entry
    params: dict[str, Any]
    origin: tuple[str | None, str | None] = field(default=(None, None), compare=False)

    def build(self, *context: Any, **run: Any) -> Any:
        """A fresh object of the chosen entry: its factory called with the kind's context
        arguments, the run's facts it asks for (``epochs``) and the chosen hyperparameters."""
        return self.entry.build_in_run(context, run, self.params)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by kind and name (a factory need not pickle): unpickled in another process
        (a comparison's worker), the choice is that process's registry's entry."""
        return _chosen_again, (self.entry.kind, self.name, self.params, self.origin)


def _chosen_again(kind: str, name: str, params: dict[str, Any],
                  origin: tuple[str | None, str | None]) -> Choice:
    """A pickled :class:`Choice`, with the entry of this process's registry."""
    from nnfw.api import registry
    from nnfw.config.resolve import entry_named

    return Choice(name, entry_named(registry(), kind, name), params, origin)


@dataclass
class Settings:
    """Every training setting, resolved: the chosen plugins and the scalar settings."""

    chosen: dict[str, Choice | None] = field(default_factory=dict)
    scalars: dict[str, Any] = field(default_factory=dict)
    # slots whose plugin no one chose (the default's): how settings were resolved, not a setting
    defaulted: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def choices(self) -> dict[str, str | None]:
        """The chosen entries' names by slot (None for an optional slot left empty)."""
        return {slot: choice and choice.name for slot, choice in self.chosen.items()}

    @property
    def params(self) -> dict[str, dict[str, Any]]:
        """The chosen entries' hyperparameters by slot (slots left empty have none)."""
        return {slot: choice.params for slot, choice in self.chosen.items() if choice}

    @property
    def hidden(self) -> list[int]:
        """The hidden layer sizes."""
        return sizes(self.scalars["hidden"], "hidden")

    def entries(self) -> list[Entry]:
        """The chosen plugin entries."""
        return [choice.entry for choice in self.chosen.values() if choice]

    def build(self, slot: str, *context: Any, **run: Any) -> Any:
        """A fresh object from the plugin chosen for ``slot`` (None when the slot is empty);
        see :meth:`Choice.build`."""
        choice = self.chosen[slot]
        return None if choice is None else choice.build(*context, **run)

    def as_toml_dict(self) -> dict[str, Any]:
        """A dict that, written as TOML, is a config file giving these exact settings."""
        out: dict[str, Any] = dict(self.scalars)
        for slot, choice in self.chosen.items():
            out[slot] = {"name": NONE} if choice is None else {"name": choice.name,
                                                                **choice.params}
        return out


def run_name(settings: Settings, data_name: str) -> str:
    """The run's name, for its directory and figure titles: the ``name`` setting, or else the
    data set's name (``Dataset.name``), or else the data set plugin's, as folder-safe text."""
    return (settings.scalars.get("name") or slug(data_name, NAME_LIMIT)
            or slug(str(settings.choices.get("dataset") or ""), NAME_LIMIT) or "run")


def split_names(text: str) -> list[str]:
    """Plugin names from comma-separated text ('accuracy, f1'); empty text gives none."""
    return [name.strip() for name in text.split(",") if name.strip()]
