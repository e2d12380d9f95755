"""Fair side-by-side training runs: one run per combination of varied settings, and what
is written about them.

Every run is planned (settings resolved and checked, :mod:`nnfw.compare_plan`) before any
trains, and all share the same data, split, seed and so the same initial weights; only
what was varied differs (with ``seeds``, each combination is repeated on seeds that
change the weights and, unless told not to, the data's own seed). Runs happen one after
another in this process, or in ``jobs`` worker processes (:mod:`nnfw.compare_run`). Then
the table (:mod:`nnfw.compare_table`), with repeated seeds the statistics and tuning, the
figures and TensorBoard's HParams records are written in the comparison's directory.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfw.compare_plan import Plan, plan_comparison
from nnfw.compare_run import RunOutcome, run_comparison
from nnfw.compare_table import display_table, markdown_table, table_rows
from nnfw.errors import NnfwWarning, UsageError
from nnfw.loop import History
from nnfw.registry import Registry
from nnfw.rundir import (
    ACCURACY_FIGURE,
    COMPARISON,
    LOSS_FIGURE,
    SENSITIVITY_FIGURE,
    TABLE_CSV,
    TABLE_MD,
    create_run_dir,
    write_atomic,
    write_csv,
    write_json,
)
from nnfw.spreads import METRICS, TUNABLE_BY, GroupSummary, default_metric, overlaps, summarize
from nnfw.suggest import unknown_name_message
from nnfw.tuning import Tuned, tune


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


def compare(registry: Registry, config: Mapping[str, Any] | None, options: Mapping[str, Any],
            option_params: Mapping[str, Mapping[str, str]] | None = None, *, jobs: int = 1,
            target: float | None = None, seeds: int | None = None, same_split: bool = False,
            tune_option: str | None = None, by: str | None = None,
            on_start: Callable[[Plan, Path], None] | None = None,
            on_done: Callable[[RunOutcome, int, int], None] | None = None) -> Comparison:
    """Plan, run and record a comparison in a new directory under the ``out`` setting.

    The directory holds each run's own directory, ``table.csv``, ``table.md``,
    ``comparison.json``, ``loss.png`` and (when runs have test accuracy)
    ``accuracy.png``. ``on_start(plan, directory)`` is called before the first run.

    ``seeds`` repeats each combination on that many seeds (``same_split`` keeps the
    data set's seed) and adds the statistics per combination; ``tune_option`` picks its
    best value per combination of the other varied options, by the median of ``by``
    (see :data:`nnfw.spreads.TUNABLE_BY`; the test loss where there is one, else the
    loss, when not given), and draws ``sensitivity.png``. Tuning implies statistics.
    """
    if tune_option is not None and seeds is None:
        seeds = 1
    _check_ranking(by, target)
    plan = plan_comparison(registry, config, options, option_params, seeds=seeds, same_split=same_split)
    _check_tuned(tune_option, plan)
    first = plan.runs[0].settings
    name = "-".join(["compare", *([str(first.choices["dataset"])] if "dataset" not in plan.varied else []),
                     *plan.varied])
    directory = create_run_dir(first.scalars["out"], name)
    if on_start:
        on_start(plan, directory)
    started = time.perf_counter()
    outcomes = run_comparison(plan, registry, directory, jobs, on_done)
    result = Comparison(plan, outcomes, table_rows(plan, outcomes, target), directory, target,
                        time.perf_counter() - started, min(jobs, len(plan.runs)))
    if plan.seeds is not None:
        _add_statistics(result, tune_option, by)
    write_comparison(result)
    return result


def _check_ranking(by: str | None, target: float | None) -> None:
    """A UsageError for a ``--by`` metric nnfw cannot rank by here."""
    if by is not None and by not in TUNABLE_BY:
        raise UsageError(unknown_name_message("--by: unknown metric", by, TUNABLE_BY))
    if by == "target_epoch" and target is None:
        raise UsageError("--by target_epoch: give --target ACCURACY too (the accuracy to reach)")


def _check_tuned(option: str | None, plan: Plan) -> None:
    """A UsageError unless the tuned option is one the comparison varies."""
    if option is not None and option not in plan.varied:
        varied = ", ".join(plan.varied) or "nothing"
        raise UsageError(f"--tune: {option!r} is not varied in this comparison (varied: {varied}); "
                         f"give it several values, e.g. --{option} 1e-3:1:7")


def _add_statistics(result: Comparison, tune_option: str | None, by: str | None) -> None:
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
    from nnfw.plots import plot_comparison

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
    from nnfw.spread_plots import plot_bands, plot_sensitivity
    from nnfw.spread_report import statistics_table

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
    from nnfw.hparams import METRIC_TAGS, hparam_values, write_hparams

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
