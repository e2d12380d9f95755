"""Early stopping on val_loss inside the compiled loop: the best epoch, its weights, patience."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras


class BestEpoch:
    """The state of Keras' ``EarlyStopping(monitor="val_loss")``, in variables the compiled loop
    updates: the best val_loss, its epoch, the epochs since it (``wait``), the epoch training
    stopped at (-1: none), and with ``restore_best`` a copy of every model weight (not the
    optimizer's state) at the best epoch (``weights``).

    Without a validation part (not ``validated``) none of it exists and the compiled loop has
    nothing more to do. ``val_loss_at`` is where val_loss is among the evaluated values of an
    epoch. Made in the strategy's scope.
    """

    def __init__(self, model: keras.Model, validated: bool, patience: int, restore_best: bool,
                 val_loss_at: int) -> None:
        import tensorflow as tf

        self.model = model
        self.tracks = validated
        self.patience = patience if validated else 0
        self.val_loss_at = val_loss_at
        self.weights: list[Any] = []
        if not validated:
            return
        self._loss = tf.Variable(float("inf"), dtype=tf.float32, trainable=False)
        self._epoch = tf.Variable(0, dtype=tf.int32, trainable=False)
        self._wait = tf.Variable(0, dtype=tf.int32, trainable=False)
        self._stopped = tf.Variable(-1, dtype=tf.int32, trainable=False)
        if restore_best:
            self.weights = [tf.Variable(w.numpy(), trainable=False) for w in model.weights]

    @property
    def stopped(self) -> int | None:
        """The epoch (from 0) after which ``patience`` stopped training, or None."""
        if not self.patience:
            return None
        stopped = int(self._stopped.numpy())
        return stopped if stopped >= 0 else None

    def epoch(self, epochs_run: int) -> int | None:
        """The epoch of the lowest val_loss so far (Keras' ``best_epoch``: 0 until one is
        lower than infinity), or None without a validation part or before the first epoch."""
        if not self.tracks or not epochs_run:
            return None
        return int(self._epoch.numpy())

    def record(self) -> dict[str, Any]:
        """The early-stopping state for a checkpoint (a val_loss of None: infinity)."""
        loss = float(self._loss.numpy())
        stopped = int(self._stopped.numpy())
        return {"loss": loss if loss != float("inf") else None,
                "epoch": int(self._epoch.numpy()), "wait": int(self._wait.numpy()),
                "stopped": stopped if stopped >= 0 else None}

    def set_record(self, record: dict[str, Any], weights: list[Any]) -> None:
        """Put back the early-stopping state :meth:`record` and ``weights`` gave."""
        loss = record["loss"]
        self._loss.assign(float("inf") if loss is None else loss)
        self._epoch.assign(record["epoch"])
        self._wait.assign(record["wait"])
        self._stopped.assign(-1 if record["stopped"] is None else record["stopped"])
        for variable, value in zip(self.weights, weights, strict=True):
            variable.assign(value)

    def restore(self, strategy: Any, epochs_run: int) -> int | None:
        """Give the model the weights of the best epoch; return that epoch (None: nothing
        kept, without a validation part, ``restore_best`` or any epoch)."""
        epoch = self.epoch(epochs_run)
        if not self.weights or epoch is None:
            return None
        with strategy.scope():
            for weight, best in zip(self.model.weights, self.weights, strict=True):
                weight.assign(best.numpy())
        return epoch

    def track(self, epoch: Any, val_loss: Any, recorded: Any) -> Any:
        """In the graph, after epoch ``epoch`` (of the run) evaluated ``val_loss``: Keras'
        ``EarlyStopping(monitor="val_loss", patience, restore_best_weights=True)`` step. A lower
        val_loss (strictly; NaN never is) becomes the best, with a copy of the weights (epoch 0's
        are kept until one is lower); otherwise ``wait`` grows, and reaching ``patience`` (after
        epoch 0) stops. An epoch not ``recorded`` (broken by a non-finite step) changes nothing.
        Returns whether training stops here."""
        import tensorflow as tf

        improved = recorded & (val_loss < self._loss)
        take = improved | (recorded & (epoch == 0))
        if self.weights:
            def keep() -> Any:
                for best, weight in zip(self.weights, self.model.weights, strict=True):
                    best.assign(weight.value)
                return tf.constant(0)
            tf.cond(take, keep, lambda: tf.constant(0))
        self._loss.assign(tf.where(improved, val_loss, self._loss))
        self._epoch.assign(tf.where(take, epoch, self._epoch))
        wait = tf.where(recorded, tf.where(improved, 0, self._wait + 1), self._wait)
        self._wait.assign(wait)
        if not self.patience:
            return tf.constant(False)
        stop = recorded & ~improved & (wait >= self.patience) & (epoch > 0)
        self._stopped.assign(tf.where(stop, epoch, self._stopped))
        return stop


def record_fits(record: Any, epochs: int) -> bool:
    """Whether ``record`` (read back from a file) is a :meth:`BestEpoch.record` that agrees with
    itself and with a history of ``epochs`` epochs."""
    def whole(value: Any, low: int, high: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

    last = max(epochs - 1, 0)
    loss = record.get("loss") if isinstance(record, dict) else None
    return (isinstance(record, dict) and set(record) == {"loss", "epoch", "wait", "stopped"}
            and (loss is None or (isinstance(loss, int | float) and not isinstance(loss, bool)
                                  and math.isfinite(loss)))
            and whole(record["epoch"], 0, last) and whole(record["wait"], 0, epochs)
            and (record["stopped"] is None or record["stopped"] == epochs - 1))
