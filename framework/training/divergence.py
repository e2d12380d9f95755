"""Where training diverged and why: the record, the replay of the broken epoch, and its words."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nnfw.training.shards import Batches
    from nnfw.training.steps import Stepper


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


def divergence_words(epoch: Any, step: Any = None, non_finite: Sequence[Any] = (),
                     cause: Any = "") -> str:
    """``diverged at epoch E, step S: X, Y went non-finite (cause)``; the step, what went
    non-finite and the cause only when given (the values as a run's summary holds them)."""
    text = f"diverged at epoch {epoch}"
    if step is not None:
        text += f", step {step}"
    if non_finite:
        text += f": {', '.join(map(str, non_finite))} went non-finite"
    return text + (f" ({cause})" if cause else "")


def is_divergence_record(record: Any) -> bool:
    """Whether ``record`` is a :class:`Divergence` as a file holds it (its ``vars``), or None."""
    return record is None or (
        isinstance(record, dict) and set(record) == {"epoch", "step", "non_finite", "cause"}
        and all(isinstance(record[k], int) and not isinstance(record[k], bool)
                for k in ("epoch", "step"))
        and isinstance(record["non_finite"], list)
        and all(isinstance(item, str) for item in record["non_finite"])
        and isinstance(record["cause"], str))


def diagnose(stepper: Stepper, data: Batches, epoch: int, step: int, seen: list[bool],
             replayed: bool) -> Divergence:
    """The divergence the compiled loop saw at ``epoch`` and ``step``, with what broke and why:
    from replaying the epoch when it is ``replayed`` (the state is then at the epoch's start),
    else, or when the replay stays finite, from what the loop saw (``seen`` flags the loss,
    then each weight, at that step)."""
    divergence = Divergence(epoch=epoch, step=step)
    if replayed:
        replay(stepper, data, divergence)
    if not divergence.non_finite:
        _describe_unreplayed(divergence, seen, [v.path for v in stepper.variables], replayed)
    return divergence


def _describe_unreplayed(divergence: Divergence, seen: list[bool], names: list[str],
                         replayed: bool) -> None:
    """Word a divergence from what the compiled loop saw, when replaying it found nothing
    (or was not done): ``seen`` flags the loss, then each weight (``names``), at the broken step."""
    divergence.non_finite = (["loss"] if seen[0] else []) + [
        name for name, broken in zip(names, seen[1:], strict=True) if broken]
    what = "the loss" if seen[0] else "a weight after its update"
    if not replayed:
        divergence.cause = f"{what} went non-finite (training went on, as --on-nan continue asks)"
        return
    divergence.cause = (f"{what} went non-finite in the compiled program, but replaying the "
                        "epoch step by step stayed finite: the run is at the edge of float32, "
                        "where the rounding of fused operations decides; --exact (no XLA) "
                        "computes each operation as written")


def replay(stepper: Stepper, data: Batches, divergence: Divergence) -> None:
    """Replay the broken epoch eagerly, step by step, to find the exact step that broke and
    what went non-finite; then put the state back as it was (the epoch's start)."""
    import tensorflow as tf

    order = stepper.batching.order(divergence.epoch)
    state = stepper.state
    saved = [v.numpy() for v in state]
    found: list[str] = []
    broken: list[str] = []
    with stepper.strategy.scope():
        try:
            for step, batch in enumerate(stepper.batching.batches[:divergence.step], start=1):
                part = functools.partial(stepper.replica_part, batch=batch, order=order)
                loss, grads = stepper.strategy.run(part, args=(data.shard,))
                loss, grads = stepper.sum(loss), [stepper.sum(g) for g in grads]
                found = [] if bool(tf.math.is_finite(loss)) else ["loss"]
                found += [f"gradient of {v.path}" for v, g in zip(stepper.variables, grads, strict=True)
                          if not bool(tf.reduce_all(tf.math.is_finite(g)))]
                stepper.step(data, batch, order)  # the step itself, as the loop took it
                broken = [v.path for v in stepper.variables
                          if not bool(tf.reduce_all(tf.math.is_finite(v)))]
                if found or broken:
                    divergence.step = step  # the exact step (the loop may see it one step later)
                    break
        finally:
            for variable, value in zip(state, saved, strict=True):
                variable.assign(value)
    divergence.non_finite = found + broken
    divergence.cause = _replayed_cause(found, broken)


def _replayed_cause(found: list[str], broken: list[str]) -> str:
    """What the replay's findings suggest: the loss or a gradient overflowed (``found``), or the
    update broke a weight (``broken``); nothing when the replay stayed finite."""
    if "loss" in found:
        return "the loss overflowed (outputs or weights grew too large)"
    if found:
        return "the gradients overflowed while the loss was finite"
    if broken:
        return ("the optimizer's update is not finite although loss and gradients "
                "are: it divides by a state that reached 0 (no epsilon)")
    return ""
