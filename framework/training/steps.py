"""One optimizer step and one evaluation, on every replica of a ``tf.distribute`` strategy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nnfw.plugin.predictions import metric_outputs

if TYPE_CHECKING:
    import keras

    from nnfw.training.network import Targets
    from nnfw.training.shards import Batches, Batching, Part


class Stepper:
    """The arithmetic of training a built Keras model with a plugin's optimizer and loss.

    Every step runs through a ``tf.distribute`` strategy (the default one when none
    is chosen): each replica holds its rows of every batch (see :mod:`nnfw.training.shards`),
    computes its part of the objective and its gradients, and the optimizer sums the
    gradients of all replicas before updating, so any number of replicas trains the same
    model. ``loss_reduction`` (``"mean"`` or ``"sum"`` over the rows of a batch) says how
    to weigh each replica's part of the loss. Made in the strategy's scope (it builds
    the optimizer).
    """

    def __init__(self, model: keras.Model, optimizer: keras.optimizers.Optimizer, loss: Any,
                 strategy: Any, batching: Batching, targets: Targets, loss_reduction: str,
                 metrics: Sequence[tuple[str, Callable[[Any, Any], Any]]]) -> None:
        self.model, self.optimizer, self.loss = model, optimizer, loss
        self.strategy, self.batching, self.targets = strategy, batching, targets
        self.loss_reduction, self.metrics = loss_reduction, list(metrics)
        self.replicas = strategy.num_replicas_in_sync
        self.variables = model.trainable_variables
        optimizer.build(self.variables)

    @property
    def state(self) -> list[Any]:
        """Every variable training changes or reads: model weights, then optimizer variables."""
        return [*self.model.weights, *self.optimizer.variables]

    def step(self, data: Batches, batch: Any, order: Any = None) -> tuple[Any, Any]:
        """One optimizer step on batch ``batch`` (None: the last, short one) of an epoch whose
        rows come in ``order`` (see :meth:`~nnfw.training.shards.Batching.order`), on every replica:
        (the batch's training objective, whether it is finite)."""
        import tensorflow as tf

        def replica_step(shard: Any) -> Any:
            objective, grads = self.replica_part(shard, batch, order)
            self.optimizer.apply(grads, self.variables)  # sums the replicas' gradients first
            return objective

        loss = self.sum(self.strategy.run(replica_step, args=(data.shard,)))
        # Only the loss, every step: weights an update broke make the next step's loss
        # non-finite, and the weights themselves are checked at the end of each epoch; the
        # eager replay of a broken epoch then finds the exact step (see nnfw.training.divergence).
        return loss, tf.math.is_finite(loss)

    def sum(self, per_replica: Any) -> Any:
        """The sum over all replicas of a per-replica value (the value itself on one replica)."""
        import tensorflow as tf

        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def replica_part(self, shard: Any, batch: Any, order: Any = None) -> tuple[Any, list[Any]]:
        """A replica's part of the objective of batch ``batch`` (None: the short one) of an
        epoch whose rows come in ``order``, with its gradients."""
        return self._objective_and_gradients(*self.batching.rows_of(shard, batch, order))

    def finite_weights(self) -> Any:
        """For each trained weight, whether all of it is finite (a bool vector)."""
        import tensorflow as tf

        checks = [tf.reduce_all(tf.math.is_finite(v)) for v in self.variables]
        return tf.stack(checks) if checks else tf.zeros([0], tf.bool)

    def _objective_and_gradients(self, x: Any, t: Any, batch_rows: int) -> tuple[Any, list[Any]]:
        """This replica's part of the training objective (loss plus regularization) on its
        rows ``x``, ``t`` of a batch of ``batch_rows`` rows, and the part's gradients.

        The parts of all replicas add up to the objective of the whole batch: a mean
        loss is weighed by the replica's share of the rows, a sum loss is not, and each
        replica carries an equal share of the regularization.
        """
        import tensorflow as tf

        rows = x.shape[0]  # 0 when the batch has fewer rows than there are replicas
        with tf.GradientTape() as tape:
            if rows == 0:
                objective = tf.constant(0.0)
            else:
                objective = self._loss_part(t, self.model(x, training=True), batch_rows)
            if self.model.losses:
                penalty = tf.add_n(self.model.losses)
                objective = objective + (penalty / self.replicas if self.replicas > 1 else penalty)
        grads = tape.gradient(objective, self.variables)
        # zeros, not None, where a part does not depend on a weight: every replica must
        # hand the optimizer's sum the same list of gradients
        return objective, [tf.zeros(v.shape, v.dtype) if g is None else g
                           for v, g in zip(self.variables, grads, strict=True)]

    def _loss_part(self, t: Any, y: Any, batch_rows: int) -> Any:
        """The loss of a batch of ``batch_rows`` rows, or the part of it that these rows
        (targets ``t``, outputs ``y``) carry; the parts of all replicas add up to the loss.

        A ``keras.losses.Loss`` is asked for its values (``Loss.call``), unreduced: Keras'
        own ``__call__`` would divide by the number of replicas a second time. Values per
        row are reduced here as the loss's ``reduction`` says (``"sum"``, else a mean over
        the values of the whole batch); a single value means the loss reduced its rows
        itself (as the lecture's losses do), as its registered ``reduction`` says, and a
        mean is then weighed by the share of the batch's rows these are.
        """
        import keras
        import tensorflow as tf

        values = self.loss.call(t, y) if isinstance(self.loss, keras.losses.Loss) else self.loss(t, y)
        values = tf.cast(values, tf.float32)
        rows = t.shape[0]
        if values.shape.rank == 0:
            if self.loss_reduction == "mean" and rows != batch_rows:
                return values * (rows / batch_rows)
            return values
        total = tf.reduce_sum(values)
        if getattr(self.loss, "reduction", None) == "sum":
            return total
        values_per_row = values.shape.num_elements() // rows
        return total / tf.cast(values_per_row * batch_rows, tf.float32)

    def evaluate(self, part: Part) -> list[Any]:
        """The loss and every metric on an evaluation part (the loss first, then ``metrics``)."""
        prediction = self.model(part.x, training=False)
        loss = self._loss_part(part.t, prediction, int(part.t.shape[0]))
        outputs = metric_outputs(prediction, self.targets.classification and
                                 not self.targets.one_hot)
        return [loss, *(metric(part.y, outputs) for _, metric in self.metrics)]
