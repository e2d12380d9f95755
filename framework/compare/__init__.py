"""Fair side-by-side training runs: one run per combination of varied settings, and what
is written about them.

Every run is planned (settings resolved and checked, :mod:`nnfw.compare.plan`) before any
trains, and all share the same data, split, seed and so the same initial weights; only
what was varied differs (with ``seeds``, each combination is repeated on seeds that
change the weights and, unless told not to, the data's own seed). Runs happen one after
another in this process, or in ``jobs`` worker processes (:mod:`nnfw.compare.run`). Then
the table (:mod:`nnfw.compare.table`), with repeated seeds the statistics and tuning, the
figures and TensorBoard's HParams records are written in the comparison's directory
(:mod:`nnfw.compare.report`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nnfw.compare.plan import Plan, plan_comparison
from nnfw.compare.report import Comparison, add_statistics, write_comparison
from nnfw.compare.run import RunOutcome, run_comparison
from nnfw.compare.spreads import TUNABLE_BY
from nnfw.compare.table import table_rows
from nnfw.errors import UsageError
from nnfw.plugin.registry import Registry
from nnfw.plugin.suggest import unknown_name_message
from nnfw.rundirs.rundir import create_run_dir


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
    (see :data:`nnfw.compare.spreads.TUNABLE_BY`; the test loss where there is one, else the
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
        add_statistics(result, tune_option, by)
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
