"""Statistics over repeated runs of one combination: median, quartiles, mean and standard
deviation of each result, with a diverged run counted as the worst result.

The quartiles must stay defined when some values are infinite (a diverged run's loss),
where numpy's interpolation between ``inf`` and ``inf`` gives ``nan``: see :func:`quantiles`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

LOWER, HIGHER = "lower", "higher"  # which direction is better


@dataclass(frozen=True)
class Metric:
    """One result of a run that statistics are taken of.

    ``column``: its key in a comparison's row; ``better``: ``"lower"`` or ``"higher"``;
    ``when_diverged``: the value a diverged run counts as (None: its measured value, as
    for time); ``when_missing``: the value when the row has None (a target never reached).
    """

    name: str
    column: str
    label: str
    better: str
    when_diverged: float | None
    when_missing: float | None = None

    def value(self, row: Mapping[str, Any]) -> float | None:
        """This metric's value for one run's row; None when the run has no such result."""
        if self.column not in row:
            return None
        if row.get("diverged") and self.when_diverged is not None:
            return self.when_diverged
        value = row.get(self.column)
        if value is None:
            return self.when_missing
        return float(value) if math.isfinite(value) else self.worst

    @property
    def worst(self) -> float:
        """The worst possible value: what a non-finite result counts as."""
        return math.inf if self.better == LOWER else -math.inf


METRICS: dict[str, Metric] = {metric.name: metric for metric in (
    Metric("loss", "final_loss", "final loss", LOWER, math.inf),
    Metric("test_loss", "final_test_loss", "final test loss", LOWER, math.inf),
    Metric("test_accuracy", "final_test_accuracy", "final test accuracy", HIGHER, 0.0),
    Metric("best_test_accuracy", "best_test_accuracy", "best test accuracy", HIGHER, 0.0),
    Metric("target_epoch", "target_epoch", "epochs to target", LOWER, math.inf, math.inf),
    Metric("train_seconds", "train_seconds", "training time (s)", LOWER, None),
)}
TUNABLE_BY = ("test_loss", "loss", "test_accuracy", "target_epoch")  # what --by accepts


@dataclass(frozen=True)
class Spread:
    """How one result spreads over the runs of a combination."""

    runs: int
    median: float
    q1: float  # the lower quartile
    q3: float  # the upper quartile
    mean: float
    sd: float  # the sample standard deviation (nan for a single run)

    def overlaps(self, other: Spread) -> bool:
        """Whether the two interquartile ranges share a value (then the difference may be noise)."""
        return self.q1 <= other.q3 and other.q1 <= self.q3

    def as_dict(self) -> dict[str, float | int | None]:
        """The fields, with non-finite numbers as None (strict JSON)."""
        return {key: (value if isinstance(value, int) or math.isfinite(value) else None)
                for key, value in asdict(self).items()}


def quantiles(values: Any, fraction: float) -> np.ndarray:
    """The ``fraction`` quantile of ``values`` (of each column, for runs x epochs), interpolating
    linearly between order statistics as numpy does, but equal to a value that repeats at both
    neighbours even when it is infinite."""
    import numpy as np  # here: the command line imports this module for every command

    ordered = np.sort(np.asarray(values, dtype=float), axis=0)
    position = fraction * (len(ordered) - 1)
    below, above = ordered[math.floor(position)], ordered[math.ceil(position)]
    with np.errstate(invalid="ignore"):
        between = below + (position - math.floor(position)) * (above - below)
    return np.where(below == above, below, between)


def spread(values: Sequence[float]) -> Spread:
    """The median, quartiles, mean and sample standard deviation of ``values`` (at least one)."""
    if not values:
        raise ValueError("no values to take statistics of")
    finite = all(math.isfinite(v) for v in values)
    mean = statistics.fmean(values) if finite else sum(values)  # inf, or nan for inf and -inf
    sd = statistics.stdev(values) if finite and len(values) > 1 else math.nan
    q1, median, q3 = (float(quantiles(values, f)) for f in (0.25, 0.5, 0.75))
    return Spread(len(values), median, q1, q3, mean, sd)


@dataclass(frozen=True)
class GroupSummary:
    """The runs of one combination (its seeds) and the spread of each of their results."""

    group: str
    varied: dict[str, Any]
    runs: int
    diverged: int
    spreads: dict[str, Spread]  # by metric name, for the metrics every run of the group has

    def as_dict(self) -> dict[str, Any]:
        """As written to comparison.json."""
        return {"group": self.group, **self.varied, "runs": self.runs, "diverged": self.diverged,
                **{name: spread.as_dict() for name, spread in self.spreads.items()}}


def summarize(groups: Mapping[str, Sequence[Mapping[str, Any]]], varied: Mapping[str, Mapping[str, Any]]
              ) -> list[GroupSummary]:
    """One summary per group of rows (``groups``: label -> its runs' rows, in order);
    ``varied``: label -> the group's varied options. A metric is summarized for a group
    when every one of its runs has it."""
    summaries = []
    for label, rows in groups.items():
        spreads = {}
        for metric in METRICS.values():
            values = [metric.value(row) for row in rows]
            if values and all(v is not None for v in values):
                spreads[metric.name] = spread(values)  # type: ignore[arg-type]
        summaries.append(GroupSummary(label, dict(varied[label]), len(rows),
                                      sum(bool(row.get("diverged")) for row in rows), spreads))
    return summaries


def overlaps(summaries: Sequence[GroupSummary], metric: str) -> dict[str, list[str]]:
    """For each group, the other groups whose interquartile range of ``metric`` overlaps its own."""
    having = [s for s in summaries if metric in s.spreads]
    return {s.group: [o.group for o in having if o is not s and s.spreads[metric].overlaps(o.spreads[metric])]
            for s in having}


def default_metric(summaries: Sequence[GroupSummary]) -> str:
    """What to rank by when not told: the test loss where every group has one, else the loss."""
    return "test_loss" if summaries and all("test_loss" in s.spreads for s in summaries) else "loss"
