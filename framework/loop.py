"""The shared training loop: many epochs per compiled TensorFlow call.

For the lecture's small problems the cost of training is per-epoch Python
work, not arithmetic, so epochs run inside one ``tf.function`` (a
``tf.while_loop`` over epochs and batches) and Python only sees a chunk's
per-epoch metrics when the chunk ends. The model, loss, optimizer and
regularizers are whatever plugins provided; the loop never looks inside them.

Every step runs through a ``tf.distribute`` strategy (the default one when none
is chosen): each replica holds its rows of every batch, computes its part of
the objective and its gradients, and the optimizer sums the gradients of all
replicas before updating, so any number of replicas trains the same model.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from nnfw.predictions import metric_outputs

if TYPE_CHECKING:
    import keras
    import numpy as np

    from nnfw.network import Targets

CHUNK_SECONDS = 0.5  # aim for this much work per compiled call, so progress stays live
MAX_CHUNK_EPOCHS = 65536  # the per-epoch metric buffers of one call hold at most this many
# XLA compiles in about half a second here and then runs small steps ~40x faster than a
# plain graph; below these sizes the compilation costs more than it saves (measured on
# the lecture's runs: iris 2000 steps 0.47 s as a graph, 0.82 s with XLA; yogurt 15000
# steps 0.68 s as a graph, 0.33 s with XLA).
XLA_MIN_STEPS = 4000
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


STANDARD_COLUMNS = ("loss", "lr", "test_loss", "test_accuracy")


@dataclass
class History:
    """Per-epoch metrics, one list entry per epoch run (epochs count from 0, as the lecture prints).

    ``loss`` (the training objective's mean over the epoch's steps), ``lr``, the test
    part's ``test_loss`` and ``test_accuracy``, and in ``extra`` every other column the
    run records (``test_f1``, ``val_loss``, ...), in the order the run records them.
    """

    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)

    @property
    def epochs_run(self) -> int:
        """How many epochs have been recorded."""
        return len(self.loss)

    def column(self, name: str) -> list[float]:
        """The values of column ``name`` (empty when the run does not record it)."""
        if name in STANDARD_COLUMNS:
            return getattr(self, name)
        return self.extra.get(name, [])

    def add(self, name: str, values: list[float]) -> None:
        """Append ``values`` to column ``name`` (a new extra column if it is none yet)."""
        if name in STANDARD_COLUMNS:
            getattr(self, name).extend(values)
        else:
            self.extra.setdefault(name, []).extend(values)

    def columns(self) -> dict[str, list[float]]:
        """The per-epoch metrics this run has (loss, lr, test_loss, test_accuracy, then the
        extra columns), by name."""
        named = {name: getattr(self, name) for name in STANDARD_COLUMNS}
        return {name: values for name, values in {**named, **self.extra}.items() if values}

    def rows(self) -> list[dict[str, float]]:
        """One dict per epoch, with only the metrics this run has."""
        columns = self.columns()
        return [{"epoch": i, **{k: v[i] for k, v in columns.items()}} for i in range(self.epochs_run)]

    def final(self) -> dict[str, float]:
        """The last epoch's metrics (empty before the first epoch); as cheap at epoch 10**6 as
        at epoch 1, since the progress display asks for it after every chunk."""
        return {name: values[-1] for name, values in self.columns().items()}


class _Shard(NamedTuple):
    """One replica's rows of the training data: of each full batch (stacked), of the short one."""

    x_full: Any
    t_full: Any
    x_rest: Any
    t_rest: Any


class _ShuffledShard(NamedTuple):
    """A replica's view of training data shuffled every epoch: every row (the same on each
    replica), and the positions within a full batch and within the short one that it trains on."""

    x: Any
    t: Any
    full_positions: Any
    rest_positions: Any


class _Part(NamedTuple):
    """An evaluation part on the devices: features, targets as the loss sees them, and as
    metrics see them (class ids, or the targets)."""

    x: Any
    t: Any
    y: Any


class _Batches(NamedTuple):
    """The data on the devices: each replica's shard of the training data, the evaluation
    parts (test, validation; those without rows are left out)."""

    shard: Any  # a _Shard per replica
    parts: tuple[_Part, ...]


def replica_rows(rows: int, replica: int, replicas: int) -> slice:
    """The rows of a batch of ``rows`` that replica ``replica`` of ``replicas`` trains on.

    The batch is cut in order into parts whose sizes differ by at most one row, so
    the replicas together see every row once, as a single device would.
    """
    return slice(replica * rows // replicas, (replica + 1) * rows // replicas)


@dataclass
class Divergence:
    """Where the loss or a weight first stopped being finite (epoch from 0, step from 1).

    ``non_finite`` names what went non-finite at that step (``loss``, ``gradient of X``,
    or a variable ``X`` after the update) and ``cause`` says what that suggests. They come
    from replaying the broken epoch step by step; where the replay stays finite (the
    compiled program rounded differently) or is not done (``on-nan continue``), from
    what the compiled loop saw at that step.
    """

    epoch: int
    step: int
    non_finite: list[str] = field(default_factory=list)
    cause: str = ""


def cluster_size(strategy: Any) -> int:
    """How many worker processes train together under ``strategy`` (1: just this one)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return 1
    jobs = resolver.cluster_spec().as_dict()
    return sum(len(tasks) for job, tasks in jobs.items() if job in ("chief", "worker")) or 1


class Trainer:
    """Trains a built Keras model with a plugin's optimizer and loss, epochs at a time.

    With ``jit`` the chunk of epochs is compiled by XLA when the plugins' ops
    allow it; otherwise (or when XLA fails to compile them) it runs as a graph.
    Under a ``strategy`` (the model and optimizer built in its scope) the batch
    size is the global batch, split between the replicas; ``loss_reduction``
    (``"mean"`` or ``"sum"`` over the rows of a batch) says how to weigh each
    replica's part of the loss. ``exact`` runs the graph without TensorFlow's
    arithmetic rewrites, so that it computes what its operations compute eagerly
    (see :func:`eager_arithmetic`; it needs ``jit`` off to hold).
    """

    def __init__(self, model: keras.Model, optimizer: keras.optimizers.Optimizer, loss: Any,
                 data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], targets: Targets,
                 batch_size: int, stop_on_nan: bool = True, jit: bool = True,
                 strategy: Any = None, loss_reduction: str = "mean", exact: bool = False,
                 metrics: Sequence[tuple[str, Callable[[Any, Any], Any]]] = (),
                 validation: tuple[np.ndarray, np.ndarray] | None = None,
                 shuffle_seed: int | None = None, patience: int = 0,
                 restore_best: bool = False) -> None:
        import tensorflow as tf

        x_train, y_train, x_test, y_test = data
        self.metrics = list(metrics)
        self.model, self.optimizer, self.loss = model, optimizer, loss
        self.strategy = strategy or tf.distribute.get_strategy()
        self.replicas = self.strategy.num_replicas_in_sync
        self.workers = cluster_size(self.strategy)
        self.loss_reduction = loss_reduction
        self.targets = targets
        self.stop_on_nan = stop_on_nan
        rows = len(x_train)
        self.batch_size = min(batch_size, rows)
        self.full_batches, self.rest = divmod(rows, self.batch_size)
        self.steps_per_epoch = self.full_batches + (1 if self.rest else 0)
        cut = self.full_batches * self.batch_size
        t_train = targets.encode(y_train)
        # batched once, unless every epoch takes the rows in another order
        x_full = x_train[:cut].reshape(self.full_batches, self.batch_size, -1) \
            if shuffle_seed is None else None
        t_full = t_train[:cut].reshape(self.full_batches, self.batch_size, -1) \
            if shuffle_seed is None else None

        self.shuffle_seed = shuffle_seed
        self.rows = rows

        def shard(context: Any) -> _Shard | _ShuffledShard:
            replica = context.replica_id_in_sync_group
            full = replica_rows(self.batch_size, replica, self.replicas)
            rest = replica_rows(self.rest, replica, self.replicas)
            if shuffle_seed is not None:
                return _ShuffledShard(
                    x=tf.constant(x_train), t=tf.constant(t_train),
                    full_positions=tf.range(full.start, full.stop, dtype=tf.int32),
                    rest_positions=tf.range(cut + rest.start, cut + rest.stop, dtype=tf.int32))
            return _Shard(x_full=tf.constant(x_full[:, full]), t_full=tf.constant(t_full[:, full]),
                          x_rest=tf.constant(x_train[cut:][rest]),
                          t_rest=tf.constant(t_train[cut:][rest]))

        evaluated = [("test", x_test, y_test), *([("val", *validation)] if validation else [])]
        evaluated = [(prefix, x, y) for prefix, x, y in evaluated if len(x)]
        self.columns = ["loss", "lr", *(f"{prefix}_{name}" for prefix, _, _ in evaluated
                                        for name in ["loss", *(m for m, _ in self.metrics)])]
        with self.strategy.scope():
            self._data = _Batches(
                shard=self.strategy.experimental_distribute_values_from_function(shard),
                parts=tuple(self._part(x, y) for _, x, y in evaluated))
            self._variables = model.trainable_variables
            optimizer.build(self._variables)
            self._track_best_setup("val_loss" in self.columns, patience, restore_best)
        self.jit = jit
        self.exact = exact
        self._capacity = 1
        self._run: Any = None
        self._one_step: Any = None
        self._evaluating: Any = None
        self.traces = 0
        self.history = History()
        self.divergence: Divergence | None = None

    def _track_best_setup(self, validated: bool, patience: int, restore_best: bool) -> None:
        """With a validation part, the state of Keras' ``EarlyStopping(monitor="val_loss")``:
        the best val_loss, its epoch, the epochs since it (``wait``), the epoch training stopped
        at (-1: none), and with ``restore_best`` a copy of every model weight (not the
        optimizer's state) at the best epoch. Without a validation part, none of it exists and
        the compiled loop has nothing more to do. Made in the strategy's scope."""
        import tensorflow as tf

        self.tracks_best = validated
        self.patience = patience if validated else 0
        self._val_loss_at = self.columns.index("val_loss") - 2 if validated else -1  # in evaluated
        self.best_weights: list[Any] = []
        if not validated:
            return
        self._best_loss = tf.Variable(float("inf"), dtype=tf.float32, trainable=False)
        self._best_epoch = tf.Variable(0, dtype=tf.int32, trainable=False)
        self._wait = tf.Variable(0, dtype=tf.int32, trainable=False)
        self._stopped = tf.Variable(-1, dtype=tf.int32, trainable=False)
        if restore_best:
            self.best_weights = [tf.Variable(w.numpy(), trainable=False) for w in self.model.weights]

    @property
    def stopped_early(self) -> int | None:
        """The epoch (from 0) after which ``patience`` stopped training, or None."""
        if not self.patience:
            return None
        stopped = int(self._stopped.numpy())
        return stopped if stopped >= 0 else None

    @property
    def best_epoch(self) -> int | None:
        """The epoch of the lowest val_loss so far (Keras' ``best_epoch``: 0 until one is
        lower than infinity), or None without a validation part or before the first epoch."""
        if not self.tracks_best or not self.history.epochs_run:
            return None
        return int(self._best_epoch.numpy())

    def best_record(self) -> dict[str, Any]:
        """The early-stopping state for a checkpoint (a val_loss of None: infinity)."""
        loss = float(self._best_loss.numpy())
        stopped = int(self._stopped.numpy())
        return {"loss": loss if loss != float("inf") else None,
                "epoch": int(self._best_epoch.numpy()), "wait": int(self._wait.numpy()),
                "stopped": stopped if stopped >= 0 else None}

    def set_best_record(self, record: dict[str, Any], weights: list[Any]) -> None:
        """Put back the early-stopping state :meth:`best_record` and ``best_weights`` gave."""
        loss = record["loss"]
        self._best_loss.assign(float("inf") if loss is None else loss)
        self._best_epoch.assign(record["epoch"])
        self._wait.assign(record["wait"])
        self._stopped.assign(-1 if record["stopped"] is None else record["stopped"])
        for variable, value in zip(self.best_weights, weights, strict=True):
            variable.assign(value)

    def restore_best(self) -> int | None:
        """Give the model the weights of the best epoch; return that epoch (None: nothing
        kept, without a validation part, ``restore_best`` or any epoch)."""
        epoch = self.best_epoch
        if not self.best_weights or epoch is None:
            return None
        with self.strategy.scope():
            for weight, best in zip(self.model.weights, self.best_weights, strict=True):
                weight.assign(best.numpy())
        return epoch

    def _track_best(self, epoch: Any, val_loss: Any, recorded: Any) -> Any:
        """In the graph, after epoch ``epoch`` (of the run) evaluated ``val_loss``: Keras'
        ``EarlyStopping(monitor="val_loss", patience, restore_best_weights=True)`` step. A lower
        val_loss (strictly; NaN never is) becomes the best, with a copy of the weights (epoch 0's
        are kept until one is lower); otherwise ``wait`` grows, and reaching ``patience`` (after
        epoch 0) stops. An epoch not ``recorded`` (broken by a non-finite step) changes nothing.
        Returns whether training stops here."""
        import tensorflow as tf

        improved = recorded & (val_loss < self._best_loss)
        take = improved | (recorded & (epoch == 0))
        if self.best_weights:
            def keep() -> Any:
                for best, weight in zip(self.best_weights, self.model.weights, strict=True):
                    best.assign(weight.value)
                return tf.constant(0)
            tf.cond(take, keep, lambda: tf.constant(0))
        self._best_loss.assign(tf.where(improved, val_loss, self._best_loss))
        self._best_epoch.assign(tf.where(take, epoch, self._best_epoch))
        wait = tf.where(recorded, tf.where(improved, 0, self._wait + 1), self._wait)
        self._wait.assign(wait)
        if not self.patience:
            return tf.constant(False)
        stop = recorded & ~improved & (wait >= self.patience) & (epoch > 0)
        self._stopped.assign(tf.where(stop, epoch, self._stopped))
        return stop

    def _part(self, x: np.ndarray, y: np.ndarray) -> _Part:
        """An evaluation part's arrays as constants on the device."""
        import tensorflow as tf

        return _Part(x=tf.constant(x), t=tf.constant(self.targets.encode(y)),
                     y=tf.constant(y.astype("int32") if self.targets.classification else y))

    @property
    def state(self) -> list[Any]:
        """Every variable training changes or reads: model weights, then optimizer variables."""
        return [*self.model.weights, *self.optimizer.variables]

    def _compile(self, capacity: int) -> None:
        """(Re)build the compiled chunk function for chunks of up to ``capacity`` epochs."""
        import tensorflow as tf

        self._capacity = capacity
        # autograph=False: the loop is written with tf.while_loop and tf.cond already, and
        # AutoGraph's source transformation was most of the tracing time (measured).
        self._run = tf.function(self._epochs, jit_compile=self.jit, reduce_retracing=True,
                                autograph=False)

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

    def _step(self, data: _Batches, batch: Any, order: Any = None) -> tuple[Any, Any]:
        """One optimizer step on batch ``batch`` (None: the last, short one) of an epoch whose
        rows come in ``order`` (see :meth:`order`), on every replica: (the batch's training
        objective, whether it is finite)."""
        import tensorflow as tf

        def replica_step(shard: Any) -> Any:
            objective, grads = self._replica_part(shard, batch, order)
            self.optimizer.apply(grads, self._variables)  # sums the replicas' gradients first
            return objective

        loss = self._sum(self.strategy.run(replica_step, args=(data.shard,)))
        # Only the loss, every step: weights an update broke make the next step's loss
        # non-finite, and the weights themselves are checked at the end of each epoch; the
        # eager replay of a broken epoch then finds the exact step (see _diagnose).
        return loss, tf.math.is_finite(loss)

    def _sum(self, per_replica: Any) -> Any:
        """The sum over all replicas of a per-replica value (the value itself on one replica)."""
        import tensorflow as tf

        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def _replica_part(self, shard: Any, batch: Any, order: Any = None) -> tuple[Any, list[Any]]:
        """A replica's part of the objective of batch ``batch`` (None: the short one) of an
        epoch whose rows come in ``order``, with its gradients."""
        import tensorflow as tf

        if isinstance(shard, _ShuffledShard):
            if order is None:  # a step outside the epoch loop: rows as they are
                order = tf.range(self.rows, dtype=tf.int32)
            if batch is None:
                rows, size = tf.gather(order, shard.rest_positions), self.rest
            else:
                rows = tf.gather(order, batch * self.batch_size + shard.full_positions)
                size = self.batch_size
            return self._objective_and_gradients(tf.gather(shard.x, rows),
                                                 tf.gather(shard.t, rows), size)
        if batch is None:
            return self._objective_and_gradients(shard.x_rest, shard.t_rest, self.rest)
        return self._objective_and_gradients(shard.x_full[batch], shard.t_full[batch],
                                             self.batch_size)

    def _finite_weights(self) -> Any:
        """For each trained weight, whether all of it is finite (a bool vector)."""
        import tensorflow as tf

        checks = [tf.reduce_all(tf.math.is_finite(v)) for v in self._variables]
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
        grads = tape.gradient(objective, self._variables)
        # zeros, not None, where a part does not depend on a weight: every replica must
        # hand the optimizer's sum the same list of gradients
        return objective, [tf.zeros(v.shape, v.dtype) if g is None else g
                           for v, g in zip(self._variables, grads, strict=True)]

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

    def _evaluate(self, part: _Part) -> list[Any]:
        """The loss and every metric on an evaluation part, in the order of ``columns``."""
        prediction = self.model(part.x, training=False)
        loss = self._loss_part(part.t, prediction, int(part.t.shape[0]))
        outputs = metric_outputs(prediction, self.targets.classification and
                                 not self.targets.one_hot)
        return [loss, *(metric(part.y, outputs) for _, metric in self.metrics)]

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """The loss and metrics of the model as it is on rows ``x`` with targets ``y`` (encoded
        as the data set's), computed as training computes them on its test part each epoch."""
        import tensorflow as tf

        part = self._part(x, y)
        arithmetic = eager_arithmetic if self.exact else contextlib.nullcontext
        if self._evaluating is None:  # one function, traced once for each part's shape
            self._evaluating = tf.function(self._evaluate, autograph=False)
        with self.strategy.scope(), arithmetic():
            values = self._evaluating(part)
        names = ["loss", *(name for name, _ in self.metrics)]
        return {name: float(value) for name, value in zip(names, values, strict=True)}

    def _epochs(self, count: Any, first: Any, data: _Batches) -> tuple[Any, ...]:
        """Run up to ``count`` epochs in the graph, the first of them the run's epoch ``first``;
        stop early at a non-finite step if asked, and where ``patience`` says (after that epoch).

        Returns (epochs run, epoch and step of the first non-finite step or -1/0, what the
        loop saw broken there (the loss, then each weight: a bool vector), then each of
        ``columns`` per epoch, ``capacity`` long).
        """
        import tensorflow as tf

        self.traces += 1

        def one_epoch(epoch: Any, bad_epoch: Any, bad_step: Any, seen: Any, stopping: Any,
                      metrics: tuple[Any, ...]) -> tuple[Any, ...]:
            lr = tf.cast(self.optimizer.learning_rate, tf.float32)
            # The state at the epoch's start, restored if a step of this epoch breaks it: then
            # the weights are those of the last recorded epoch (one copy an epoch, not a step).
            start = [tf.identity(v.value) for v in self.state] if self.stop_on_nan else []
            order = self.order(first + epoch)

            def one_batch(b: Any, total: Any, first_bad: Any) -> tuple[Any, Any, Any]:
                loss, finite = self._step(data, b, order)
                first_bad = tf.where((first_bad == 0) & ~finite, b + 1, first_bad)
                return b + 1, total + tf.cast(loss, tf.float32), first_bad

            def more_batches(b: Any, total: Any, first_bad: Any) -> Any:
                return (b < self.full_batches) & ~(self.stop_on_nan & (first_bad > 0))

            batches, total, first_bad = tf.while_loop(
                more_batches, one_batch, (tf.constant(0), tf.constant(0.0), tf.constant(0)))
            if self.rest:
                def rest_batch() -> tuple[Any, Any]:
                    loss, finite = self._step(data, None, order)
                    return total + tf.cast(loss, tf.float32), tf.where(
                        (first_bad == 0) & ~finite, self.full_batches + 1, first_bad)
                skip = self.stop_on_nan & (first_bad > 0)
                total, first_bad = tf.cond(skip, lambda: (total, first_bad), rest_batch)
            finite_weights = self._finite_weights()
            broken_now = tf.concat([[first_bad > 0], ~finite_weights], axis=0)
            first_bad = tf.where((first_bad == 0) & ~tf.reduce_all(finite_weights),
                                 self.steps_per_epoch, first_bad)
            if self.stop_on_nan:
                def restore() -> Any:
                    for variable, value in zip(self.state, start, strict=True):
                        variable.assign(value)
                    return tf.constant(0)
                tf.cond(first_bad > 0, restore, lambda: tf.constant(0))
            # divided by a count the loop computes: TensorFlow's constant folding would turn
            # a division by the constant steps_per_epoch into a multiplication by its inverse
            steps = batches + (1 if self.rest else 0)
            mean_loss = total / tf.cast(steps, tf.float32)
            evaluated = [tf.cast(value, tf.float32) for part in data.parts
                         for value in self._evaluate(part)]
            newly_bad = (bad_step == 0) & (first_bad > 0)
            bad_epoch = tf.where(newly_bad, epoch, bad_epoch)
            bad_step = tf.where(newly_bad, first_bad, bad_step)
            seen = tf.where(newly_bad, broken_now, seen)
            values = (mean_loss, lr, *evaluated)
            metrics = tuple(m.write(epoch, v) for m, v in zip(metrics, values, strict=True))
            if self.tracks_best:
                recorded = ~(first_bad > 0) if self.stop_on_nan else tf.constant(True)
                stopping = self._track_best(first + epoch, evaluated[self._val_loss_at], recorded)
            return epoch + 1, bad_epoch, bad_step, seen, stopping, metrics

        def more_epochs(epoch: Any, bad_epoch: Any, bad_step: Any, seen: Any, stopping: Any,
                        metrics: Any) -> Any:
            return (epoch < count) & ~(self.stop_on_nan & (bad_step > 0)) & ~stopping

        arrays = tuple(tf.TensorArray(tf.float32, size=self._capacity) for _ in self.columns)
        nothing_seen = tf.zeros([1 + len(self._variables)], tf.bool)
        epochs, bad_epoch, bad_step, seen, _, arrays = tf.while_loop(
            more_epochs, one_epoch,
            (tf.constant(0), tf.constant(-1), tf.constant(0), nothing_seen, tf.constant(False),
             arrays))
        return (epochs, bad_epoch, bad_step, seen, *(a.stack() for a in arrays))

    def _call(self, count: int) -> tuple[Any, ...]:
        """Run one chunk; if XLA cannot compile the plugins' ops, fall back to a plain graph."""
        import tensorflow as tf

        arithmetic = eager_arithmetic if self.exact else contextlib.nullcontext
        try:
            with self.strategy.scope(), arithmetic():
                return self._run(tf.constant(count), tf.constant(self.history.epochs_run),
                                 self._data)
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
            if not self.jit or self.history.epochs_run:
                raise
            self.jit = False
            self._compile(self._capacity)
            with self.strategy.scope(), arithmetic():
                return self._run(tf.constant(count), tf.constant(self.history.epochs_run),
                                 self._data)

    def fit(self, epochs: int, on_chunk: Any = None) -> float:
        """Train up to ``epochs`` more epochs, in chunks; return the seconds the loop took.

        ``on_chunk(history)`` is called after each chunk (progress display,
        checkpoints); it may return True to stop training there. Stops early
        when a step goes non-finite and ``stop_on_nan`` is set, and at the epoch where
        ``patience`` epochs brought no lower val_loss (see :meth:`_track_best`).
        """
        if self._run is None or min(epochs, MAX_CHUNK_EPOCHS) > self._capacity:
            self._compile(min(epochs, MAX_CHUNK_EPOCHS))
        began = time.perf_counter()
        done = 0
        chunk = 1
        while done < epochs and not (self.stop_on_nan and self.divergence) and \
                self.stopped_early is None:
            count = min(chunk, epochs - done, self._capacity)
            start = time.perf_counter()
            ran, bad_epoch, bad_step, seen, *metrics = self._call(count)
            seconds = time.perf_counter() - start
            self._record(int(ran), self.history.epochs_run, int(bad_epoch), int(bad_step),
                         seen.numpy().tolist(), metrics)
            done += int(ran)
            if on_chunk is not None and on_chunk(self.history):
                break
            per_epoch = seconds / max(int(ran), 1)
            chunk = self._agreed(
                max(1, min(epochs, int(CHUNK_SECONDS / per_epoch) if per_epoch else epochs)))
        return time.perf_counter() - began  # the loop's wall time: chunks, records, callbacks

    def step(self, batch: int) -> float:
        """One optimizer step on batch ``batch`` of an epoch (0 to ``steps_per_epoch - 1``, the
        short batch last), outside the chunked loop: the batch's training objective before the
        update, as training records it. The model and the optimizer's state move as in
        :meth:`fit`; nothing is recorded in the history, and nothing checks for divergence.

        For work that decides after every step (the learning-rate finder). The step runs
        as a plain graph, never XLA: compiling does not pay off for one step per call.
        """
        import tensorflow as tf

        if not 0 <= batch < self.steps_per_epoch:
            raise ValueError(f"batch {batch} is not in 0..{self.steps_per_epoch - 1}")
        if self._one_step is None:
            self._one_step = tf.function(lambda data, index: self._step(data, index)[0],
                                         autograph=False)
        index = tf.constant(batch) if batch < self.full_batches else None  # None: the short one
        arithmetic = eager_arithmetic if self.exact else contextlib.nullcontext
        with self.strategy.scope(), arithmetic():
            return float(self._one_step(self._data, index))

    def _agreed(self, chunk: int) -> int:
        """The next chunk's size as the first worker proposes it, on every worker.

        Workers time their chunks differently, but each call must run the same
        steps on all of them: their all-reduce operations are paired call by call.
        """
        import tensorflow as tf

        if self.workers == 1:
            return chunk

        def proposal(context: Any) -> Any:
            return tf.constant(chunk if context.replica_id_in_sync_group == 0 else 0, tf.float32)

        with self.strategy.scope():
            proposals = self.strategy.experimental_distribute_values_from_function(proposal)
            return int(self.strategy.reduce(tf.distribute.ReduceOp.SUM, proposals, axis=None))

    def _record(self, ran: int, offset: int, bad_epoch: int, bad_step: int, seen: list[bool],
                metrics: list[Any]) -> None:
        if bad_step and self.stop_on_nan:
            ran -= 1  # the epoch that broke is incomplete: it is not recorded
        for name, values in zip(self.columns, metrics, strict=True):
            self.history.add(name, values.numpy()[:ran].tolist())
        if bad_step and self.divergence is None:
            self.divergence = Divergence(epoch=offset + bad_epoch, step=bad_step)
            if self.stop_on_nan:
                self._diagnose(self.divergence)
            if not self.divergence.non_finite:
                self._describe_unreplayed(self.divergence, seen)

    def _describe_unreplayed(self, divergence: Divergence, seen: list[bool]) -> None:
        """Word a divergence from what the compiled loop saw, when replaying it found nothing
        (or was not done): ``seen`` flags the loss, then each weight, at the broken step."""
        names = [v.path for v in self._variables]
        divergence.non_finite = (["loss"] if seen[0] else []) + [
            name for name, broken in zip(names, seen[1:], strict=True) if broken]
        what = "the loss" if seen[0] else "a weight after its update"
        if not self.stop_on_nan:
            divergence.cause = f"{what} went non-finite (training went on, as --on-nan continue asks)"
            return
        divergence.cause = (f"{what} went non-finite in the compiled program, but replaying the "
                            "epoch step by step stayed finite: the run is at the edge of float32, "
                            "where the rounding of fused operations decides; --exact (no XLA) "
                            "computes each operation as written")

    def _diagnose(self, divergence: Divergence) -> None:
        """Replay the broken epoch eagerly, step by step, to find the exact step that broke and
        what went non-finite; then put the state back as it was (the epoch's start)."""
        import tensorflow as tf

        batches: list[int | None] = [*range(self.full_batches), *([None] if self.rest else [])]
        order = self.order(divergence.epoch)
        state = self.state
        saved = [v.numpy() for v in state]
        found: list[str] = []
        broken: list[str] = []
        with self.strategy.scope():
            try:
                for step, batch in enumerate(batches[:divergence.step], start=1):
                    part = functools.partial(self._replica_part, batch=batch, order=order)
                    loss, grads = self.strategy.run(part, args=(self._data.shard,))
                    loss, grads = self._sum(loss), [self._sum(g) for g in grads]
                    found = [] if bool(tf.math.is_finite(loss)) else ["loss"]
                    found += [f"gradient of {v.path}" for v, g in zip(self._variables, grads, strict=True)
                              if not bool(tf.reduce_all(tf.math.is_finite(g)))]
                    self._step(self._data, batch, order)  # the step itself, as the loop took it
                    broken = [v.path for v in self._variables
                              if not bool(tf.reduce_all(tf.math.is_finite(v)))]
                    if found or broken:
                        divergence.step = step  # the exact step (the loop may see it one step later)
                        break
            finally:
                for variable, value in zip(state, saved, strict=True):
                    variable.assign(value)
        divergence.non_finite = found + broken
        if "loss" in found:
            divergence.cause = "the loss overflowed (outputs or weights grew too large)"
        elif found:
            divergence.cause = "the gradients overflowed while the loss was finite"
        elif broken:
            divergence.cause = ("the optimizer's update is not finite although loss and gradients "
                                "are: it divides by a state that reached 0 (no epsilon)")

