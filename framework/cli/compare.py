"""``nnfw compare``: train once per value of the varied options, then one table and two figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nnfw.cli.common import (
    config_option,
    option_settings,
    parse_plugin_options,
    registry_with_warnings,
    table,
    train_options,
)
from nnfw.compare import compare as run_compare
from nnfw.compare.plan import Plan
from nnfw.compare.report import Comparison, statistics_json
from nnfw.compare.run import RunOutcome
from nnfw.compare.spread_report import overlap_lines, statistics_table, tuning_lines
from nnfw.compare.spreads import TUNABLE_BY
from nnfw.compare.table import display_table
from nnfw.config.config_file import load_config
from nnfw.errors import UsageError
from nnfw.rundirs.rundir import json_text
from nnfw.training.divergence import divergence_words


@click.command("compare", context_settings={"ignore_unknown_options": True,
                                            "allow_extra_args": True})
@config_option
@click.option("--target", type=click.FloatRange(0, 1, min_open=True), default=None, metavar="ACCURACY",
              help="Report the first epoch (from 0) whose test accuracy reaches this (e.g. 0.95).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, metavar="N",
              help="Train up to N runs at once, in separate processes (default 1: one after another, "
                   "in this process). The numbers do not depend on N.")
@click.option("--seeds", type=click.IntRange(min=1), default=None, metavar="N",
              help="Train every combination on N seeds (--seed S, S+1, ...: the initial weights; "
                   "and the data set's own seed, its shuffle or points, unless --same-split), and "
                   "show per combination the median, quartiles and mean ± sd of each result, "
                   "diverged runs counted as the worst (loss inf, accuracy 0).")
@click.option("--same-split", is_flag=True,
              help="With --seeds: keep the data set's seed, so only the initial weights change.")
@click.option("--tune", "tune_option", default=None, metavar="OPTION",
              help="Pick the best value of this varied option (e.g. lr) for each combination of the "
                   "others, by the median of --by over the seeds; draws sensitivity.png. "
                   "Give the option a list or a log range: --lr 1e-3:1:7.")
@click.option("--by", type=click.Choice(TUNABLE_BY), default=None,
              help="The result that ranks (default: test_loss where the data has a test part, "
                   "else loss; target_epoch needs --target).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the table as JSON on stdout, nothing else: a list of runs, or with "
                   "--seeds/--tune an object with the runs, the statistics and the tuning.")
@train_options
@click.pass_context
def compare(ctx: click.Context, config_path: str | None, target: float | None, jobs: int,
            seeds: int | None, same_split: bool, tune_option: str | None, by: str | None,
            as_json: bool, **options: Any) -> None:
    """Train once per value of the varied options, fairly: same data, split, seed and
    initial weights. Give any option a comma-separated list (--optimizer sgd,adam
    --lr 0.1,0.01 trains every combination: 4 runs). --hidden takes '16,8' itself,
    so separate its alternatives with ';' (--hidden '4;16,8'). A numeric option also
    takes a log range LOW:HIGH:COUNT (--lr 1e-3:1:7: seven values, both ends included).
    A plugin setting (--optimizer.beta 0.9, or a list) applies to the runs whose plugin has it.

    Prints a table (final loss, final and best test accuracy, time, divergence) and
    saves it with loss.png and accuracy.png, all runs in one figure, in a new
    directory under --out; each run's own directory is inside it."""
    if same_split and seeds is None:
        raise UsageError("--same-split: give --seeds N too (it keeps the data fixed across seeds)")
    registry = registry_with_warnings()
    result = run_compare(registry, load_config(registry, config_path), option_settings(options),
                         parse_plugin_options(ctx.args), jobs=jobs, target=target, seeds=seeds,
                         same_split=same_split, tune_option=tune_option, by=by,
                         on_start=lambda plan, where: _started(plan, where, jobs),
                         on_done=_finished)
    if result.plan.seeds is not None:
        _show_statistics(result, as_json)
    elif as_json:
        click.echo(json_text(result.rows))
    else:
        header, cells = display_table(result.rows, target)
        table([h.upper() for h in header], cells)
    if not as_json:
        click.echo(f"comparison saved in {result.directory}")


def _show_statistics(result: Comparison, as_json: bool) -> None:
    if as_json:
        click.echo(json_text({"runs": result.rows, **statistics_json(result)}))
        return
    header, cells = statistics_table(result.summaries)
    table([h.upper() for h in header], cells)
    assert result.metric is not None
    for line in [*overlap_lines(result.metric, result.overlapping),
                 *tuning_lines(result.tuned)]:
        click.echo(line)


def _started(plan: Plan, directory: Path, jobs: int) -> None:
    count = len(plan.runs)
    at_once = f", {min(jobs, count)} at a time" if min(jobs, count) > 1 else ""
    click.echo(f"comparing {count} run{'s' if count != 1 else ''}{at_once} in {directory}", err=True)


def _finished(outcome: RunOutcome, finished: int, total: int) -> None:
    history = outcome.history
    if outcome.divergence is not None:
        what = divergence_words(outcome.divergence.epoch, outcome.divergence.step,
                                cause=outcome.divergence.cause)
    else:
        what = f"loss {history.loss[-1]:.7g}"
        if history.test_accuracy:
            what += f", test accuracy {history.test_accuracy[-1]:.4f}"
    click.echo(f"[{finished}/{total}] {outcome.label}: {what} ({outcome.train_seconds:.2f} s)", err=True)
