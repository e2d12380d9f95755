"""The compiled loop: many epochs of batches in one ``tf.function`` call."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from nnfw.training.compilation import arithmetic

if TYPE_CHECKING:
    from nnfw.training.best import BestEpoch
    from nnfw.training.shards import Batches
    from nnfw.training.steps import Stepper


class EpochLoop:
    """Runs chunks of epochs in one compiled TensorFlow call each.

    For the lecture's small problems the cost of training is per-epoch Python work, not
    arithmetic, so epochs run inside one ``tf.function`` (a ``tf.while_loop`` over epochs and
    batches) and Python only sees a chunk's per-epoch metrics (``columns``) when the chunk
    ends. With ``jit`` the chunk is compiled by XLA when the plugins' ops allow it; otherwise
    (or when XLA fails to compile them) it runs as a graph; ``exact`` runs it without
    TensorFlow's arithmetic rewrites (see :func:`nnfw.training.compilation.eager_arithmetic`). A chunk
    stops at a non-finite step when ``stop_on_nan``, and where ``best`` says patience ran out.
    """

    def __init__(self, stepper: Stepper, best: BestEpoch, columns: list[str], stop_on_nan: bool,
                 jit: bool, exact: bool) -> None:
        self.stepper, self.best, self.columns = stepper, best, columns
        self.stop_on_nan, self.jit, self.exact = stop_on_nan, jit, exact
        self.capacity = 1
        self._run: Any = None
        self.traces = 0

    @property
    def compiled(self) -> bool:
        """Whether the chunk function exists (it is made on the first :meth:`compile`)."""
        return self._run is not None

    def compile(self, capacity: int) -> None:
        """(Re)build the compiled chunk function for chunks of up to ``capacity`` epochs."""
        import tensorflow as tf

        self.capacity = capacity
        # autograph=False: the loop is written with tf.while_loop and tf.cond already, and
        # AutoGraph's source transformation was most of the tracing time (measured).
        self._run = tf.function(self._epochs, jit_compile=self.jit, reduce_retracing=True,
                                autograph=False)

    def call(self, count: int, first: int, data: Batches) -> tuple[Any, ...]:
        """Run one chunk of up to ``count`` epochs, the first of them the run's epoch ``first``
        (see :meth:`_epochs` for what it returns); if XLA cannot compile the plugins' ops,
        fall back to a plain graph (decided on the run's first chunk)."""
        import tensorflow as tf

        try:
            return self._call(count, first, data)
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
            if not self.jit or first:
                raise
            self.jit = False
            self.compile(self.capacity)
            return self._call(count, first, data)

    def _call(self, count: int, first: int, data: Batches) -> tuple[Any, ...]:
        """One call of the compiled chunk function, in the strategy's scope."""
        import tensorflow as tf

        with self.stepper.strategy.scope(), arithmetic(self.exact):
            return self._run(tf.constant(count), tf.constant(first), data)

    def _epochs(self, count: Any, first: Any, data: Batches) -> tuple[Any, ...]:
        """Run up to ``count`` epochs in the graph, the first of them the run's epoch ``first``;
        stop early at a non-finite step if asked, and where ``patience`` says (after that epoch).

        Returns (epochs run, epoch and step of the first non-finite step or -1/0, what the
        loop saw broken there (the loss, then each weight: a bool vector), then each of
        ``columns`` per epoch, ``capacity`` long).
        """
        import tensorflow as tf

        self.traces += 1
        one_epoch = functools.partial(self._one_epoch, first, data)

        def more_epochs(epoch: Any, bad_epoch: Any, bad_step: Any, seen: Any, stopping: Any,
                        metrics: Any) -> Any:
            return (epoch < count) & ~(self.stop_on_nan & (bad_step > 0)) & ~stopping

        arrays = tuple(tf.TensorArray(tf.float32, size=self.capacity) for _ in self.columns)
        nothing_seen = tf.zeros([1 + len(self.stepper.variables)], tf.bool)
        epochs, bad_epoch, bad_step, seen, _, arrays = tf.while_loop(
            more_epochs, one_epoch,
            (tf.constant(0), tf.constant(-1), tf.constant(0), nothing_seen, tf.constant(False),
             arrays))
        return (epochs, bad_epoch, bad_step, seen, *(a.stack() for a in arrays))

    def _one_epoch(self, first: Any, data: Batches, epoch: Any, bad_epoch: Any, bad_step: Any,
                   seen: Any, stopping: Any, metrics: tuple[Any, ...]) -> tuple[Any, ...]:
        """Epoch ``epoch`` of the chunk (the run's ``first + epoch``): its steps, then its
        metrics written to ``metrics``, the first broken step noted, patience tracked."""
        import tensorflow as tf

        stepper, batching = self.stepper, self.stepper.batching
        lr = tf.cast(stepper.optimizer.learning_rate, tf.float32)
        # The state at the epoch's start, restored if a step of this epoch breaks it: then
        # the weights are those of the last recorded epoch (one copy an epoch, not a step).
        start = [tf.identity(v.value) for v in stepper.state] if self.stop_on_nan else []
        batches, total, first_bad = self._batches(data, batching.order(first + epoch))
        finite_weights = stepper.finite_weights()
        broken_now = tf.concat([[first_bad > 0], ~finite_weights], axis=0)
        first_bad = tf.where((first_bad == 0) & ~tf.reduce_all(finite_weights),
                             batching.steps_per_epoch, first_bad)
        if self.stop_on_nan:
            def restore() -> Any:
                for variable, value in zip(stepper.state, start, strict=True):
                    variable.assign(value)
                return tf.constant(0)
            tf.cond(first_bad > 0, restore, lambda: tf.constant(0))
        # divided by a count the loop computes: TensorFlow's constant folding would turn
        # a division by the constant steps_per_epoch into a multiplication by its inverse
        steps = batches + (1 if batching.rest else 0)
        mean_loss = total / tf.cast(steps, tf.float32)
        evaluated = [tf.cast(value, tf.float32) for part in data.parts
                     for value in stepper.evaluate(part)]
        newly_bad = (bad_step == 0) & (first_bad > 0)
        bad_epoch = tf.where(newly_bad, epoch, bad_epoch)
        bad_step = tf.where(newly_bad, first_bad, bad_step)
        seen = tf.where(newly_bad, broken_now, seen)
        values = (mean_loss, lr, *evaluated)
        metrics = tuple(m.write(epoch, v) for m, v in zip(metrics, values, strict=True))
        if self.best.tracks:
            recorded = ~(first_bad > 0) if self.stop_on_nan else tf.constant(True)
            stopping = self.best.track(first + epoch, evaluated[self.best.val_loss_at], recorded)
        return epoch + 1, bad_epoch, bad_step, seen, stopping, metrics

    def _batches(self, data: Batches, order: Any) -> tuple[Any, Any, Any]:
        """An epoch's steps, the full batches then the short one, in ``order``: (the full
        batches taken, the sum of the steps' objectives, the first non-finite step or 0);
        with ``stop_on_nan`` the epoch ends at that step."""
        import tensorflow as tf

        stepper, batching = self.stepper, self.stepper.batching

        def one_batch(b: Any, total: Any, first_bad: Any) -> tuple[Any, Any, Any]:
            loss, finite = stepper.step(data, b, order)
            first_bad = tf.where((first_bad == 0) & ~finite, b + 1, first_bad)
            return b + 1, total + tf.cast(loss, tf.float32), first_bad

        def more_batches(b: Any, total: Any, first_bad: Any) -> Any:
            return (b < batching.full_batches) & ~(self.stop_on_nan & (first_bad > 0))

        batches, total, first_bad = tf.while_loop(
            more_batches, one_batch, (tf.constant(0), tf.constant(0.0), tf.constant(0)))
        if batching.rest:
            def rest_batch() -> tuple[Any, Any]:
                loss, finite = stepper.step(data, None, order)
                return total + tf.cast(loss, tf.float32), tf.where(
                    (first_bad == 0) & ~finite, batching.full_batches + 1, first_bad)
            skip = self.stop_on_nan & (first_bad > 0)
            total, first_bad = tf.cond(skip, lambda: (total, first_bad), rest_batch)
        return batches, total, first_bad
