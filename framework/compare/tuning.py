"""Picking the best value of one varied option (``nnfw compare --tune lr``), separately for
each combination of the other varied options, by the median of a result over the seeds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nnfw.compare.spreads import LOWER, METRICS, GroupSummary, Spread


@dataclass(frozen=True)
class Candidate:
    """One value of the tuned option within a combination: its group and how it did."""

    value: Any
    group: str
    spread: Spread | None  # None when the group's runs lack the metric
    runs: int
    diverged: int

    @property
    def score(self) -> float:
        """The median the candidates are ranked by (the metric's worst when missing)."""
        return self.spread.median if self.spread is not None else math.nan


@dataclass(frozen=True)
class Tuned:
    """The outcome of tuning ``option`` for one combination of the other varied options."""

    option: str
    metric: str
    others: dict[str, Any]  # the other varied options' values; empty when none varies
    candidates: list[Candidate]  # in the order the values were given
    winner: Candidate | None  # None when every value diverged or lacks the metric
    runner_up: Candidate | None

    @property
    def label(self) -> str:
        """The combination, as in the comparison's labels ('optimizer=sgd'), or 'all runs'."""
        return ", ".join(f"{k}={v}" for k, v in self.others.items()) or "all runs"

    @property
    def margin(self) -> float | None:
        """How much better the winner's median is than the runner-up's (None without both)."""
        if self.winner is None or self.runner_up is None:
            return None
        return abs(self.winner.score - self.runner_up.score)

    def as_dict(self) -> dict[str, Any]:
        """As written to comparison.json (non-finite numbers as None)."""
        def shown(candidate: Candidate | None) -> dict[str, Any] | None:
            if candidate is None:
                return None
            score = candidate.score
            return {self.option: candidate.value, "group": candidate.group,
                    "median": score if math.isfinite(score) else None}

        margin = self.margin
        return {"tuned": self.option, "by": self.metric, **self.others,
                "best": shown(self.winner), "runner_up": shown(self.runner_up),
                "margin": margin if margin is not None and math.isfinite(margin) else None}


def tune(summaries: Sequence[GroupSummary], option: str, metric: str) -> list[Tuned]:
    """For each combination of the varied options other than ``option``, the value of
    ``option`` whose runs have the best median of ``metric``, and the runner-up.

    A diverged run already counts as the metric's worst value (see
    :mod:`nnfw.compare.spreads`), so a value whose runs mostly diverged ranks last; a value
    whose median is the worst possible is never the winner. Ties go to the value given first.
    """
    chosen = METRICS[metric]
    combinations: dict[tuple[tuple[str, Any], ...], list[Candidate]] = {}
    for summary in summaries:
        others = tuple((k, v) for k, v in summary.varied.items() if k != option)
        combinations.setdefault(others, []).append(Candidate(
            summary.varied.get(option), summary.group, summary.spreads.get(metric), summary.runs,
            summary.diverged))
    results = []
    for others, candidates in combinations.items():
        ranked = [c for c in candidates if c.spread is not None and c.score != chosen.worst
                  and not math.isnan(c.score)]
        ranked.sort(key=lambda c: c.score if chosen.better == LOWER else -c.score)  # stable: ties
        results.append(Tuned(option, metric, dict(others), candidates,
                             ranked[0] if ranked else None, ranked[1] if len(ranked) > 1 else None))
    return results
