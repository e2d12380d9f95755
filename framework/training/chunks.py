"""How many epochs each compiled call runs: about half a second's work, the same on every worker."""

from __future__ import annotations

from typing import Any

CHUNK_SECONDS = 0.5  # aim for this much work per compiled call, so progress stays live
MAX_CHUNK_EPOCHS = 65536  # the per-epoch metric buffers of one call hold at most this many


def capacity(epochs: int) -> int:
    """How many epochs the compiled call of a ``fit`` of ``epochs`` epochs must hold."""
    return min(epochs, MAX_CHUNK_EPOCHS)


def next_chunk(seconds: float, ran: int, epochs: int) -> int:
    """The epochs of the next call after one that ran ``ran`` epochs in ``seconds``: about
    :data:`CHUNK_SECONDS` of work, at least 1, at most ``epochs``."""
    per_epoch = seconds / max(ran, 1)
    return max(1, min(epochs, int(CHUNK_SECONDS / per_epoch) if per_epoch else epochs))


def agreed(strategy: Any, workers: int, chunk: int) -> int:
    """The next chunk's size as the first worker proposes it, on every worker.

    Workers time their chunks differently, but each call must run the same
    steps on all of them: their all-reduce operations are paired call by call.
    """
    import tensorflow as tf

    if workers == 1:
        return chunk

    def proposal(context: Any) -> Any:
        return tf.constant(chunk if context.replica_id_in_sync_group == 0 else 0, tf.float32)

    with strategy.scope():
        proposals = strategy.experimental_distribute_values_from_function(proposal)
        return int(strategy.reduce(tf.distribute.ReduceOp.SUM, proposals, axis=None))
