"""Smith's learning-rate range test: one short run whose learning rate grows exponentially.

The run is built exactly as ``nnfw train`` builds one (data set, model, loss,
initializers and optimizer from their plugins, see :func:`nnfw.training.runner.build_trainer`);
only the learning-rate schedule is replaced, by one that grows by a constant factor a
step from ``min-lr`` to ``max-lr``. Each step trains on the next batch (the batches
cycle in the order training uses them) and records the batch's training objective
before its update, as training records it. The smoothed loss is an exponential moving
average with bias correction; the test stops when it explodes, and suggests a tenth of
the learning rate at which it is lowest. The trained weights are thrown away.

Nothing here imports TensorFlow until a test runs.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.config.settings import Settings
from nnfw.errors import UsageError
from nnfw.explore.lr_find_rule import RULE, Suggestion, Tracker, suggest
from nnfw.explore.lr_find_span import UNUSED, Span
from nnfw.plugin.registry import Registry
from nnfw.rundirs.rundir import LR_FIND_JSON, LR_FIND_PNG, create_run_dir, json_text

if TYPE_CHECKING:
    from nnfw.training.loop import Trainer


@dataclass
class RangeTest:
    """What a range test found: per step (from 0) its learning rate, loss and smoothed loss;
    where and why it stopped (``stop_step`` None: it reached ``max-lr``); the suggestion."""

    span: Span
    settings: Settings
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    stop_step: int | None
    stop_reason: str
    suggestion: Suggestion
    seconds: float
    run_dir: Path | None = None

    @property
    def title(self) -> str:
        """One line naming what was tested, for the figure."""
        choices = self.settings.choices
        return (f"lr range test: {choices['dataset']}, {choices['optimizer']}, "
                f"{choices['loss']}, batch {self.settings.scalars['batch-size']}")

    def record(self) -> dict[str, Any]:
        """What ``lr-find.json`` holds (and ``--json`` prints, with ``run_dir``)."""
        s = self.suggestion
        return {
            "suggestion": s.lr, "rule": RULE, "note": s.note,
            "lowest": {"step": s.lowest_step, "lr": s.lowest_lr, "smoothed_loss": s.lowest_loss},
            "stop_step": self.stop_step, "stop_reason": self.stop_reason,
            "min_lr": self.span.min_lr, "max_lr": self.span.max_lr, "steps": self.span.steps,
            "steps_run": len(self.losses), "factor_per_step": self.span.factor_per_step,
            "smoothing": self.span.smoothing, "stop_factor": self.span.stop_factor,
            "seconds": round(self.seconds, 4),
            "lrs": self.lrs, "losses": self.losses, "smoothed": self.smoothed,
            "settings": {key: value for key, value in self.settings.as_toml_dict().items()
                         if key not in UNUSED},
        }


def lr_find(settings: Settings, registry: Registry, span: Span, out: str | Path | None = None,
            strategy: Any = None) -> RangeTest:
    """Run the range test the settings and ``span`` describe; with ``out``, write its
    ``lr-find.json`` and ``lr-find.png`` into a new run directory there.

    ``strategy`` is the settings' strategy if the caller started it already; the test
    runs on one device only (a :class:`UsageError` otherwise).
    """
    from nnfw.training.plan import start_strategy
    from nnfw.training.runner import run_plugin_code

    settings = replace(settings, scalars={**settings.scalars, "xla": False})  # see UNUSED
    if strategy is None:
        strategy = start_strategy(settings)
    _one_device(strategy, settings)
    test = run_plugin_code(settings, lambda: _run(settings, registry, span, strategy))
    if out is not None:
        test.run_dir = write_range_test(test, out)
    return test


def _one_device(strategy: Any, settings: Settings) -> None:
    from nnfw.training.shards import cluster_size

    replicas, workers = strategy.num_replicas_in_sync, cluster_size(strategy)
    if replicas != 1 or workers != 1:
        raise UsageError(f"lr-find runs on one device, but strategy "
                         f"{settings.choices['strategy']!r} has {replicas} replicas on {workers} "
                         "worker(s); use --strategy default")


def _run(settings: Settings, registry: Registry, span: Span, strategy: Any) -> RangeTest:
    """Build the run as training does, with the growing schedule, and step until it stops."""
    from nnfw.training.plan import build_trainer, plan_run

    plan = plan_run(settings, registry, strategy, resumed=False)
    trainer = build_trainer(plan, strategy, schedule=growth_schedule(span))
    tracker = Tracker(span.smoothing, span.stop_factor)
    lrs: list[float] = []
    stop_step, reason = None, f"reached --max-lr {span.max_lr:g} without exploding"
    started = time.perf_counter()
    for step in range(span.steps):
        lrs.append(_current_lr(trainer))
        why = tracker.add(trainer.step(step % trainer.steps_per_epoch))
        if why is not None:
            stop_step, reason = step, why
            break
    seconds = time.perf_counter() - started
    return RangeTest(span, plan.settings, lrs, tracker.losses, tracker.smoothed, stop_step,
                     reason, suggest(lrs, tracker.smoothed, stop_step is not None), seconds)


def _current_lr(trainer: Trainer) -> float:
    """The learning rate the optimizer's next step uses (its schedule at its step count)."""
    return float(trainer.optimizer.learning_rate)


def growth_schedule(span: Span) -> Any:
    """A Keras schedule whose learning rate grows by a constant factor per step from
    ``span.min_lr`` at step 0 to ``span.max_lr`` at step ``span.steps - 1``."""
    return growth_class()(span.min_lr, span.max_lr, span.steps)


@functools.cache
def growth_class() -> type:
    """The Keras schedule class, defined on first use (importing this module stays light)."""
    import keras
    import tensorflow as tf

    class ExponentialGrowth(keras.optimizers.schedules.LearningRateSchedule):
        """``min_lr ** (1 - f) * max_lr ** f`` with ``f = step / (steps - 1)``.

        This form of ``min_lr * (max_lr / min_lr) ** f`` gives both ends exactly
        (``x ** 0`` is 1 and ``x ** 1`` is x); computed in float64, then cast to float32.
        """

        def __init__(self, min_lr: float, max_lr: float, steps: int) -> None:
            self.min_lr, self.max_lr, self.steps = min_lr, max_lr, steps

        def __call__(self, step: Any) -> Any:
            f = tf.cast(step, tf.float64) / tf.constant(self.steps - 1, tf.float64)
            rate = (tf.pow(tf.constant(self.min_lr, tf.float64), 1.0 - f)
                    * tf.pow(tf.constant(self.max_lr, tf.float64), f))
            return tf.cast(rate, tf.float32)

        def get_config(self) -> dict[str, Any]:
            """The schedule's arguments, enough to rebuild it."""
            return {"min_lr": self.min_lr, "max_lr": self.max_lr, "steps": self.steps}

    return ExponentialGrowth


def write_range_test(test: RangeTest, out: str | Path) -> Path:
    """A new run directory under ``out`` holding ``lr-find.json`` from the moment it exists,
    then ``lr-find.png``, each written atomically; nothing else is touched."""
    from nnfw.figures.lr_find import plot_range_test
    from nnfw.rundirs.started import provenance

    choices = test.settings.choices
    made_by = provenance(test.settings)
    made_by["plugins"] = {slot: entry for slot, entry in made_by["plugins"].items()
                          if slot not in UNUSED}  # the settings' schedule was not used
    record = {**test.record(), "provenance": made_by}
    run_dir = create_run_dir(out, f"{choices['dataset']}-{choices['optimizer']}-lr-find",
                             {LR_FIND_JSON: json_text(record, indent=2) + "\n"})
    plot_range_test(test, run_dir / LR_FIND_PNG)
    return run_dir
