"""Smith's learning-rate range test: one short run whose learning rate grows exponentially.

The run is built exactly as ``nnfw train`` builds one (data set, model, loss,
initializers and optimizer from their plugins, see :func:`nnfw.runner.build_trainer`);
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
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError
from nnfw.params import Param
from nnfw.registry import Registry
from nnfw.rundir import LR_FIND_JSON, LR_FIND_PNG, create_run_dir, json_text
from nnfw.scalars import FLOAT32_MAX, FLOAT32_TINY
from nnfw.settings import Settings

if TYPE_CHECKING:
    from nnfw.loop import Trainer

RULE = "a tenth of the learning rate at which the smoothed loss is lowest"
_LR_BOUNDS = f"[{FLOAT32_TINY!r}, {FLOAT32_MAX!r}]"  # what --lr accepts: a normal float32
MAX_STEPS = 100_000  # one Python call a step: about a millisecond each on a small model
SPAN_PARAMS: tuple[Param, ...] = (
    Param("min-lr", 1e-6, "learning rate of the first step", bounds=_LR_BOUNDS),
    Param("max-lr", 10.0, "learning rate of the last step", bounds=_LR_BOUNDS),
    Param("steps", 100, "optimizer steps from --min-lr to --max-lr, cycling over the "
          "training batches", bounds=f"[2, {MAX_STEPS}]"),
    # 0.9: about 10 steps of memory, enough to even out the pattern of a few batches cycling
    # (iris: 4); fastai's 0.98 (50 steps) lags a 100-step test by about a decade of lr, and
    # moved the suggestion for the lecture's iris Adam from 0.087 to 0.23
    Param("smoothing", 0.9, "factor beta of the smoothed loss, an exponential moving average "
          "with bias correction: a = beta*a + (1-beta)*loss; smoothed = a / (1 - beta^(step+1)); "
          "0: no smoothing", bounds="[0, 1)"),
    Param("stop-factor", 4.0, "stop when the smoothed loss exceeds this many times its lowest "
          "value so far (or the loss is not finite)", bounds="(1, inf)"),
)
# training settings that the range test replaces or has no use for
UNUSED = {"lr": "the learning rate runs from --min-lr to --max-lr",
          "schedule": "the learning rate runs from --min-lr to --max-lr",
          "epochs": "the test runs --steps optimizer steps",
          "on-nan": "the test stops when the loss is not finite",
          "checkpoint-seconds": "the test keeps no checkpoints",
          "xla": "its steps run one at a time, as plain graphs"}


@dataclass(frozen=True)
class Span:
    """What the range test runs: the learning rates, how many steps, and its two rules
    (:func:`span_from` gives the defaults)."""

    min_lr: float
    max_lr: float
    steps: int
    smoothing: float
    stop_factor: float

    @property
    def factor_per_step(self) -> float:
        """How much the learning rate grows from one step to the next."""
        return (self.max_lr / self.min_lr) ** (1 / (self.steps - 1))


def span_from(given: Mapping[str, Any]) -> Span:
    """The span from option values keyed by option name (``min-lr``: text from the command
    line, or numbers), checked; a missing or None value is the default. Every bad value is
    a :class:`UsageError` naming the option and what it accepts."""
    values = {}
    for param in SPAN_PARAMS:
        value = given.get(param.name)
        if value is None:
            value = param.default
        values[param.name] = (param.parse(value, where="--") if isinstance(value, str)
                              else param.check(value, where="--"))
    if not values["min-lr"] < values["max-lr"]:
        raise UsageError(f"--min-lr {values['min-lr']!r} is not smaller than --max-lr "
                         f"{values['max-lr']!r}; accepted: 0 < --min-lr < --max-lr")
    return Span(values["min-lr"], values["max-lr"], values["steps"], values["smoothing"],
                values["stop-factor"])


def refuse_unused(options: Mapping[str, Any], plugin_options: Mapping[str, Any]) -> None:
    """A :class:`UsageError` for a training option given on the command line that the range
    test does not use (in a config file they are left alone: it was written for training)."""
    for name, why in UNUSED.items():
        if options.get(name) is not None or name in plugin_options:
            shown = f"--{name}" if name not in plugin_options else f"--{name}.KEY"
            raise UsageError(f"{shown} does not apply to lr-find ({why}); leave it out")


class Tracker:
    """The losses of a range test, step by step: raw, smoothed, and whether to stop.

    The smoothed loss is an exponential moving average with bias correction (so the
    first steps are not pulled towards 0): ``a = beta * a + (1 - beta) * loss``,
    ``smoothed = a / (1 - beta ** (step + 1))``. The test stops at the first step whose
    loss is not finite, or whose smoothed loss exceeds ``stop_factor`` times the lowest
    smoothed loss of the steps before (for a loss below 0: lies more than
    ``stop_factor - 1`` times that lowest value's size above it).
    """

    def __init__(self, smoothing: float, stop_factor: float) -> None:
        self.smoothing = smoothing
        self.stop_factor = stop_factor
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.lowest = math.inf
        self._average = 0.0

    def add(self, loss: float) -> str | None:
        """Record a step's loss; return why the test stops here, or None to go on."""
        beta = self.smoothing
        self._average = beta * self._average + (1 - beta) * loss
        smoothed = self._average / (1 - beta ** (len(self.losses) + 1))
        self.losses.append(loss)
        self.smoothed.append(smoothed)
        if not (math.isfinite(loss) and math.isfinite(smoothed)):
            return f"the loss is not finite ({loss})"
        if smoothed - self.lowest > (self.stop_factor - 1) * abs(self.lowest):
            return (f"the smoothed loss {smoothed:.4g} exceeds {self.stop_factor:g}x its lowest "
                    f"value {self.lowest:.4g}")
        self.lowest = min(self.lowest, smoothed)
        return None


@dataclass(frozen=True)
class Suggestion:
    """The suggested learning rate (None: no step had a finite loss), where the smoothed
    loss was lowest (step from 0, its learning rate and value), and a warning about the
    range, if any."""

    lr: float | None
    lowest_step: int | None = None
    lowest_lr: float | None = None
    lowest_loss: float | None = None
    note: str = ""


def suggest(lrs: list[float], smoothed: list[float], stopped: bool) -> Suggestion:
    """The rule :data:`RULE`: a tenth of the learning rate of the step with the lowest smoothed
    loss (the first such step). Where the loss falls fastest the learning rate is near its
    largest useful value already; a tenth of that, where the loss is lowest, is the usual
    safe choice (Smith; fastai's ``lr_min``) and is not thrown off by one noisy step.
    ``stopped`` says whether the test stopped early; if not, a minimum at the last step
    means the range may end too low."""
    finite = [step for step, value in enumerate(smoothed) if math.isfinite(value)]
    if not finite:
        return Suggestion(None, note="no step had a finite loss: try a smaller --min-lr")
    best = min(finite, key=lambda step: smoothed[step])
    note = ""
    if best == 0:
        note = ("the smoothed loss was lowest at the first step: the range may start too high; "
                "try a smaller --min-lr")
    elif best == len(smoothed) - 1 and not stopped:
        note = ("the smoothed loss was still falling at the last step: the range may end too "
                "low; try a larger --max-lr")
    return Suggestion(lrs[best] / 10, best, lrs[best], smoothed[best], note)


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
    from nnfw.plan import start_strategy
    from nnfw.runner import run_plugin_code

    settings = replace(settings, scalars={**settings.scalars, "xla": False})  # see UNUSED
    if strategy is None:
        strategy = start_strategy(settings)
    _one_device(strategy, settings)
    test = run_plugin_code(settings, lambda: _run(settings, registry, span, strategy))
    if out is not None:
        test.run_dir = write_range_test(test, out)
    return test


def _one_device(strategy: Any, settings: Settings) -> None:
    from nnfw.shards import cluster_size

    replicas, workers = strategy.num_replicas_in_sync, cluster_size(strategy)
    if replicas != 1 or workers != 1:
        raise UsageError(f"lr-find runs on one device, but strategy "
                         f"{settings.choices['strategy']!r} has {replicas} replicas on {workers} "
                         "worker(s); use --strategy default")


def _run(settings: Settings, registry: Registry, span: Span, strategy: Any) -> RangeTest:
    """Build the run as training does, with the growing schedule, and step until it stops."""
    from nnfw.plan import build_trainer, plan_run

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
    from nnfw.lr_find_plot import plot_range_test
    from nnfw.runner import provenance

    choices = test.settings.choices
    made_by = provenance(test.settings)
    made_by["plugins"] = {slot: entry for slot, entry in made_by["plugins"].items()
                          if slot not in UNUSED}  # the settings' schedule was not used
    record = {**test.record(), "provenance": made_by}
    run_dir = create_run_dir(out, f"{choices['dataset']}-{choices['optimizer']}-lr-find",
                             {LR_FIND_JSON: json_text(record, indent=2) + "\n"})
    plot_range_test(test, run_dir / LR_FIND_PNG)
    return run_dir
