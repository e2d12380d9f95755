"""Plugin entries: one registered thing of a kind, checked when it is registered and built."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nnfw.errors import NnfwError, PluginError, strict_plugins
from nnfw.plugin.kinds import KINDS
from nnfw.plugin.params import Param, resolve

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
STAND_IN_RUN = {"epochs": 1}  # the run's facts when an entry is built outside any run


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
        """Of the run's facts in ``available`` (the kind's ``run_keywords``; None: not known),
        those this entry's factory names as parameters: a factory that does not ask for them
        never gets them."""
        try:
            parameters = inspect.signature(self.factory).parameters
        except (TypeError, ValueError):
            return {}
        return {key: value for key, value in available.items()
                if key in KINDS[self.kind].run_keywords and key in parameters
                and value is not None}

    def build_in_run(self, context: tuple[Any, ...], run: dict[str, Any],
                     params: dict[str, Any]) -> Any:
        """Call the factory as a run does: the kind's context arguments, the run's facts it
        asks for (see :meth:`run_keywords`) and already checked hyperparameters ``params``."""
        return self.create(*context, **self.run_keywords(run), **params)

    def build_alone(self) -> Any:
        """The entry built outside any run: stand-in context, default hyperparameters."""
        return self.build_in_run(KINDS[self.kind].stand_in, STAND_IN_RUN, self.resolve({}))

    def create(self, *context: Any, **resolved: Any) -> Any:
        """Call the factory with already checked hyperparameters; check what it returns.

        An nnfw error (bad input found by the plugin) passes through; any other
        exception (``SystemExit`` and other ``BaseException``s included, Ctrl-C not) is a
        fault of the plugin and becomes a PluginError naming it, as does a result that
        breaks the kind's contract (or propagates as it is in strict mode, for plugin
        authors). What the factory changed for the whole process is put back.
        """
        from nnfw.plugin.exception_line import describe
        from nnfw.plugin.isolation import check_result, contained

        who = f"{self.kind} {self.name!r} of plugin {self.plugin!r}"
        with contained(who):
            try:
                result = self.factory(*context, **resolved)
            except (NnfwError, KeyboardInterrupt):
                raise
            except BaseException as exc:
                if strict_plugins():
                    raise
                raise PluginError(f"{who} failed: {describe(exc)} "
                                  f"(NNFW_STRICT_PLUGINS=1 shows the traceback)") from exc
        check_result(self, result)
        return result


def _check_signature(kind: str, name: str, factory: Callable[..., Any], params: list[str]) -> None:
    """Raise ValueError when ``factory`` cannot be called as nnfw will call it: the kind's
    context arguments by position, then every declared hyperparameter by keyword."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins have none to read: nothing to check
        return
    context = [object()] * len(KINDS[kind].context)
    run = [key for key in KINDS[kind].run_keywords if key in signature.parameters]
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
    reserved = ["name", *KINDS[kind].run_keywords]
    if len(set(names)) != len(names) or set(names) & set(reserved):
        raise ValueError(f"{kind} {name!r}: parameter names must be unique and none of "
                         f"{', '.join(map(repr, reserved))}")
    for param in params:
        param.check_default(f"{kind} {name!r}")
    _check_signature(kind, name, factory, names)
    allowed = KINDS[kind].extras
    unknown = set(extras) - set(allowed)
    if unknown:
        raise ValueError(f"{kind} {name!r}: unknown register keywords {sorted(unknown)}")
    for keyword, value in extras.items():
        accepted = KINDS[kind].extra_choices.get(keyword)
        if accepted and value not in accepted:
            raise ValueError(f"{kind} {name!r}: {keyword}={value!r} is not one of {', '.join(accepted)}")
    return Entry(kind=kind, name=name, factory=factory, description=description.strip(),
                 plugin=plugin, params=params, formula=formula,
                 extras={**allowed, **extras}, notes=notes.strip() if notes else None,
                 keras_objects=keras_objects)
