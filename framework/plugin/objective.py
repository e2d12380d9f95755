"""The objective-function type that function plugins return (``nnfw paths`` runs optimizers on it)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Objective:
    """A function of a few parameters, with where to start and what to draw.

    ``function`` maps a float32 tensor of shape ``[n]`` (the point) to a scalar tensor,
    using TensorFlow operations so that ``tf.GradientTape`` gives its gradient. ``start``
    is the default start point (``n`` numbers), ``bounds`` the drawing range, one
    ``(low, high)`` per parameter; ``minima`` the known minima to mark (each ``n``
    numbers; none for a function without one); ``lr`` a learning rate that suits the
    function, used when none is given; ``names`` the parameters' names for axes and
    printing (``("w",)``; ``x1, x2, ...`` when left out). Construction checks shapes and
    values and raises ValueError.
    """

    function: Callable[[Any], Any]
    start: tuple[float, ...]
    bounds: tuple[tuple[float, float], ...]
    minima: tuple[tuple[float, ...], ...] = ()
    lr: float = 0.01
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not callable(self.function):
            raise ValueError(f"function {self.function!r} is not callable")
        start = _numbers(self.start, "start")
        if not start:
            raise ValueError("start must hold at least one number")
        bounds = tuple(_numbers(pair, "each bound") for pair in _sequence(self.bounds, "bounds"))
        if len(bounds) != len(start) or any(len(pair) != 2 or not pair[0] < pair[1] for pair in bounds):
            raise ValueError(f"bounds must be {len(start)} pairs (low, high) with low < high, "
                             f"one per parameter, not {self.bounds!r}")
        minima = tuple(_numbers(point, "each minimum") for point in _sequence(self.minima, "minima"))
        if any(len(point) != len(start) for point in minima):
            raise ValueError(f"each minimum must be {len(start)} numbers, not {self.minima!r}")
        if not (_is_number(self.lr) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, not {self.lr!r}")
        names = tuple(self.names) or tuple(f"x{i + 1}" for i in range(len(start)))
        if len(names) != len(start) or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"names must be {len(start)} non-empty strings, not {self.names!r}")
        # frozen: normalised values go in through object.__setattr__
        for attribute, value in (("start", start), ("bounds", bounds), ("minima", minima),
                                 ("lr", float(self.lr)), ("names", names)):
            object.__setattr__(self, attribute, value)

    @property
    def dimensions(self) -> int:
        """How many parameters the function takes."""
        return len(self.start)


def _is_number(value: Any) -> bool:
    """A real number (numpy's too), not a boolean."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _sequence(value: Any, what: str) -> Sequence[Any]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{what} must be a sequence, not {value!r}")
    return value


def _numbers(value: Any, what: str) -> tuple[float, ...]:
    """``value`` as a tuple of finite floats; ValueError saying ``what`` otherwise."""
    items = _sequence(value, what)
    if not all(_is_number(v) and math.isfinite(v) for v in items):
        raise ValueError(f"{what} must be finite numbers, not {value!r}")
    return tuple(float(v) for v in items)
