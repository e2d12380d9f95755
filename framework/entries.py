"""Plugin entries: the kinds nnfw knows and one registered thing of a kind."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nnfw.errors import NnfwError, PluginError, strict_from_env
from nnfw.model_context import STAND_IN as MODEL_STAND_IN
from nnfw.params import Param, resolve

# kind -> (plural used on the command line, hook name, extra register keywords with defaults)
KINDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "optimizer": ("optimizers", "register_optimizers", {}),
    "loss": ("losses", "register_losses",
             {"tasks": ("classification", "regression"), "per_class_outputs": False,
              "reduction": "mean", "probabilities": None,
              "default_for": ()}),
    "schedule": ("schedules", "register_schedules", {}),
    "activation": ("activations", "register_activations", {}),
    "regularizer": ("regularizers", "register_regularizers", {}),
    "initializer": ("initializers", "register_initializers", {}),
    "dataset": ("datasets", "register_datasets", {"read_rows": None}),
    "strategy": ("strategies", "register_strategies", {}),
    "experiment": ("experiments", "register_experiments", {}),
    "function": ("functions", "register_functions", {}),
    "model": ("models", "register_models", {}),
    "metric": ("metrics", "register_metrics",
               {"tasks": ("classification", "regression"), "better": "higher",
                "per_epoch": True, "default": False}),
}
# register keywords whose values must be one of a few words: (kind, keyword) -> accepted
EXTRA_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {("loss", "reduction"): ("mean", "sum"),
                                                         ("metric", "better"): ("higher", "lower")}
PLURALS = {plural: kind for kind, (plural, _, _) in KINDS.items()}
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Entry:
    """One thing a plugin provides: a named, described, parameterised factory."""

    kind: str
    name: str
    factory: Callable[..., Any]
    description: str
    plugin: str
    params: tuple[Param, ...] = ()
    formula: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None
    keras_objects: Callable[[], Any] | None = None

    @property
    def qualified_name(self) -> str:
        """``plugin:name``, which names this entry even when another plugin uses ``name``."""
        return f"{self.plugin}:{self.name}"

    def resolve(self, given: dict[str, Any]) -> dict[str, Any]:
        """Check hyperparameters against the declared ones, with defaults filled in."""
        return resolve(self.params, given, owner=f"{self.kind} {self.name!r}")

    def build(self, *context: Any, **given: Any) -> Any:
        """Call the factory with context arguments and checked hyperparameters."""
        return self.create(*context, **self.resolve(given))

    def run_keywords(self, available: dict[str, Any]) -> dict[str, Any]:
        """Of the run's facts in ``available`` (see :data:`RUN_KEYWORDS`), those this entry's
        factory names as parameters: a factory that does not ask for them never gets them."""
        try:
            parameters = inspect.signature(self.factory).parameters
        except (TypeError, ValueError):
            return {}
        return {key: value for key, value in available.items()
                if key in RUN_KEYWORDS.get(self.kind, ()) and key in parameters}

    def build_alone(self) -> Any:
        """The entry built outside any run: stand-in context, default hyperparameters."""
        return self.create(*STAND_IN_CONTEXT.get(self.kind, ()), **self.run_keywords(STAND_IN_RUN),
                           **self.resolve({}))

    def create(self, *context: Any, **resolved: Any) -> Any:
        """Call the factory with already checked hyperparameters; check what it returns.

        An nnfw error (bad input found by the plugin) passes through; any other
        exception (``SystemExit`` and other ``BaseException``s included, Ctrl-C not) is a
        fault of the plugin and becomes a PluginError naming it, as does a result that
        breaks the kind's contract (or propagates as it is in strict mode, for plugin
        authors). What the factory changed for the whole process is put back.
        """
        from nnfw.isolation import check_result, contained, describe

        who = f"{self.kind} {self.name!r} of plugin {self.plugin!r}"
        with contained(who):
            try:
                result = self.factory(*context, **resolved)
            except (NnfwError, KeyboardInterrupt):
                raise
            except BaseException as exc:
                if strict_from_env():
                    raise
                raise PluginError(f"{who} failed: {describe(exc)} "
                                  f"(NNFW_STRICT_PLUGINS=1 shows the traceback)") from exc
        check_result(self, result)
        return result


# what a factory of each kind is called with before the declared hyperparameters, and the
# values that stand in for them when an entry is built alone (to check it, or define its classes)
CONTEXT_ARGUMENTS: dict[str, tuple[str, ...]] = {"optimizer": ("learning_rate",),
                                                 "schedule": ("learning_rate", "steps_per_epoch"),
                                                 "model": ("context",)}
STAND_IN_CONTEXT: dict[str, tuple[Any, ...]] = {"optimizer": (0.01,), "schedule": (0.01, 1),
                                                "model": (MODEL_STAND_IN,)}
STAND_IN_RUN = {"epochs": 1}
# the kinds whose factories return Keras objects, which saved models hold
KERAS_KINDS = ("optimizer", "loss", "schedule", "activation", "regularizer", "initializer", "model")
# facts about the run a factory of a kind gets as keywords if it names them as parameters
RUN_KEYWORDS: dict[str, tuple[str, ...]] = {"schedule": ("epochs",)}


def _check_signature(kind: str, name: str, factory: Callable[..., Any], params: list[str]) -> None:
    """Raise ValueError when ``factory`` cannot be called as nnfw will call it: the kind's
    context arguments by position, then every declared hyperparameter by keyword."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins have none to read: nothing to check
        return
    context = [object()] * len(CONTEXT_ARGUMENTS.get(kind, ()))
    run = [key for key in RUN_KEYWORDS.get(kind, ()) if key in signature.parameters]
    try:
        signature.bind(*context, **dict.fromkeys([*params, *run]))
    except TypeError as exc:
        declared = ", ".join(params) or "none"
        raise ValueError(f"{kind} {name!r}: its factory cannot be called with the declared "
                         f"hyperparameters ({declared}): {exc}") from None


def make_entry(kind: str, plugin: str, name: Any, factory: Any, description: Any,
               params: Any, formula: Any, extras: dict[str, Any], notes: Any = None,
               keras_objects: Any = None) -> Entry:
    """Check one ``register(...)`` call and build its entry; ValueError says what is wrong."""
    if not isinstance(name, str) or not SLUG.match(name):
        raise ValueError(f"{kind} name {name!r} is not a lower-case slug like 'leaky-relu'")
    if not callable(factory):
        raise ValueError(f"{kind} {name!r}: factory {factory!r} is not callable")
    if not isinstance(description, str) or not description.strip() or "\n" in description.strip():
        raise ValueError(f"{kind} {name!r}: description must be one non-empty line")
    if notes is not None and (not isinstance(notes, str) or not notes.strip()):
        raise ValueError(f"{kind} {name!r}: notes must be text (or left out)")
    if keras_objects is not None and not callable(keras_objects):
        raise ValueError(f"{kind} {name!r}: keras_objects must be a function returning the "
                         "entry's Keras classes (or left out)")
    params = tuple(params)
    if not all(isinstance(p, Param) for p in params):
        raise ValueError(f"{kind} {name!r}: params must be nnfw.Param objects")
    names = [p.name for p in params]
    reserved = ["name", *RUN_KEYWORDS.get(kind, ())]
    if len(set(names)) != len(names) or set(names) & set(reserved):
        raise ValueError(f"{kind} {name!r}: parameter names must be unique and none of "
                         f"{', '.join(map(repr, reserved))}")
    for param in params:
        param.check_default(f"{kind} {name!r}")
    _check_signature(kind, name, factory, names)
    allowed = KINDS[kind][2]
    unknown = set(extras) - set(allowed)
    if unknown:
        raise ValueError(f"{kind} {name!r}: unknown register keywords {sorted(unknown)}")
    for keyword, value in extras.items():
        accepted = EXTRA_CHOICES.get((kind, keyword))
        if accepted and value not in accepted:
            raise ValueError(f"{kind} {name!r}: {keyword}={value!r} is not one of {', '.join(accepted)}")
    return Entry(kind=kind, name=name, factory=factory, description=description.strip(),
                 plugin=plugin, params=params, formula=formula,
                 extras={**allowed, **extras}, notes=notes.strip() if notes else None,
                 keras_objects=keras_objects)


def build_schedule(entry: Entry, learning_rate: Any, steps_per_epoch: int, epochs: int | None,
                   params: dict[str, Any]) -> Any:
    """A schedule entry's schedule, as every run builds it: the factory called with the
    starting rate, the steps per epoch, the planned ``epochs`` if it asks for them (and they
    are known), and the checked hyperparameters ``params``."""
    run = entry.run_keywords({"epochs": epochs}) if epochs is not None else {}
    return entry.create(learning_rate, steps_per_epoch, **run, **params)
