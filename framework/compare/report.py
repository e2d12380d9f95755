"""What is reported about a finished comparison: its statistics and tuning, and its files.

The table (CSV and markdown), ``comparison.json``, the figures and TensorBoard's HParams
records, in the comparison's directory.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfw.compare.plan import Plan
from nnfw.compare.run import RunOutcome
from nnfw.compare.spreads import METRICS, GroupSummary, default_metric, overlaps, summarize
from nnfw.compare.table import display_table, markdown_table
from nnfw.compare.tuning import Tuned, tune
from nnfw.errors import NnfwWarning
from nnfw.rundirs.rundir import (
    ACCURACY_FIGURE,
    COMPARISON,
    LOSS_FIGURE,
    SENSITIVITY_FIGURE,
    TABLE_CSV,
    TABLE_MD,
    write_atomic,
    write_csv,
    write_json,
)
from nnfw.training.history import History


@dataclass
class Comparison:
    """A finished comparison: the plan, each run's outcome (in plan order), the table, and
    with repeated seeds the statistics per combination (ranked by ``metric``) and tuning."""

    plan: Plan
    outcomes: list[RunOutcome]
    rows: list[dict[str, Any]]
    directory: Path
    target: float | None = None
    wall_seconds: float = 0.0
    jobs: int = 1
    summaries: list[GroupSummary] = field(default_factory=list)
    metric: str | None = None
    overlapping: dict[str, list[str]] = field(default_factory=dict)
    tuned: list[Tuned] = field(default_factory=list)


def add_statistics(result: Comparison, tune_option: str | None, by: str | None) -> None:
    """The statistics per combination, the overlaps of the ranking metric, and the tuning."""
    groups: dict[str, list[dict[str, Any]]] = {}
    varied: dict[str, dict[str, Any]] = {}
    for run, row in zip(result.plan.runs, result.rows, strict=True):
        groups.setdefault(run.group, []).append(row)
        varied[run.group] = run.varied
    result.summaries = summarize(groups, varied)
    metric = by or default_metric(result.summaries)
    if not all(metric in s.spreads for s in result.summaries):
        warnings.warn(f"--by {metric}: not every run has a {METRICS[metric].label}; ranking by "
                      "the final loss", NnfwWarning, stacklevel=3)
        metric = "loss"
    result.metric = metric
    compared = result.summaries
    if tune_option is not None:
        result.tuned = tune(result.summaries, tune_option, metric)
        best = {t.winner.group for t in result.tuned if t.winner is not None}
        compared = [s for s in result.summaries if s.group in best]  # each at its best value
    result.overlapping = overlaps(compared, metric)


def write_comparison(result: Comparison) -> None:
    """Write the table (CSV, markdown), ``comparison.json`` and the figures."""
    from nnfw.figures.plots import plot_comparison

    directory = result.directory
    write_csv(directory / TABLE_CSV, result.rows)
    saved: dict[str, Any] = {
        "title": result.plan.title, "varied": result.plan.varied, "target": result.target,
        "jobs": result.jobs, "wall_seconds": round(result.wall_seconds, 4), "runs": result.rows}
    diverged = [o.label for o in result.outcomes if o.divergence is not None]
    _write_hparams(result)
    if result.plan.seeds is None:
        header, cells = display_table(result.rows, result.target)
        write_atomic(directory / TABLE_MD, markdown_table(header, cells))
        write_json(directory / COMPARISON, saved)
        plot_comparison({o.label: o.history.rows() for o in result.outcomes}, directory / LOSS_FIGURE,
                        directory / ACCURACY_FIGURE, result.plan.title, diverged=diverged)
        return
    from nnfw.compare.spread_report import statistics_table
    from nnfw.figures.spreads import plot_bands, plot_sensitivity

    header, cells = statistics_table(result.summaries)
    write_atomic(directory / TABLE_MD, markdown_table(header, cells))
    write_json(directory / COMPARISON, {**saved, **statistics_json(result)})
    histories: dict[str, list[History]] = {}
    for run, outcome in zip(result.plan.runs, result.outcomes, strict=True):
        histories.setdefault(run.group, []).append(outcome.history)
    title = f"{result.plan.title}, {result.plan.seeds} seeds"
    plot_bands(histories, directory / LOSS_FIGURE, directory / ACCURACY_FIGURE, title)
    if result.tuned:
        plot_sensitivity(result.tuned, directory / SENSITIVITY_FIGURE, title)


def _write_hparams(result: Comparison) -> None:
    """The runs for TensorBoard's HParams dashboard: varied options, seeds, final metrics."""
    from nnfw.compare.hparams import METRIC_TAGS, hparam_values, write_hparams

    runs = [(outcome.run_dir, hparam_values(
        run.varied, run.settings.scalars["seed"] if run.repeat is not None else None))
        for run, outcome in zip(result.plan.runs, result.outcomes, strict=True) if outcome.run_dir]
    columns = {name for outcome in result.outcomes for name in outcome.history.columns()}
    write_hparams(result.directory, runs, [tag for tag in METRIC_TAGS if tag in columns])


def statistics_json(result: Comparison) -> dict[str, Any]:
    """The statistics part of comparison.json (and of ``compare --json`` with seeds)."""
    return {"seeds": result.plan.seeds, "same_split": result.plan.same_split, "by": result.metric,
            "groups": [s.as_dict() for s in result.summaries],
            "overlapping": result.overlapping, "tuned": [t.as_dict() for t in result.tuned]}
