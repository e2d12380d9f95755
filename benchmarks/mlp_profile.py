"""Where a step of the MLP spends its time, part by part, as a graph and compiled by XLA.

The MLP of the mlp work (784-512-10, batch 128, nnfw's Adam with epsilon 0, softmax
cross-entropy on logits), its step cut into nested parts, each timed as a ``tf.function``
running ``profile_steps`` of it in one ``tf.while_loop`` (so no Python between steps),
once as a plain graph and once with ``jit_compile=True``, after an untimed call that
traces and compiles it; the median of ``repeats`` calls. Each part adds to the one before:

1. the batch: the step's rows taken from the data (``x[i]`` of the batches, as nnfw does
   without shuffling);
2. forward: the two layers;
3. loss: the softmax cross-entropy of the batch;
4. gradients: the backward pass (``GradientTape.gradient``);
5. update: the optimizer's ``apply`` of those gradients, a whole step.

A part's own cost is its time minus the one before it. The loop adds the sum of each part's
result to a carried number, so no part can be dropped as unused.
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np
import synthetic
from sizes import Sizes
from timing import timed

UNITS, BATCH = (512, 10), 128
PARTS = ("batch of rows", "forward (2 layers)", "loss", "gradients (backward)", "Adam update")


def _problem(rows: int) -> tuple[Any, Any, Any, Any, Any]:
    """The model, nnfw's Adam, the loss and the data cut into full batches."""
    import keras
    import tensorflow as tf

    import nnfw

    data = synthetic.build(rows=rows)
    batches = rows // BATCH
    x = tf.constant(data.x_train[:batches * BATCH].reshape(batches, BATCH, -1))
    t = tf.constant(data.y_train[:batches * BATCH].reshape(batches, BATCH).astype(np.int32))
    model = keras.Sequential([keras.Input(shape=(x.shape[-1],)),
                              keras.layers.Dense(UNITS[0], "relu"), keras.layers.Dense(UNITS[1])])
    optimizer = nnfw.optimizer("adam", learning_rate=0.001, epsilon=0.0)
    optimizer.build(model.trainable_variables)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return model, optimizer, loss, x, t


def _part_body(depth: int, model: Any, optimizer: Any, loss: Any, x: Any, t: Any) -> Any:
    """One step's first ``depth`` parts (1..5) on batch ``i``, returning a number that
    depends on all they computed."""
    import tensorflow as tf

    def body(i: Any) -> Any:
        xb, tb = x[i % x.shape[0]], t[i % t.shape[0]]
        if depth == 1:
            return tf.reduce_sum(xb) + tf.cast(tf.reduce_sum(tb), tf.float32)
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            value = tf.reduce_sum(logits) if depth == 2 else loss(tb, logits)
        if depth <= 3:
            return value
        grads = tape.gradient(value, model.trainable_variables)
        if depth == 5:
            optimizer.apply(grads, model.trainable_variables)
        return value + tf.add_n([tf.reduce_sum(g) for g in grads])

    return body


def _loop(body: Any, steps: int, jit: bool) -> Any:
    """A compiled function running ``body`` for ``steps`` steps in one while loop."""
    import tensorflow as tf

    @tf.function(jit_compile=jit, autograph=False)
    def run() -> Any:
        return tf.while_loop(lambda i, acc: i < steps, lambda i, acc: (i + 1, acc + body(i)),
                             (tf.constant(0), tf.constant(0.0)))[1]

    return run


def run(sizes: Sizes, broken: bool = False) -> dict[str, Any]:
    """Microseconds per step of every part, nested, as a graph and with XLA."""
    model, optimizer, loss, x, t = _problem(min(sizes.mlp_rows, 8192))
    steps, repeats = sizes.profile_steps, max(3, sizes.repeats)
    per_step: dict[str, list[float]] = {}
    for jit in (False, True):
        for depth, name in enumerate(PARTS, start=1):
            call = _loop(_part_body(depth, model, optimizer, loss, x, t), steps, jit)
            call()  # traces and compiles
            seconds = [timed(lambda call=call: call().numpy())[0] for _ in range(repeats)]
            per_step.setdefault(name, []).append(statistics.median(seconds) / steps * 1e6)
    return {"work": "profile", "steps": steps, "batch": BATCH, "units": list(UNITS),
            "parts": [{"part": name, "graph_us": graph, "xla_us": xla}
                      for name, (graph, xla) in per_step.items()]}
