"""The trainer: trains a built model epochs at a time, and keeps its history and divergence."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nnfw.training.best import BestEpoch
from nnfw.training.chunks import agreed, capacity, next_chunk
from nnfw.training.compilation import arithmetic
from nnfw.training.divergence import Divergence, diagnose
from nnfw.training.epoch_loop import EpochLoop
from nnfw.training.history import History
from nnfw.training.shards import Batches, Batching, cluster_size, device_part
from nnfw.training.steps import Stepper

if TYPE_CHECKING:
    import keras
    import numpy as np

    from nnfw.training.network import Targets


class Trainer:
    """Trains a built Keras model with a plugin's optimizer and loss, epochs at a time.

    With ``jit`` the chunk of epochs is compiled by XLA when the plugins' ops
    allow it; otherwise (or when XLA fails to compile them) it runs as a graph.
    Under a ``strategy`` (the model and optimizer built in its scope) the batch
    size is the global batch, split between the replicas; ``loss_reduction``
    (``"mean"`` or ``"sum"`` over the rows of a batch) says how to weigh each
    replica's part of the loss. ``exact`` runs the graph without TensorFlow's
    arithmetic rewrites, so that it computes what its operations compute eagerly
    (see :func:`~nnfw.training.compilation.eager_arithmetic`; it needs ``jit`` off to hold).
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
        metrics = list(metrics)
        self.model, self.optimizer, self.loss = model, optimizer, loss
        self.strategy = strategy or tf.distribute.get_strategy()
        self.workers = cluster_size(self.strategy)
        self.stop_on_nan, self.exact = stop_on_nan, exact
        batching = Batching(len(x_train), batch_size, self.strategy.num_replicas_in_sync,
                            shuffle_seed)
        t_train = targets.encode(y_train)
        evaluated = [("test", x_test, y_test), *([("val", *validation)] if validation else [])]
        evaluated = [(prefix, x, y) for prefix, x, y in evaluated if len(x)]
        self.columns = ["loss", "lr", *(f"{prefix}_{name}" for prefix, _, _ in evaluated
                                        for name in ["loss", *(m for m, _ in metrics)])]
        validated = "val_loss" in self.columns
        with self.strategy.scope():
            self._data = Batches(shard=batching.distribute(self.strategy, x_train, t_train),
                                 parts=tuple(device_part(x, y, targets) for _, x, y in evaluated))
            self.stepper = Stepper(model, optimizer, loss, self.strategy, batching, targets,
                                   loss_reduction, metrics)
            val_loss_at = self.columns.index("val_loss") - 2 if validated else -1  # in evaluated
            self.best = BestEpoch(model, validated, patience, restore_best, val_loss_at)
        self.loop = EpochLoop(self.stepper, self.best, self.columns, stop_on_nan, jit, exact)
        self._one_step: Any = None
        self._evaluating: Any = None
        self.history = History()
        self.divergence: Divergence | None = None

    @property
    def state(self) -> list[Any]:
        """Every variable training changes or reads: model weights, then optimizer variables."""
        return self.stepper.state

    @property
    def steps_per_epoch(self) -> int:
        """The optimizer steps of an epoch: the full batches, and the short one if any."""
        return self.stepper.batching.steps_per_epoch

    @property
    def traces(self) -> int:
        """How often the compiled loop was traced (once a run, unless XLA failed)."""
        return self.loop.traces

    @property
    def tracks_best(self) -> bool:
        """Whether the run has a validation part, whose val_loss early stopping watches."""
        return self.best.tracks

    @property
    def stopped_early(self) -> int | None:
        """The epoch (from 0) after which ``patience`` stopped training, or None."""
        return self.best.stopped

    @property
    def best_epoch(self) -> int | None:
        """The epoch of the lowest val_loss so far (see :meth:`BestEpoch.epoch`), or None."""
        return self.best.epoch(self.history.epochs_run)

    def restore_best(self) -> int | None:
        """Give the model the weights of the best epoch; return that epoch (None: nothing
        kept, without a validation part, ``restore_best`` or any epoch)."""
        return self.best.restore(self.strategy, self.history.epochs_run)

    def fit(self, epochs: int, on_chunk: Any = None) -> float:
        """Train up to ``epochs`` more epochs, in chunks; return the seconds the loop took.

        ``on_chunk(history)`` is called after each chunk (progress display,
        checkpoints); it may return True to stop training there. Stops early
        when a step goes non-finite and ``stop_on_nan`` is set, and at the epoch where
        ``patience`` epochs brought no lower val_loss (see :meth:`BestEpoch.track`).
        """
        if not self.loop.compiled or capacity(epochs) > self.loop.capacity:
            self.loop.compile(capacity(epochs))
        began = time.perf_counter()
        done = 0
        chunk = 1
        while done < epochs and not (self.stop_on_nan and self.divergence) and \
                self.stopped_early is None:
            count = min(chunk, epochs - done, self.loop.capacity)
            start = time.perf_counter()
            ran, bad_epoch, bad_step, seen, *metrics = self.loop.call(
                count, self.history.epochs_run, self._data)
            seconds = time.perf_counter() - start
            self._record(int(ran), self.history.epochs_run, int(bad_epoch), int(bad_step),
                         seen.numpy().tolist(), metrics)
            done += int(ran)
            if on_chunk is not None and on_chunk(self.history):
                break
            chunk = agreed(self.strategy, self.workers, next_chunk(seconds, int(ran), epochs))
        return time.perf_counter() - began  # the loop's wall time: chunks, records, callbacks

    def _record(self, ran: int, offset: int, bad_epoch: int, bad_step: int, seen: list[bool],
                metrics: list[Any]) -> None:
        """Add a chunk's epochs (from the run's epoch ``offset``) to the history, and the
        first divergence it met (see :func:`nnfw.training.divergence.diagnose`)."""
        if bad_step and self.stop_on_nan:
            ran -= 1  # the epoch that broke is incomplete: it is not recorded
        for name, values in zip(self.columns, metrics, strict=True):
            self.history.add(name, values.numpy()[:ran].tolist())
        if bad_step and self.divergence is None:
            self.divergence = diagnose(self.stepper, self._data, offset + bad_epoch, bad_step,
                                       seen, self.stop_on_nan)

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
            self._one_step = tf.function(lambda data, index: self.stepper.step(data, index)[0],
                                         autograph=False)
        # None: the short one
        index = tf.constant(batch) if batch < self.stepper.batching.full_batches else None
        with self.strategy.scope(), arithmetic(self.exact):
            return float(self._one_step(self._data, index))

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """The loss and metrics of the model as it is on rows ``x`` with targets ``y`` (encoded
        as the data set's), computed as training computes them on its test part each epoch."""
        import tensorflow as tf

        part = device_part(x, y, self.stepper.targets)
        if self._evaluating is None:  # one function, traced once for each part's shape
            self._evaluating = tf.function(self.stepper.evaluate, autograph=False)
        with self.strategy.scope(), arithmetic(self.exact):
            values = self._evaluating(part)
        names = ["loss", *(name for name, _ in self.stepper.metrics)]
        return {name: float(value) for name, value in zip(names, values, strict=True)}
