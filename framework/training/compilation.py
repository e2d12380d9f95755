"""How training graphs are compiled: with XLA where it pays off, without rewrites when exact."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

# XLA compiles for 0.4-2.5 s more than a graph and then saves a part of every step: most of
# it from fusing the element-wise work (the optimizer's update above all), which grows with the
# parameters; the matrix products cost the same either way. A run gains when it has enough
# steps to earn the compile back. Measured break-evens (benchmarks/compile_sweep.py and the
# note of issue #15, 2 cores, TF 2.21): small models (yogurt, iris, digits-sized 64-32-10:
# under 2500 parameters) 2500-14000 steps; 256-256-10 (68000) about 2700; the MLP 784-512-10
# (407000) about 1400 at batch 128 (3 epochs) and under 1875 at batch 32 (1 epoch).
# XLA_MIN_STEPS / sqrt(1 + parameters / XLA_PARAMETER_SCALE) follows these within their
# spread: 10000 to 8500, 2840 and 1210 steps.
XLA_MIN_STEPS = 10000
XLA_PARAMETER_SCALE = 6000  # parameters at which the update's share of a step is large


def xla_min_steps(parameters: int) -> int:
    """The fewest optimizer steps in which XLA earns back its compile, for a model of
    ``parameters`` weights and biases."""
    return math.ceil(XLA_MIN_STEPS / math.sqrt(1 + parameters / XLA_PARAMETER_SCALE))


def xla_pays_off(steps: int, parameters: int) -> bool:
    """Whether compiling a run of ``steps`` optimizer steps of a model of ``parameters``
    weights and biases with XLA is likely to save time.

    Decided from the run's size alone (not from timings), so the same settings
    always take the same arithmetic path, and a resumed run matches an uninterrupted one.
    """
    return steps >= xla_min_steps(parameters)


@contextlib.contextmanager
def eager_arithmetic() -> Iterator[None]:
    """Graphs run inside compute what their operations compute eagerly, bit for bit.

    TensorFlow's graph optimizer rewrites arithmetic (``x / sqrt(v)`` becomes
    ``x * rsqrt(v)``, adding 0 is dropped, ...), which changes the last bits of
    Adagrad, RMSProp and Adam steps; with its arithmetic rewrites off, a graph
    step equals the lecture's eager step. That costs about a tenth of the time of
    a lecture-sized run (measured on yogurt and a small MLP on dot), so only runs
    asked to be exact pay it. The setting is the process's, so it is set around
    each call and put back after.
    """
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options().get("arithmetic_optimization", True)
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"arithmetic_optimization": before})


def arithmetic(exact: bool) -> contextlib.AbstractContextManager[None]:
    """The context a compiled call runs in: :func:`eager_arithmetic` when ``exact``, else none."""
    return eager_arithmetic() if exact else contextlib.nullcontext()
