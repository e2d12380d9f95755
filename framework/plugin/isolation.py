"""Keeping plugin code from taking nnfw down: its results checked, its side effects undone,
its failures named.

Every call into a plugin (its import, its hooks, its factories) runs
:func:`contained`: what it prints goes to stderr, and a working directory or a Keras
global setting it changed is put back, with a warning naming it. A factory's result is
checked against its kind's contract (:func:`check_result`), so a plugin returning the
wrong thing is one line naming it, not a traceback deep in training. A failure during
training is traced back to the chosen entry whose code raised it (:func:`blame`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from nnfw.errors import STRICT_ENV, NnfwError, NnfwWarning, PluginError, strict_plugins
from nnfw.plugin.exception_line import describe
from nnfw.plugin.output import stdout_to_stderr

if TYPE_CHECKING:
    from nnfw.plugin.entries import Entry

T = TypeVar("T")

# Keras' process-wide settings that change what training computes, with their defaults;
# nnfw trains in float32 with Keras' defaults, whatever a plugin set
KERAS_DEFAULTS = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def _keras_settings() -> dict[str, Any] | None:
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    settings = {name: getattr(keras.config, name)() for name in KERAS_DEFAULTS}
    settings["dtype_policy"] = keras.config.dtype_policy().name
    return settings


def _put_back_keras(before: dict[str, Any] | None) -> list[str]:
    """Restore Keras' settings to ``before`` (Keras' defaults when it was not yet imported);
    return the names of those that had changed."""
    now = _keras_settings()
    if now is None:
        return []
    wanted = before or {**KERAS_DEFAULTS, "dtype_policy": KERAS_DEFAULTS["floatx"]}
    keras = sys.modules["keras"]
    changed = [name for name in wanted if now[name] != wanted[name]]
    for name in changed:
        getattr(keras.config, f"set_{name}")(wanted[name])
    return changed


def keras_defaults_restored(who: str) -> None:
    """Before training: Keras' global settings back to the defaults nnfw trains with, with
    a warning naming what ``who`` (whatever ran before) had changed."""
    changed = _put_back_keras(None)
    if changed:
        warnings.warn(f"Keras' {', '.join(changed)} had been changed ({who}); nnfw put "
                      "the defaults back: it trains in float32", NnfwWarning, stacklevel=2)


@contextlib.contextmanager
def contained(who: str) -> Iterator[None]:
    """Run plugin code, its prints sent to stderr; afterwards undo what it changed for the
    whole process (the working directory, Keras' global settings), warning that ``who`` did it."""
    cwd = _cwd()
    keras_before = _keras_settings()
    try:
        with stdout_to_stderr():
            yield
    finally:
        undone = []
        if cwd is not None and _cwd() != cwd:
            os.chdir(cwd)
            undone.append("the working directory")
        changed = _put_back_keras(keras_before)
        if changed:
            undone.append(f"Keras' {', '.join(changed)}")
        if undone:
            warnings.warn(f"{who} changed {' and '.join(undone)}; nnfw put it back",
                          NnfwWarning, stacklevel=3)


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the working directory was removed
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _keras_instance(*path: str) -> Callable[[Any], bool]:
    """A check that a value is an instance of a Keras class (``("optimizers", "Optimizer")``)."""
    def check(value: Any) -> bool:
        keras = sys.modules.get("keras")  # a Keras object means Keras is imported
        if keras is None:
            return False
        cls: Any = keras
        for name in path:
            cls = getattr(cls, name)
        return isinstance(value, cls)
    return check


def _strategy(value: Any) -> bool:
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(value, tf.distribute.Strategy)


def _dataset(value: Any) -> bool:
    from nnfw.plugin.data import Dataset

    return isinstance(value, Dataset)


def _objective(value: Any) -> bool:
    from nnfw.plugin.objective import Objective

    return isinstance(value, Objective)


def _path(value: Any) -> bool:
    return isinstance(value, str | os.PathLike)


_schedule_object = _keras_instance("optimizers", "schedules", "LearningRateSchedule")
# kind -> (what its factories must return, in words; the check)
CONTRACTS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "optimizer": ("a keras.optimizers.Optimizer", _keras_instance("optimizers", "Optimizer")),
    "loss": ("a keras.losses.Loss or a function (targets, outputs) -> loss", callable),
    "schedule": ("a keras.optimizers.schedules.LearningRateSchedule or a number",
                 lambda value: _is_number(value) or _schedule_object(value)),
    "activation": ("a function (tensor) -> tensor", callable),
    "regularizer": ("a keras.regularizers.Regularizer or a function (weights) -> penalty", callable),
    "initializer": ("a keras.initializers.Initializer or a function (shape, dtype) -> tensor",
                    callable),
    "dataset": ("an nnfw.Dataset", _dataset),
    "strategy": ("a tf.distribute.Strategy", _strategy),
    "experiment": ("the path of a TOML config file", _path),
    "function": ("an nnfw.Objective", _objective),
    "model": ("a keras.Model", _keras_instance("Model")),
    "metric": ("a function (targets, outputs) -> tensor", callable),
}


def check_result(entry: Entry, result: Any) -> None:
    """Raise a PluginError (one line naming the entry, its plugin and what it returned)
    unless ``result`` keeps the contract of the entry's kind."""
    expected, check = CONTRACTS.get(entry.kind, ("anything", lambda value: True))
    if not check(result):
        shown = type(result).__name__ if result is not None else "None"
        raise PluginError(f"{entry.kind} {entry.name!r} of plugin {entry.plugin!r} returned "
                          f"{_article(shown)} {shown}, not {expected}")
    if entry.kind == "schedule" and _schedule_object(result):
        try:
            result(0)  # asked by the optimizer at every step; a broken one is named here
        except Exception as exc:
            raise PluginError(f"schedule {entry.name!r} of plugin {entry.plugin!r} returned a "
                              f"schedule that fails at step 0: {describe(exc)}") from exc


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def blame(exc: BaseException, entries: Iterable[Entry]) -> Entry | None:
    """The entry whose code raised ``exc``: the innermost frame of its traceback that lies
    in the folder of an entry's factory (None when none does). Frames outside the call
    that caught ``exc`` are not in its traceback, so the caller's own code is never blamed."""
    folders = {}
    for entry in entries:
        code = getattr(entry.factory, "__code__", None)
        if code is not None:
            folders.setdefault(os.path.dirname(code.co_filename), entry)
    found = None
    trace = exc.__traceback__
    while trace is not None:
        found = folders.get(os.path.dirname(trace.tb_frame.f_code.co_filename), found)
        trace = trace.tb_next
    return found


def failure(exc: BaseException, entries: Iterable[Entry], doing: str) -> NnfwError:
    """An exception raised while ``doing`` something (``"training"``) as one line: a
    PluginError naming the entry of ``entries`` whose code raised it (see :func:`blame`), or
    an NnfwError when none did."""
    entry = blame(exc, entries)
    hint = f"({STRICT_ENV}=1 shows the traceback)"
    if entry is None:
        return NnfwError(f"{doing} failed: {describe(exc)} {hint}")
    return PluginError(f"{doing} failed in {entry.kind} {entry.name!r} of plugin "
                       f"{entry.plugin!r}: {describe(exc)} {hint}")


def guarded(entries: Iterable[Entry], doing: str, work: Callable[[], T]) -> T:
    """``work()``, code that runs the objects of the chosen ``entries`` (training, paths),
    guarded: Keras' global settings checked first, plugin prints sent to stderr, and any
    failure one line naming the entry whose code raised it (see :func:`failure`)."""
    keras_defaults_restored(f"before {doing}")
    try:
        with stdout_to_stderr():  # plugin objects run here: their prints are not output
            return work()
    except (NnfwError, OSError):  # said in one line already; a full disk names its file
        raise
    except Exception as exc:
        if strict_plugins():
            raise
        raise failure(exc, entries, doing) from exc
