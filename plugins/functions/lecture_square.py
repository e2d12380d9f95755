"""The lecture's exponential-decay example: ``loss = (w + 1)^2`` from ``w = 5``."""

from __future__ import annotations

from typing import Any

from nnfw import Objective, hookimpl


@hookimpl
def register_functions(register):
    """Register ``lecture-square``."""
    register("lecture-square", build,
             description="The lecture's (w + 1)^2, one parameter, from w = 5; its minimum is w = -1.",
             formula="f(w) = (w + 1)^2",
             notes="With --optimizer sgd --schedule exponential --lr 0.2 --schedule.decay 0.99 "
                   "nnfw paths prints, step by step, what the lecture's exponential-decay "
                   "script prints.")


def square(point: Any) -> Any:
    """``(w + 1)^2`` of the point ``[w]``, as the lecture writes it (``tf.square(w + 1)``)."""
    import tensorflow as tf

    return tf.square(point[0] + 1)


def build() -> Objective:
    """The function with the lecture's start (5), drawn over w in [-4, 6]."""
    return Objective(square, start=(5.0,), bounds=((-4.0, 6.0),), minima=((-1.0,),), lr=0.2,
                     names=("w",))
