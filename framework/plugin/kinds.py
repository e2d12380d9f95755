"""The kinds of plugin entry nnfw knows: one row per kind, everything else derived from it.

A new kind is one row here plus its hook spec in :mod:`nnfw.hookspecs`; listings
(``nnfw list KIND``), ``register`` checking, the Python API's builders and loading
saved models read what they need from the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nnfw.plugin.model_context import STAND_IN as MODEL_STAND_IN

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class Kind:
    """One kind of plugin entry.

    ``context`` names the arguments its factory receives by position before the
    declared hyperparameters, and ``stand_in`` the values used for them when an
    entry is built outside any run (to check it, or to define its Keras classes).
    ``run_keywords`` are facts about the run a factory gets as keywords if it
    names them. ``extras`` are the further ``register`` keywords with their
    defaults, ``extra_choices`` the few words some of them accept. ``keras``
    says whether the entry's objects are Keras objects, which saved models hold.
    ``builds`` says in a few words what the entry's factory returns, and ``defaults``
    gives the Python API's default for context arguments that have one.
    """

    name: str
    plural: str
    builds: str
    context: tuple[str, ...] = ()
    stand_in: tuple[Any, ...] = ()
    run_keywords: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)
    extra_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keras: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def hook(self) -> str:
        """The name of the hook a plugin implements to register entries of this kind."""
        return f"register_{self.plural}"


_ROWS = (
    Kind("optimizer", "optimizers", "a Keras optimizer (learning_rate: a float or a Keras "
         "LearningRateSchedule)", context=("learning_rate",), stand_in=(0.01,), keras=True,
         defaults={"learning_rate": 0.01}),
    Kind("loss", "losses", "a Keras loss", keras=True,
         extras={"tasks": TASKS, "per_class_outputs": False, "reduction": "mean",
                 "probabilities": None, "default_for": ()},
         extra_choices={"reduction": ("mean", "sum")}),
    Kind("schedule", "schedules", "a learning-rate schedule starting at learning_rate, for "
         "epochs of steps_per_epoch (epochs, the run's planned length, reaches schedules that "
         "ask for it)", context=("learning_rate", "steps_per_epoch"), stand_in=(0.01, 1),
         run_keywords=("epochs",), keras=True, defaults={"steps_per_epoch": 1}),
    Kind("activation", "activations", "an activation function (tensor -> tensor)", keras=True),
    Kind("regularizer", "regularizers", "a Keras weight regularizer", keras=True),
    Kind("initializer", "initializers", "a Keras initializer", keras=True),
    Kind("dataset", "datasets", "a data set split into train and test parts",
         extras={"read_rows": None}),
    Kind("strategy", "strategies", "a tf.distribute.Strategy (build it before any model)"),
    Kind("experiment", "experiments", "the path of a TOML config file"),
    Kind("function", "functions", "an objective function (an nnfw.Objective)"),
    Kind("model", "models", "a Keras model for an nnfw.ModelContext (context)", context=("context",),
         stand_in=(MODEL_STAND_IN,), keras=True),
    Kind("metric", "metrics", "a metric function (targets, outputs) -> tensor",
         extras={"tasks": TASKS, "better": "higher", "per_epoch": True, "default": False},
         extra_choices={"better": ("higher", "lower")}),
)
KINDS: dict[str, Kind] = {kind.name: kind for kind in _ROWS}
PLURALS: dict[str, str] = {kind.plural: kind.name for kind in _ROWS}
HOOKS: dict[str, str] = {kind.hook: kind.name for kind in _ROWS}


def kind_named(text: str) -> str | None:
    """The kind ``text`` names, singular or plural ('losses' -> 'loss'), or None."""
    return PLURALS.get(text) or (text if text in KINDS else None)
