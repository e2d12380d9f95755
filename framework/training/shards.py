"""The training data on the devices: batches, each replica's rows of them, and the workers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np

    from nnfw.training.network import Targets


class Shard(NamedTuple):
    """One replica's rows of the training data: of each full batch (stacked), of the short one."""

    x_full: Any
    t_full: Any
    x_rest: Any
    t_rest: Any


class ShuffledShard(NamedTuple):
    """A replica's view of training data shuffled every epoch: every row (the same on each
    replica), and the positions within a full batch and within the short one that it trains on."""

    x: Any
    t: Any
    full_positions: Any
    rest_positions: Any


class Part(NamedTuple):
    """An evaluation part on the devices: features, targets as the loss sees them, and as
    metrics see them (class ids, or the targets)."""

    x: Any
    t: Any
    y: Any


class Batches(NamedTuple):
    """The data on the devices: each replica's shard of the training data, the evaluation
    parts (test, validation; those without rows are left out)."""

    shard: Any  # a Shard or ShuffledShard per replica
    parts: tuple[Part, ...]


def replica_rows(rows: int, replica: int, replicas: int) -> slice:
    """The rows of a batch of ``rows`` that replica ``replica`` of ``replicas`` trains on.

    The batch is cut in order into parts whose sizes differ by at most one row, so
    the replicas together see every row once, as a single device would.
    """
    return slice(replica * rows // replicas, (replica + 1) * rows // replicas)


def cluster_size(strategy: Any) -> int:
    """How many worker processes train together under ``strategy`` (1: just this one)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return 1
    jobs = resolver.cluster_spec().as_dict()
    return sum(len(tasks) for job, tasks in jobs.items() if job in ("chief", "worker")) or 1


def device_part(x: np.ndarray, y: np.ndarray, targets: Targets) -> Part:
    """An evaluation part's arrays as constants on the device."""
    import tensorflow as tf

    return Part(x=tf.constant(x), t=tf.constant(targets.encode(y)),
                y=tf.constant(y.astype("int32") if targets.classification else y))


class Batching:
    """How ``rows`` training rows are cut into batches of ``batch_size`` (at most ``rows``; the
    short batch last) and each batch between ``replicas``; with a ``shuffle_seed`` every epoch
    takes the rows in an order of its own."""

    def __init__(self, rows: int, batch_size: int, replicas: int, shuffle_seed: int | None) -> None:
        self.rows, self.replicas, self.shuffle_seed = rows, replicas, shuffle_seed
        self.batch_size = min(batch_size, rows)
        self.full_batches, self.rest = divmod(rows, self.batch_size)
        self.steps_per_epoch = self.full_batches + (1 if self.rest else 0)

    @property
    def batches(self) -> list[int | None]:
        """An epoch's batches in the order it takes them (None: the short one)."""
        return [*range(self.full_batches), *([None] if self.rest else [])]

    def distribute(self, strategy: Any, x: np.ndarray, t: np.ndarray) -> Any:
        """Each replica's shard of the training rows ``x`` with encoded targets ``t``, on its
        device (call in ``strategy``'s scope)."""
        import tensorflow as tf

        cut = self.full_batches * self.batch_size
        # batched once, unless every epoch takes the rows in another order
        x_full = x[:cut].reshape(self.full_batches, self.batch_size, -1) \
            if self.shuffle_seed is None else None
        t_full = t[:cut].reshape(self.full_batches, self.batch_size, -1) \
            if self.shuffle_seed is None else None

        def shard(context: Any) -> Shard | ShuffledShard:
            replica = context.replica_id_in_sync_group
            full = replica_rows(self.batch_size, replica, self.replicas)
            rest = replica_rows(self.rest, replica, self.replicas)
            if self.shuffle_seed is not None:
                return ShuffledShard(
                    x=tf.constant(x), t=tf.constant(t),
                    full_positions=tf.range(full.start, full.stop, dtype=tf.int32),
                    rest_positions=tf.range(cut + rest.start, cut + rest.stop, dtype=tf.int32))
            return Shard(x_full=tf.constant(x_full[:, full]), t_full=tf.constant(t_full[:, full]),
                         x_rest=tf.constant(x[cut:][rest]), t_rest=tf.constant(t[cut:][rest]))

        return strategy.experimental_distribute_values_from_function(shard)

    def order(self, epoch: Any) -> Any:
        """The order of the training rows in epoch ``epoch`` (from 0, counted over the whole
        run, so a resumed run takes the same orders), or None when rows are not shuffled: a
        permutation drawn from the run's seed and the epoch alone (stateless, the same on
        every replica, device and worker, under XLA or not)."""
        import tensorflow as tf

        if self.shuffle_seed is None:
            return None
        seed = tf.stack([tf.constant(self.shuffle_seed, tf.int32), tf.cast(epoch, tf.int32)])
        keys = tf.random.stateless_uniform([self.rows], seed=seed)
        return tf.cast(tf.argsort(keys, stable=True), tf.int32)

    def rows_of(self, shard: Shard | ShuffledShard, batch: Any, order: Any = None) -> tuple[Any, Any, int]:
        """A replica's rows of batch ``batch`` (None: the short one) of an epoch whose rows come
        in ``order``: (features, encoded targets, the rows of the whole batch)."""
        import tensorflow as tf

        if isinstance(shard, ShuffledShard):
            if order is None:  # a step outside the epoch loop: rows as they are
                order = tf.range(self.rows, dtype=tf.int32)
            if batch is None:
                rows, size = tf.gather(order, shard.rest_positions), self.rest
            else:
                rows = tf.gather(order, batch * self.batch_size + shard.full_positions)
                size = self.batch_size
            return tf.gather(shard.x, rows), tf.gather(shard.t, rows), size
        if batch is None:
            return shard.x_rest, shard.t_rest, self.rest
        return shard.x_full[batch], shard.t_full[batch], self.batch_size
