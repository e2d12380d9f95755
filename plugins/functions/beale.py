"""Beale's function: a flat valley between steep walls, with sharp corners."""

from __future__ import annotations

from typing import Any

from nnfw import Objective, hookimpl


@hookimpl
def register_functions(register):
    """Register ``beale``."""
    register("beale", build, description="Beale's function; the minimum 0 is at (3, 0.5).",
             formula="f(x, y) = (1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2")


def beale(point: Any) -> Any:
    """Beale's function of the point ``[x, y]``."""
    import tensorflow as tf

    x, y = point[0], point[1]
    return (tf.square(1.5 - x + x * y) + tf.square(2.25 - x + x * tf.square(y))
            + tf.square(2.625 - x + x * y * y * y))


def build() -> Objective:
    """The function from (1, 1.5), drawn over [-1, 4.5] x [-1.5, 2]."""
    return Objective(beale, start=(1.0, 1.5), bounds=((-1.0, 4.5), (-1.5, 2.0)),
                     minima=((3.0, 0.5),), lr=0.001, names=("x", "y"))
