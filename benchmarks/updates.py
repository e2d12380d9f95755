"""The lecture's update rules in plain TensorFlow ops, for the hand-written ways.

Written as the lecture's scripts write them (``w.assign_sub(lr * grad)``; Adam
with bias-corrected m and v and no epsilon), so they run eagerly, inside a
``tf.function`` step, or inside one XLA program unchanged.
"""

from __future__ import annotations

from typing import Any


class SGD:
    """``w -= lr * g``."""

    def __init__(self, lr: float, variables: list[Any]) -> None:
        self.lr, self.variables = lr, variables

    def apply(self, grads: list[Any]) -> None:
        """One step on every variable."""
        for w, g in zip(self.variables, grads, strict=True):
            w.assign_sub(self.lr * g)


class Adam:
    """The lecture's Adam: ``m^ = m/(1-b1^t)``, ``v^ = v/(1-b2^t)``, ``w -= lr*m^/sqrt(v^)``."""

    def __init__(self, lr: float, variables: list[Any], beta1: float = 0.9, beta2: float = 0.999) -> None:
        import tensorflow as tf

        self.lr, self.variables, self.beta1, self.beta2 = lr, variables, beta1, beta2
        self.m = [tf.Variable(tf.zeros_like(w)) for w in variables]
        self.v = [tf.Variable(tf.zeros_like(w)) for w in variables]
        self.global_step = tf.Variable(0.0)

    def apply(self, grads: list[Any]) -> None:
        """One step on every variable, in the lecture's operation order."""
        import tensorflow as tf

        self.global_step.assign_add(1.0)
        t = self.global_step
        b1, b2 = self.beta1, self.beta2
        for w, g, m, v in zip(self.variables, grads, self.m, self.v, strict=True):
            m.assign(b1 * m + (1 - b1) * g)
            v.assign(b2 * v + (1 - b2) * tf.square(g))
            m_correction = m / (1 - tf.pow(b1, t))
            v_correction = v / (1 - tf.pow(b2, t))
            w.assign_sub(self.lr * m_correction / tf.sqrt(v_correction))


class NoUpdate:
    """A deliberately wrong rule that never changes the weights (to prove the loss check works)."""

    def __init__(self, lr: float, variables: list[Any]) -> None:
        self.variables = variables

    def apply(self, grads: list[Any]) -> None:
        """Do nothing."""
        del grads  # the weights stay as they are


RULES: dict[str, type] = {"sgd": SGD, "adam": Adam, "none": NoUpdate}


def make_update(name: str, lr: float, variables: list[Any]) -> Any:
    """The rule called ``name`` (sgd, adam, none) for these variables."""
    return RULES[name](lr, variables)
