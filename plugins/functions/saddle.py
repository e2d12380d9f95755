"""A saddle: downhill along y, uphill along x, and no minimum at all."""

from __future__ import annotations

from typing import Any

from nnfw import Objective, hookimpl


@hookimpl
def register_functions(register):
    """Register ``saddle``."""
    register("saddle", build,
             description="The saddle x^2 - y^2: no minimum; the gradient is 0 at (0, 0).",
             formula="f(x, y) = x^2 - y^2",
             notes="It is unbounded below, so every path that leaves the x axis runs away "
                   "along y, faster and faster. The default start is a little off the axis: "
                   "started on it, a path stalls at the saddle point (0, 0), where the "
                   "gradient is 0.")


def saddle(point: Any) -> Any:
    """``x^2 - y^2`` of the point ``[x, y]``."""
    import tensorflow as tf

    return tf.square(point[0]) - tf.square(point[1])


def build() -> Objective:
    """The function from (-1.5, 0.01), drawn over [-2, 2] x [-2, 2]; no minimum to mark."""
    return Objective(saddle, start=(-1.5, 0.01), bounds=((-2.0, 2.0), (-2.0, 2.0)), lr=0.01,
                     names=("x", "y"))
