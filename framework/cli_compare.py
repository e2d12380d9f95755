"""``nnfw compare``: train once per value of the varied options, then one table and two figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nnfw.cli_common import (
    config_option,
    load_config,
    option_settings,
    parse_plugin_options,
    registry_with_warnings,
    table,
    train_options,
)
from nnfw.compare import Plan, RunOutcome, display_table
from nnfw.compare import compare as run_compare
from nnfw.rundir import json_text


@click.command("compare", context_settings={"ignore_unknown_options": True,
                                            "allow_extra_args": True})
@config_option
@click.option("--target", type=click.FloatRange(0, 1, min_open=True), default=None, metavar="ACCURACY",
              help="Report the first epoch (from 0) whose test accuracy reaches this (e.g. 0.95).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, metavar="N",
              help="Train up to N runs at once, in separate processes (default 1: one after another, "
                   "in this process). The numbers do not depend on N.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the table as a JSON list of objects on stdout, nothing else.")
@train_options
@click.pass_context
def compare(ctx: click.Context, config_path: str | None, target: float | None, jobs: int,
            as_json: bool, **options: Any) -> None:
    """Train once per value of the varied options, fairly: same data, split, seed and
    initial weights. Give any option a comma-separated list (--optimizer sgd,adam
    --lr 0.1,0.01 trains every combination: 4 runs). --hidden takes '16,8' itself,
    so separate its alternatives with ';' (--hidden '4;16,8'). A plugin setting
    (--optimizer.beta 0.9, or a list) applies to the runs whose plugin has it.

    Prints a table (final loss, final and best test accuracy, time, divergence) and
    saves it with loss.png and accuracy.png, all runs in one figure, in a new
    directory under --out; each run's own directory is inside it."""
    registry = registry_with_warnings()
    result = run_compare(registry, load_config(registry, config_path), option_settings(options),
                         parse_plugin_options(ctx.args), jobs=jobs,
                         target=target, on_start=lambda plan, where: _started(plan, where, jobs),
                         on_done=_finished)
    if as_json:
        click.echo(json_text(result.rows))
        return
    header, cells = display_table(result.rows, target)
    table([h.upper() for h in header], cells)
    click.echo(f"comparison saved in {result.directory}")


def _started(plan: Plan, directory: Path, jobs: int) -> None:
    count = len(plan.runs)
    at_once = f", {min(jobs, count)} at a time" if min(jobs, count) > 1 else ""
    click.echo(f"comparing {count} run{'s' if count != 1 else ''}{at_once} in {directory}", err=True)


def _finished(outcome: RunOutcome, finished: int, total: int) -> None:
    history = outcome.history
    if outcome.divergence is not None:
        where = outcome.divergence
        what = f"diverged at epoch {where.epoch}, step {where.step}" + (
            f" ({where.cause})" if where.cause else "")
    else:
        what = f"loss {history.loss[-1]:.7g}"
        if history.test_accuracy:
            what += f", test accuracy {history.test_accuracy[-1]:.4f}"
    click.echo(f"[{finished}/{total}] {outcome.label}: {what} ({outcome.train_seconds:.2f} s)", err=True)
