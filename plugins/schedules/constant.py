"""The constant learning rate: the same ``lr`` at every step."""

from __future__ import annotations

from nnfw import hookimpl


@hookimpl
def register_schedules(register):
    """Register ``constant``."""
    register("constant", build, description="A constant learning rate.", formula="lr = lr_base")


def build(learning_rate: float, steps_per_epoch: int) -> float:
    """The learning rate itself, as a float (``steps_per_epoch`` does not matter)."""
    return float(learning_rate)
