"""``nnfw train`` and ``nnfw complexity``: a training run from the command line, and the
lecture's counts of a dense network."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

import click

from nnfw.api import run_settings, train_settings
from nnfw.cli.common import (
    clear_status,
    config_option,
    parse_plugin_options,
    printable,
    registry_with_warnings,
    show_status,
    train_options,
)
from nnfw.config.settings import Settings
from nnfw.errors import (
    EXIT_DIVERGED,
)
from nnfw.plugin.params import sizes
from nnfw.rundirs.run_summary import RunSummary
from nnfw.rundirs.rundir import json_text
from nnfw.training.checks import learnt_nothing
from nnfw.training.complexity import Complexity, dense_complexity, describe_complexity
from nnfw.training.divergence import divergence_words

if TYPE_CHECKING:
    from nnfw.training.runner import RunResult


@click.command("complexity")
@click.option("--inputs", type=click.IntRange(min=1), required=True, help="Input features.")
@click.option("--hidden", default="", help="Hidden layer sizes, comma-separated ('4' or '16,8').")
@click.option("--outputs", type=click.IntRange(min=1), required=True, help="Output units.")
@click.option("--bias/--no-bias", default=True, help="Layers have biases (default: yes).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def complexity(inputs: int, hidden: str, outputs: int, bias: bool, as_json: bool) -> None:
    """Layers, parameters and multiply-adds of a dense network, as the lecture counts them."""
    counts = dense_complexity([inputs, *sizes(hidden, "hidden"), outputs], bias)
    click.echo(json_text(counts.as_dict()) if as_json else describe_complexity(counts))


@click.command("train", context_settings={"ignore_unknown_options": True,
                                        "allow_extra_args": True})
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout at the end.")
@click.option("--resume", "resume", default=None, metavar="RUN_DIR",
              help="Continue an interrupted run in RUN_DIR (only --epochs and --strategy may "
                   "change).")
@train_options
@click.pass_context
def train(ctx: click.Context, config_path: str | None, as_json: bool, resume: str | None,
          **options: Any) -> None:
    """Train a model. Set a chosen plugin's hyperparameters as --SLOT.KEY VALUE,
    for example --optimizer.beta 0.95 or --loss.cost 99."""
    registry_with_warnings()
    settings = train_settings(config_path, parse_plugin_options(ctx.args), resume, **options)
    if not as_json:  # on a terminal only: a log or a pipe keeps "compiling" as its first line
        show_status(_starting_line(settings, resume))
    try:
        result = _train(settings, as_json, resume)
    finally:
        clear_status()
    summary = result.summary()
    # a diverged run's own line says more than a comparison with the majority class would
    verdict = learnt_nothing(result.data, summary["final"]) if result.divergence is None else None
    notes = [verdict] if verdict else []
    if as_json:
        click.echo(json_text({**summary, "warnings": notes}))
    else:
        click.echo(_report(summary))
    for note in notes:
        click.echo(printable(f"nnfw: warning: {note}"), err=True)
    if result.divergence is not None:
        click.echo(f"nnfw: {_divergence_line(result)}", err=True)
        ctx.exit(EXIT_DIVERGED)


def _starting_line(settings: Settings, resume: str | None) -> str:
    """What ``nnfw train`` is about to run, in one line, shown while TensorFlow starts."""
    epochs = settings.scalars["epochs"]
    if resume is not None:
        what = f"resuming {resume} to {epochs} epochs"
    else:
        what = (f"training {settings.choices.get('dataset')} with {settings.choices.get('optimizer')}, "
                f"lr {settings.scalars['lr']:g}, {epochs} epochs")
    return f"nnfw: {what}; starting TensorFlow..."


def _train(settings: Settings, as_json: bool, resume: str | None) -> RunResult:
    """Start TensorFlow (and the strategy), then train with the progress display."""
    from nnfw.training.plan import start_strategy
    from nnfw.training.progress import Progress
    from nnfw.training.quiet import import_tensorflow_quietly

    strategy = import_tensorflow_quietly(lambda: start_strategy(settings))
    progress = Progress(settings.scalars["epochs"], quiet=as_json, resumed=resume is not None)

    def started() -> None:
        clear_status()
        shown.enter_context(progress)

    # shown once the run is planned: a setting the data refuses is one line, with no
    # "compiling" before it
    with contextlib.ExitStack() as shown:
        return run_settings(settings, settings.scalars["out"], resume,
                            strategy=strategy, on_chunk=progress.update, on_start=started)


def _report(record: dict[str, Any]) -> str:
    summary = RunSummary.of(record)
    final = ", ".join(f"{k} {v:.7g}" for k, v in (summary.final or {}).items())
    lines = [describe_complexity(Complexity(**(summary.complexity or {}))),
             f"epochs: {summary.epochs_run}  final: {final}",
             f"training time: {summary.train_seconds:.3f} s"]
    if summary.best_epoch is not None:
        lines.append(_best_line(summary))
    if summary.weights is not None:
        lines.append("weights: " + json.dumps(summary.weights))
    lines.append(f"run saved in {summary.run_dir}" if summary.run_dir
                 else "nothing saved by this worker: the chief worker writes the run")
    return "\n".join(lines)


def _best_line(summary: RunSummary) -> str:
    """Where the validation loss was lowest, whether patience stopped the run, whose weights
    the model has."""
    best, stopped, kept = summary.best_epoch, summary.stopped_early, summary.kept_epoch
    if stopped is not None:
        line = (f"stopped early at epoch {stopped} (no better val_loss for "
                f"{summary.patience} epochs); ")
        return line + (f"weights of epoch {kept} kept" if kept is not None else
                       f"lowest val_loss at epoch {best}, the last epoch's weights kept")
    if kept is not None:
        return f"weights of epoch {kept} kept (lowest val_loss)"
    return f"lowest val_loss at epoch {best}; the last epoch's weights kept"


def _divergence_line(result: Any) -> str:
    where = result.divergence
    # an epsilon helps only where the run had none (the lecture's form, epsilon 0)
    no_epsilon = result.settings.params["optimizer"].get("epsilon") == 0
    if where.non_finite and "loss" not in where.non_finite and not any(
            item.startswith("gradient") for item in where.non_finite) and no_epsilon:
        hint = "set a small epsilon (--optimizer.epsilon 1e-7) or a smaller --lr"
    else:
        hint = "try a smaller --lr" + (" or a small epsilon (--optimizer.epsilon 1e-7)"
                                       if no_epsilon else "")
    kept = ("; kept the weights of the last complete epoch"
            if result.settings.scalars["on-nan"] == "stop" else "")
    if result.kept_epoch is not None:
        kept = f"; kept the weights of epoch {result.kept_epoch} (lowest val_loss)"
    words = divergence_words(where.epoch, where.step, where.non_finite, where.cause)
    return f"training {words}{kept}; {hint}"


