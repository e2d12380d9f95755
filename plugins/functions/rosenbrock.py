"""Rosenbrock's banana valley: easy to find, slow to follow to its minimum."""

from __future__ import annotations

from typing import Any

from nnfw import Objective, Param, hookimpl


@hookimpl
def register_functions(register):
    """Register ``rosenbrock``."""
    register("rosenbrock", build,
             description="Rosenbrock's curved valley; the minimum 0 is at (a, a^2).",
             formula="f(x, y) = (a - x)^2 + b * (y - x^2)^2",
             params=[Param("a", 1.0, "where the minimum is: x = a, y = a^2", bounds="[-10, 10]"),
                     Param("b", 100.0, "how steep the valley's walls are", bounds="(0, inf)")])


def build(a: float, b: float) -> Objective:
    """The function from (-1.5, 2), drawn over a range that holds the start and the minimum."""
    def rosenbrock(point: Any) -> Any:
        import tensorflow as tf

        x, y = point[0], point[1]
        return tf.square(a - x) + b * tf.square(y - tf.square(x))

    bounds = ((min(-2.0, a - 0.5), max(2.0, a + 0.5)), (min(-1.0, a * a - 0.5), max(3.0, a * a + 0.5)))
    return Objective(rosenbrock, start=(-1.5, 2.0), bounds=bounds, minima=((a, a * a),), lr=0.001,
                     names=("x", "y"))
