"""How training graphs are compiled: with XLA where it pays off, without rewrites when exact."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

# XLA compiles for 0.4-2.5 s more than a graph (more for more layers and evaluation parts)
# and then saves 0.15-0.35 ms a step on small layers; measured break-even (benchmarks/
# compile_sweep.py and the note of issue #15, 2 cores, TF 2.21): yogurt 2500 steps, iris
# (SGD, Adam, 4-16-3 Adam) 4700-6700, digits-sized 64-32-10 Adam 8600-8900, 64-32-32-10
# SGD 14000. A threshold of 4000 made 100-epoch digits runs slower with XLA.
XLA_MIN_STEPS = 10000
XLA_MIN_MULTIPLY_ADDS = 10**8  # per epoch: big layers gain from XLA's fusion at any length


def xla_pays_off(steps: int, multiply_adds_per_epoch: int) -> bool:
    """Whether compiling a run of ``steps`` optimizer steps with XLA is likely to save time.

    Decided from the run's size alone (not from timings), so the same settings
    always take the same arithmetic path, and a resumed run matches an uninterrupted one.
    """
    return steps >= XLA_MIN_STEPS or multiply_adds_per_epoch >= XLA_MIN_MULTIPLY_ADDS


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
