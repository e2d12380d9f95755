"""What ``summary.json`` holds: written by :func:`summary_json`, read through :class:`RunSummary`.

The summary is the last file a run writes (a run directory with one is finished, or
stopped and saved); ``nnfw train --json`` prints it, ``nnfw runs`` and ``nnfw show`` read
it back. A summary read from disk is checked before anything reads it: each key may be
missing (runs of older versions) but never hold another type than nnfw writes there, so a
hand-edited or hostile file is an unreadable run, never a crash. Reading never imports
TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError
from nnfw.rundirs.rundir import SUMMARY, read_json

if TYPE_CHECKING:
    from nnfw.training.runner import RunResult

MAX_PRINTED_PARAMETERS = 20  # a model this small has its weights in the summary

_EPOCH = (int, type(None))  # an epoch of a run with a validation part, or None
# what each key of summary.json holds (see summary_json)
_TYPES: dict[str, tuple[type, ...]] = {
    "epochs_run": (int,), "final": (dict,), "diverged": (bool,), "interrupted": (bool,),
    "divergence": (dict, type(None)), "train_seconds": (int, float), "run_dir": (str, type(None)),
    "complexity": (dict,), "settings": (dict,), "weights": (dict,), "final_metrics": (dict,),
    "best_epoch": _EPOCH, "stopped_early": _EPOCH, "kept_epoch": _EPOCH, "patience": (int,),
}
_DIVERGENCE_TYPES: dict[str, tuple[type, ...]] = {
    "epoch": (int,), "step": (int,), "non_finite": (list,), "cause": (str,)}


def summary_json(result: RunResult) -> dict[str, Any]:
    """The summary of a run: epochs, final metrics (of the weights the model has), divergence,
    timing, complexity and plugin choices; with a validation part, where its loss was lowest,
    whether patience stopped the run and whose weights the model has; the final model's
    metrics on the test part; the weights of tiny models."""
    out: dict[str, Any] = {
        "epochs_run": result.history.epochs_run,
        "final": result.kept_final or result.history.final(),
        "diverged": result.divergence is not None,
        "interrupted": result.interrupted,
        "divergence": vars(result.divergence) if result.divergence else None,
        "train_seconds": round(result.train_seconds, 4),
        "run_dir": str(result.run_dir) if result.run_dir else None,
        "complexity": result.complexity.as_dict(),
        "settings": {slot: name for slot, name in result.settings.choices.items()},
    }
    if result.validated:
        out.update(best_epoch=result.best_epoch, stopped_early=result.stopped_early,
                   kept_epoch=result.kept_epoch, patience=result.settings.scalars["patience"])
    if result.final_metrics:
        out["final_metrics"] = result.final_metrics
    if result.complexity.parameters <= MAX_PRINTED_PARAMETERS:
        out["weights"] = {w.path: w.numpy().tolist() for w in result.model.weights}
    return out


def _problem(summary: Any) -> str | None:
    """What makes ``summary`` not a summary nnfw wrote, in a few words (None: nothing)."""
    if not isinstance(summary, dict):
        return "not a JSON object"
    for table, types in ((summary, _TYPES), (summary.get("divergence") or {}, _DIVERGENCE_TYPES)):
        for key, accepted in types.items():
            value = table.get(key)
            if key in table and (not isinstance(value, accepted) or (
                    isinstance(value, bool) and bool not in accepted)):
                return f"{key!r} holds a {type(value).__name__}, not what nnfw writes there"
    final = summary.get("final") or {}
    if not all(isinstance(v, int | float | type(None)) and not isinstance(v, bool)
               for v in final.values()):
        return "'final' holds values that are not numbers"
    return None


@dataclass(frozen=True)
class RunSummary:
    """A summary as :func:`summary_json` makes it, its facts by name; each is None where the
    summary does not record it. ``data`` is the whole summary, key by key in its order."""

    data: dict[str, Any] = field(default_factory=dict)
    epochs_run: int | None = None  # the epochs the run trained
    final: dict[str, float | None] | None = None  # final metrics; None in one: not finite
    diverged: bool | None = None  # whether the loss or a weight stopped being finite
    divergence: dict[str, Any] | None = None  # where: epoch, step, non_finite, cause (each optional)
    train_seconds: float | None = None  # the seconds spent training (every part, when resumed)
    run_dir: str | None = None  # the run directory the run wrote (None: it wrote none)
    complexity: dict[str, Any] | None = None  # the model's counts (Complexity.as_dict)
    settings: dict[str, Any] | None = None  # the plugin chosen for each slot
    best_epoch: int | None = None  # with a validation part: the epoch of the lowest val_loss
    stopped_early: int | None = None  # the epoch patience stopped training after (None: it did not)
    kept_epoch: int | None = None  # the epoch whose weights the model has (None: the last one's)
    patience: int | None = None  # the epochs without a better val_loss that stop training
    weights: dict[str, Any] | None = None  # a tiny model's weights by path

    @classmethod
    def of(cls, data: dict[str, Any]) -> RunSummary:
        """The summary ``data``, as :func:`summary_json` made it."""
        facts = {f.name: data.get(f.name) for f in fields(cls) if f.name != "data"}
        return cls(data, **facts)

    @classmethod
    def from_json(cls, value: Any) -> RunSummary:
        """``value``, read from a file, as a summary; a ValueError says what makes it not one
        nnfw wrote."""
        problem = _problem(value)
        if problem:
            raise ValueError(problem)
        return cls.of(value)


def read_summary(run_dir: Path) -> RunSummary:
    """The summary.json of ``run_dir``; a UsageError names the file and what is wrong with it
    (see :func:`nnfw.rundirs.rundir.read_json`), never what it holds."""
    path = run_dir / SUMMARY
    value = read_json(path)
    try:
        return RunSummary.from_json(value)
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None
