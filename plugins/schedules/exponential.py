"""The lecture's exponential-decay learning rate, updated once per epoch."""

from __future__ import annotations

import functools
from typing import Any

from nnfw import Param, UsageError, hookimpl


@hookimpl
def register_schedules(register):
    """Register ``exponential``."""
    register("exponential", build,
             description="Exponential decay: lr shrinks by a factor 'decay' every 'step' epochs.",
             formula="lr = lr_base * lr_decay ** (epoch / lr_step)"
                     "  (lr_decay = decay, lr_step = step)",
             params=[
                 Param("decay", 0.99, "the factor lr_decay applied per step", bounds="(0, 1]"),
                 Param("step", 1.0, "lr_step: epochs (or batches, with per_step) per decay",
                       bounds="(0, inf)"),
                 Param("staircase", False, "decay in whole steps: floor(epoch / step)"),
                 Param("per_step", False, "count batches instead of epochs"),
             ],
             keras_objects=schedule_class)


def build(learning_rate: float, steps_per_epoch: int, decay: float, step: float,
          staircase: bool, per_step: bool) -> Any:
    """A Keras schedule giving ``lr_base * decay ** (epoch / step)`` at each optimizer step."""
    if int(steps_per_epoch) < 1:
        raise UsageError(f"steps_per_epoch must be at least 1, not {steps_per_epoch!r}")
    return schedule_class()(float(learning_rate), int(steps_per_epoch), decay=decay, step=step,
                            staircase=staircase, per_step=per_step)


@functools.cache
def schedule_class() -> type:
    """The Keras schedule class, defined on first use so that importing this module stays fast."""
    import keras
    import tensorflow as tf

    @keras.saving.register_keras_serializable(package="nnfw")
    class LectureExponentialDecay(keras.optimizers.schedules.LearningRateSchedule):
        """``lr_base * decay ** (epoch / step)`` with ``epoch = iterations // steps_per_epoch``.

        Computed in float64 and cast to float32 at the end, so the value equals the
        lecture's Python float ``lr_base * lr_decay ** (epoch / lr_step)`` cast to float32.
        """

        def __init__(self, initial_learning_rate: float, steps_per_epoch: int = 1,
                     decay: float = 0.99, step: float = 1.0, staircase: bool = False,
                     per_step: bool = False) -> None:
            self.initial_learning_rate = initial_learning_rate
            self.steps_per_epoch = steps_per_epoch
            self.decay = decay
            self.step = step
            self.staircase = staircase
            self.per_step = per_step

        def __call__(self, iterations: Any) -> Any:
            count = tf.cast(iterations, tf.int64)
            if not self.per_step:
                count = count // self.steps_per_epoch
            exponent = tf.cast(count, tf.float64) / tf.constant(self.step, tf.float64)
            if self.staircase:
                exponent = tf.floor(exponent)
            rate = (tf.constant(self.initial_learning_rate, tf.float64)
                    * tf.pow(tf.constant(self.decay, tf.float64), exponent))
            return tf.cast(rate, tf.float32)

        def get_config(self) -> dict[str, Any]:
            """The schedule's hyperparameters, enough to rebuild it."""
            return {"initial_learning_rate": self.initial_learning_rate,
                    "steps_per_epoch": self.steps_per_epoch, "decay": self.decay,
                    "step": self.step, "staircase": self.staircase, "per_step": self.per_step}

    return LectureExponentialDecay
