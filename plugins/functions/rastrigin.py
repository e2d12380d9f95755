"""Rastrigin's function: a bowl covered in regularly spaced local minima."""

from __future__ import annotations

import math
from typing import Any

from nnfw import Objective, Param, hookimpl


@hookimpl
def register_functions(register):
    """Register ``rastrigin``."""
    register("rastrigin", build,
             description="Rastrigin's function: many local minima; the global minimum 0 is at (0, 0).",
             formula="f(x, y) = 2a + x^2 - a*cos(2 pi x) + y^2 - a*cos(2 pi y)",
             params=[Param("a", 10.0, "the depth of the ripples (often called A)", bounds="[0, inf)")],
             notes="A local minimum lies near every point of whole-number coordinates; "
                   "gradient methods stop in the first one they reach.")


def build(a: float) -> Objective:
    """The function from (2.3, -1.8), drawn over [-5.12, 5.12]^2, its usual domain."""
    def rastrigin(point: Any) -> Any:
        import tensorflow as tf

        return tf.reduce_sum(tf.square(point) - a * tf.cos(2 * math.pi * point)) + 2 * a

    return Objective(rastrigin, start=(2.3, -1.8), bounds=((-5.12, 5.12), (-5.12, 5.12)),
                     minima=((0.0, 0.0),), lr=0.002, names=("x", "y"))
