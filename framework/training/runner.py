"""One training run from resolved settings: data, model, plugins, the loop, the run directory."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from nnfw.config.settings import Settings
from nnfw.errors import Interrupted, LostWorker
from nnfw.plugin.isolation import guarded
from nnfw.plugin.registry import Registry
from nnfw.rundirs.history_log import HistoryLog
from nnfw.rundirs.inputs import FILES, fingerprints, verify_files
from nnfw.rundirs.run_results import write_run
from nnfw.rundirs.run_summary import summary_json
from nnfw.rundirs.rundir import (
    check_writable,
    read_provenance,
    run_lock,
)
from nnfw.rundirs.started import open_run_dir
from nnfw.training.checkpoint import Checkpoints, load_checkpoint
from nnfw.training.complexity import Complexity
from nnfw.training.divergence import Divergence
from nnfw.training.history import History
from nnfw.training.loop import Trainer
from nnfw.training.metrics import final_values
from nnfw.training.plan import Plan, build_trainer, plan_run, start_strategy
from nnfw.training.stopping import stop_on_signals

if TYPE_CHECKING:
    import keras

    from nnfw.plugin.data import Dataset

T = TypeVar("T")


@dataclass
class RunResult:
    """What a training run produced."""

    settings: Settings
    history: History
    divergence: Divergence | None
    train_seconds: float
    complexity: Complexity
    model: keras.Model
    data: Dataset
    run_dir: Path | None = None
    interrupted: bool = False
    final_metrics: dict[str, Any] = field(default_factory=dict)  # of the final model, on test
    # with a validation part: the epoch of the lowest val_loss, the epoch ``patience`` stopped
    # after (None: it did not), the epoch whose weights the model has (None: the last one's),
    # and then the final metrics of those weights (test and val parts evaluated again)
    validated: bool = False
    best_epoch: int | None = None
    stopped_early: int | None = None
    kept_epoch: int | None = None
    kept_final: dict[str, float] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """A one-line description of the run, for plot titles."""
        choices, scalars = self.settings.choices, self.settings.scalars
        extra = f", {choices['regularizer']}" if choices.get("regularizer") else ""
        return (f"{scalars['name']}, {choices['optimizer']}, "
                f"{choices['loss']}{extra}, "
                f"lr {scalars['lr']:g}, {self.history.epochs_run} epochs")

    def summary(self) -> dict[str, Any]:
        """What ``summary.json`` holds (see :func:`nnfw.rundirs.run_summary.summary_json`)."""
        return summary_json(self)


def run_training(settings: Settings, registry: Registry, out: str | Path | None = None,
                 on_chunk: Callable[[History], None] | None = None,
                 resume: Path | None = None, strategy: Any = None,
                 on_start: Callable[[], None] | None = None) -> RunResult:
    """Train as the settings say, writing a new run directory under ``out`` (None: write
    nothing), or continue the run in ``resume`` up to the settings' epochs.

    ``strategy`` is the settings' strategy when the caller started it already
    (:func:`start_strategy`); only the chief worker of a cluster writes anything,
    and only one process at a time writes a run directory.

    Checkpoints go to the run directory every ``checkpoint-seconds`` and at the end;
    SIGINT or SIGTERM stops training after the current chunk (or after the final
    writes, if it comes during them), saves everything and raises :class:`Interrupted`.
    ``on_start()`` is called once the run is planned and checked, just before it compiles
    and trains; ``on_chunk(history)`` after each chunk of epochs.
    """
    if strategy is None:
        strategy = start_strategy(settings)  # first: it may configure devices
    return run_plugin_code(settings, lambda: _run(settings, registry, out, on_chunk, resume,
                                                  strategy, on_start))


def run_plugin_code(settings: Settings, work: Callable[[], T]) -> T:
    """``work()``, code that runs the plugin objects the settings choose, guarded as training
    is (see :func:`nnfw.plugin.isolation.guarded`)."""
    return guarded(settings.entries(), "training", work)


def _run(settings: Settings, registry: Registry, out: str | Path | None,
         on_chunk: Callable[[History], None] | None, resume: Path | None,
         strategy: Any, on_start: Callable[[], None] | None = None) -> RunResult:
    """The run itself: plan, build, train, write (see :func:`run_training`)."""
    chief = strategy.extended.should_checkpoint
    with contextlib.ExitStack() as held:
        if resume is not None and chief:
            held.enter_context(run_lock(resume))
            check_writable(resume)
            verify_files(settings, read_provenance(resume).get(FILES), str(resume))
        files = fingerprints(settings) if chief and out is not None and resume is None else {}
        plan = plan_run(settings, registry, strategy, resumed=resume is not None)
        trainer, seconds_before, log = _trainer(plan, strategy, resume)
        run_dir = open_run_dir(plan.settings, out, resume, files) if chief else None
        if run_dir is not None and resume is None:
            held.enter_context(run_lock(run_dir))
        if on_start is not None:
            on_start()
        return _train(plan, trainer, Checkpoints(run_dir, trainer, log, plan.settings.scalars[
            "checkpoint-seconds"]), seconds_before, on_chunk)


def _trainer(plan: Plan, strategy: Any,
             resume: Path | None) -> tuple[Trainer, float, HistoryLog]:
    """The model, optimizer and loss built in the strategy's scope, in a trainer; restored
    from the run's checkpoint when resuming (with the training seconds it had, and what of
    the history file its checkpoint covers)."""
    trainer = build_trainer(plan, strategy)
    with strategy.scope():
        seconds_before, log = (load_checkpoint(resume, trainer) if resume is not None
                               else (0.0, HistoryLog()))
    return trainer, seconds_before, log


def _train(plan: Plan, trainer: Trainer, keeper: Checkpoints, seconds_before: float,
           on_chunk: Callable[[History], None] | None) -> RunResult:
    """Train the remaining epochs, then write the run; a signal stops it between chunks."""
    import tensorflow as tf

    run_dir = keeper.run_dir
    remaining = plan.settings.scalars["epochs"] - trainer.history.epochs_run
    if trainer.stopped_early is not None:
        remaining = 0  # stopped by patience before it was resumed: it is done
    started = time.perf_counter()
    with stop_on_signals() as stop:  # held through the final writes: they finish first
        def after_chunk(history: History) -> bool:
            if on_chunk is not None:
                on_chunk(history)
            keeper.maybe_save(seconds_before + time.perf_counter() - started)
            return stop.signum is not None

        try:
            seconds = trainer.fit(remaining, after_chunk) if remaining > 0 else 0.0
        except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
                tf.errors.AbortedError, tf.errors.CancelledError) as exc:  # a collective failed
            if trainer.workers < 2:
                raise
            raise LostWorker(exc, run_dir, keeper.saved_epochs) from None
        data = plan.data
        interrupted = stop.signum is not None
        if run_dir is not None:
            keeper.save(seconds_before + seconds)  # the training state: the last epoch's weights
        # a finished run ends with the best epoch's weights; an interrupted one will go on
        kept = None if interrupted else trainer.restore_best()
        result = RunResult(plan.settings, trainer.history, trainer.divergence,
                           seconds_before + seconds, plan.complexity, trainer.model, data,
                           run_dir, interrupted=interrupted,
                           final_metrics=final_values(
                               plan.metrics, trainer.model, data.x_test, data.y_test,
                               binary=plan.targets.classification and not plan.targets.one_hot),
                           validated=trainer.tracks_best, best_epoch=trainer.best_epoch,
                           stopped_early=trainer.stopped_early, kept_epoch=kept,
                           kept_final=_kept_final(trainer, data, kept))
        if run_dir is not None:
            # outside the strategy's scope: the metric variables compile makes are the chief's
            # own, for the saved model; made in the scope, they would wait for the other workers
            trainer.model.compile(optimizer=trainer.optimizer, loss=trainer.loss)
            write_run(result)
    if stop.signum is not None:
        raise Interrupted(stop.signum, trainer.history.epochs_run, run_dir)
    return result


def _kept_final(trainer: Trainer, data: Dataset, kept: int | None) -> dict[str, float]:
    """The final metrics of the weights of epoch ``kept`` (restored in ``trainer``'s model): that
    epoch's training loss and learning rate, and its test and validation parts evaluated again
    (empty when the model has the last epoch's weights, whose row of the history says it all)."""
    if kept is None:
        return {}
    final = {name: values[kept] for name, values in trainer.history.columns().items()}
    for prefix, x, y in (("test", data.x_test, data.y_test), ("val", data.x_val, data.y_val)):
        if len(x):
            final.update({f"{prefix}_{name}": value
                          for name, value in trainer.evaluate(x, y).items()})
    return final
