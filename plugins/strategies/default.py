"""Training on one device, with TensorFlow's default strategy."""

from __future__ import annotations

from typing import Any

from nnfw import hookimpl


@hookimpl
def register_strategies(register):
    """Register ``default``."""
    register("default", build,
             description="One device: the CPU, or the first GPU (TensorFlow's default placement).")


def build() -> Any:
    """TensorFlow's default strategy: no distribution."""
    import tensorflow as tf

    return tf.distribute.get_strategy()
