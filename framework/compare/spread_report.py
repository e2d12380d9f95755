"""The text a person reads about repeated runs: the statistics table, which combinations'
spreads overlap, and what tuning picked."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nnfw.compare.spreads import METRICS, GroupSummary
from nnfw.compare.tuning import Tuned

# how each metric's numbers are written
FORMATS = {"loss": ".5g", "test_loss": ".5g", "test_accuracy": ".4f", "best_test_accuracy": ".4f",
           "target_epoch": ".4g", "train_seconds": ".2f"}
SHOWN = ("loss", "test_loss", "test_accuracy", "best_test_accuracy", "target_epoch", "train_seconds")
HEADER = ["run", "runs", "metric", "median", "quartiles", "mean ± sd"]


def number(value: float, metric: str) -> str:
    """One number of ``metric`` as the tables write it ('inf' for a worst value, '-' for none)."""
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "never" if metric == "target_epoch" else ("inf" if value > 0 else "-inf")
    return format(value, FORMATS[metric])


def statistics_table(summaries: Sequence[GroupSummary]) -> tuple[list[str], list[list[str]]]:
    """The header and cells: per combination, one line per metric it has, with the median,
    the quartiles and the mean ± standard deviation over its runs."""
    cells = []
    for summary in summaries:
        runs = f"{summary.runs}" + (f" ({summary.diverged} diverged)" if summary.diverged else "")
        for index, name in enumerate(m for m in SHOWN if m in summary.spreads):
            s = summary.spreads[name]
            cells.append([summary.group if index == 0 else "", runs if index == 0 else "",
                          METRICS[name].label, number(s.median, name),
                          f"[{number(s.q1, name)}, {number(s.q3, name)}]",
                          f"{number(s.mean, name)} ± {number(s.sd, name)}"])
    return list(HEADER), cells


def overlap_lines(metric: str, overlapping: dict[str, list[str]]) -> list[str]:
    """One line per combination whose interquartile range of ``metric`` overlaps another's
    (``overlapping``, from :func:`nnfw.compare.spreads.overlaps`)."""
    label = METRICS[metric].label
    return [f"{group}: {label} quartiles overlap with {'; '.join(others)} (the difference may be noise)"
            for group, others in overlapping.items() if others] or (
        [f"{label}: no two compared combinations' quartiles overlap"] if len(overlapping) > 1 else [])


def tuning_lines(results: Sequence[Tuned]) -> list[str]:
    """One line per tuned combination: the winning value, its median, the runner-up and margin."""
    lines = []
    for tuned in results:
        label = METRICS[tuned.metric].label
        if tuned.winner is None:
            lines.append(f"{tuned.label}: no value of {tuned.option} has a finite median {label} "
                         "(all diverged?)")
            continue
        line = (f"{tuned.label}: best {tuned.option}={tuned.winner.value} "
                f"(median {label} {number(tuned.winner.score, tuned.metric)}")
        if tuned.runner_up is not None and tuned.margin is not None:
            line += (f"; next {tuned.option}={tuned.runner_up.value}: "
                     f"{number(tuned.runner_up.score, tuned.metric)}, margin "
                     f"{number(tuned.margin, tuned.metric)}")
        diverged = [c for c in tuned.candidates if c.diverged]
        if diverged:
            line += "; diverged: " + ", ".join(f"{tuned.option}={c.value} ({c.diverged}/{c.runs})"
                                               for c in diverged)
        if len(tuned.candidates) > 2 and tuned.winner.value in (tuned.candidates[0].value,
                                                                 tuned.candidates[-1].value):
            line += "; at an end of the values given: the best may lie beyond, widen the range"
        lines.append(line + ")")
    return lines
