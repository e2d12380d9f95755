"""Declared hyperparameters: what a plugin entry accepts, and checking values against it."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from nnfw.errors import UsageError
from nnfw.plugin.suggest import unknown_name_message

_BOUNDS = re.compile(r"^\s*([\[(])\s*([^,\s]*)\s*,\s*([^,\s]*)\s*([\])])\s*$")


class Sizes(str):
    """The type of a parameter whose value is a list of positive whole numbers, such as layer
    sizes: given as text ('16,8'; '' for none) or a list ([16, 8]), kept as the text."""


_TYPES: dict[type, str] = {float: "number", int: "whole number", bool: "true/false", str: "text",
                           Sizes: "list of sizes"}
_FINITE = (-math.inf, math.inf, False, False)  # what a number without declared bounds accepts
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True)
class Param:
    """One hyperparameter a plugin entry declares.

    ``bounds`` is an interval written as in mathematics: ``"(0, 1]"`` means
    0 < value <= 1, ``"[0, inf)"`` means value >= 0. ``choices`` limits a text
    value to a fixed set. The type is taken from ``default`` unless given.
    ``file`` marks a text parameter that names a file the entry reads (a data
    set's CSV): its value is made absolute when checked, and a run records the
    file's size and hash, so that resuming it elsewhere, or after the file
    changed, is refused instead of training on other data.
    """

    name: str
    default: Any
    help: str
    type: type | None = None
    bounds: str | None = None
    choices: tuple[str, ...] | None = None
    file: bool = False
    _interval: tuple[float, float, bool, bool] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.type is None:
            object.__setattr__(self, "type", type(self.default))
        if self.type not in _TYPES:
            raise ValueError(f"parameter {self.name!r}: type must be one of float, int, bool, str, "
                             "nnfw.Sizes")
        if self.file and self.type is not str:
            raise ValueError(f"parameter {self.name!r}: a file parameter has type str")
        object.__setattr__(self, "_interval", _parse_bounds(self.bounds) if self.bounds else None)

    def check_default(self, owner: str) -> None:
        """Raise ValueError, naming ``owner`` (the entry), if the default is not accepted."""
        if self.default is None:
            return
        try:
            self.check(self.default)
        except UsageError:
            raise ValueError(f"{owner}: the default of {self.name}, {_show(self.default)}, is not "
                             f"accepted by its own declaration ({self.accepts})") from None

    @property
    def type_name(self) -> str:
        """The type as a person reads it ("number", "whole number", ...)."""
        return _TYPES[self.type]  # type: ignore[index]

    @property
    def accepts(self) -> str:
        """What values are accepted, in a few words."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.type is Sizes:
            return "a list of positive sizes like '16,8'"
        if self.type is bool:
            return "true or false"
        if self.type is str:
            return "text"
        if self.bounds:
            return f"a {self.type_name} in {self.bounds}"
        return "a finite number" if self.type is float else f"a {self.type_name}"

    def parse(self, text: str, where: str = "") -> Any:
        """Turn command-line text into a checked value of this parameter's type."""
        if self.type is Sizes:
            return self.check(text, where=where)
        raw = text.strip()
        value: Any
        try:
            if self.type is bool:
                low = raw.lower()
                if low not in _TRUE | _FALSE:
                    raise ValueError
                value = low in _TRUE
            elif self.type is int:
                value = int(raw)
            elif self.type is float:
                value = float(raw)
            else:
                value = raw
        except ValueError:
            raise UsageError(f"{where}{self.name}: {text!r} is not {self.accepts}") from None
        return self.check(value, where=where)

    def check(self, value: Any, where: str = "") -> Any:
        """Check an already typed value (from TOML or Python); return it, coerced int -> float."""
        label = f"{where}{self.name}"
        if self.type is Sizes:
            return ",".join(map(str, sizes(value, label)))
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:  # an int beyond float's range (TOML and Python allow them)
                raise UsageError(f"{label}: {_show(value)} is out of range; accepted: "
                                 f"{self.accepts}") from None
        if self.type is not None and (not isinstance(value, self.type) or
                                      (self.type is not bool and isinstance(value, bool))):
            raise UsageError(f"{label}: {_show(value)} is not {self.accepts}")
        if self.type is float and math.isnan(value):
            raise UsageError(f"{label}: nan is not {self.accepts}")
        if self.choices and value not in self.choices:
            raise UsageError(f"{label}: {value!r} is not {self.accepts}")
        interval = self._interval or (_FINITE if self.type is float else None)
        if interval and not _inside(value, interval):
            raise UsageError(f"{label}: {_show(value)} is out of range; accepted: {self.accepts}")
        if self.file and value.strip():
            return absolute_path(value)
        return value


def sizes(value: Any, label: str = "sizes") -> list[int]:
    """The positive whole numbers of ``value``: text like '16,8' ('' for none) or a list of
    them; a UsageError naming ``label`` for anything else."""
    items = value if isinstance(value, list) else (
        [v for v in value.split(",") if v.strip()] if isinstance(value, str) else None)
    found = []
    for item in items if items is not None else [None]:
        try:
            size = int(str(item).strip()) if isinstance(item, int | str) else 0
        except ValueError:
            size = 0
        if size < 1 or isinstance(item, bool):
            raise UsageError(f"{label}: {value!r} is not a list of positive layer sizes "
                             "like '16,8' or [16, 8]")
        found.append(size)
    return found


def absolute_path(text: str) -> str:
    """A path as an absolute one (``~`` expanded), without resolving links, so that it names
    the same file from any working directory."""
    return os.path.abspath(os.path.expanduser(text))


def _show(value: Any) -> str:
    """``repr(value)``, except for whole numbers too long to print in full."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        sign = "a negative" if value < 0 else "a"
        return f"{sign} whole number of about {value.bit_length() * 30103 // 100000 + 1} digits"
    return repr(value)


def _parse_bounds(text: str) -> tuple[float, float, bool, bool]:
    match = _BOUNDS.match(text)
    if not match:
        raise ValueError(f"bounds {text!r} are not an interval like '(0, 1]'")
    left, low, high, right = match.groups()
    return (float(low or "-inf"), float(high or "inf"), left == "[", right == "]")


def _inside(value: float, interval: tuple[float, float, bool, bool]) -> bool:
    low, high, low_closed, high_closed = interval
    above = value >= low if low_closed else value > low
    below = value <= high if high_closed else value < high
    return above and below


def resolve(params: tuple[Param, ...], given: dict[str, Any], owner: str) -> dict[str, Any]:
    """Check ``given`` against ``params`` and fill in defaults.

    Strings are parsed by the declared type (values from the command line);
    other values are checked as they are (values from TOML or Python).
    """
    known = {p.name: p for p in params}
    for key in given:
        if key not in known:
            if not known:
                raise UsageError(f"{owner} has no hyperparameters (got {key!r})")
            raise UsageError(unknown_name_message(f"{owner} has no hyperparameter", key, list(known)))
    resolved: dict[str, Any] = {}
    for param in params:
        if param.name in given:
            value = given[param.name]
            where = f"{owner}."
            if isinstance(value, str) and param.type is not str:
                resolved[param.name] = param.parse(value, where=where)
            else:
                resolved[param.name] = param.check(value, where=where)
        elif param.default is None:
            raise UsageError(f"{owner} needs {param.name} ({param.help})")
        else:
            resolved[param.name] = param.default
    return resolved
