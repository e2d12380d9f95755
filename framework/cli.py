"""The ``nnfw`` command line: a thin layer over the Python API.

Listing and describing never import TensorFlow; ``train`` does, when it starts.
Every error a user can cause is printed as one line, without a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import click

from nnfw.api import registry as get_registry
from nnfw.api import run_settings, train_settings, use_plugins
from nnfw.checks import learnt_nothing
from nnfw.cli_common import (
    config_option,
    parse_plugin_options,
    printable,
    registry_with_warnings,
    table,
    train_options,
)
from nnfw.cli_compare import compare
from nnfw.cli_lr_find import lr_find_command
from nnfw.cli_paths import paths
from nnfw.cli_plot import plot
from nnfw.cli_runs import runs, show
from nnfw.cli_use import evaluate, export, predict
from nnfw.complexity import Complexity, dense_complexity, describe_complexity
from nnfw.entries import Entry
from nnfw.errors import STRICT_ENV, NnfwError, NnfwWarning, UsageError, use_strict_plugins
from nnfw.kinds import KINDS, PLURALS, kind_named
from nnfw.loading import ALLOW_ENV
from nnfw.params import sizes
from nnfw.quiet import say
from nnfw.registry import BUILT_IN, DISABLE_ENV, Registry
from nnfw.rundir import json_text
from nnfw.suggest import unknown_name_message

EXIT_DIVERGED = 4


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nnfw")
@click.option("--strict-plugins", is_flag=True,
              help=f"Re-raise plugin errors with their traceback (or set {STRICT_ENV}=1).")
@click.option("--disable-plugins", metavar="NAMES", default=None,
              help=f"Comma-separated plugin or distribution names to turn off (or set {DISABLE_ENV}).")
@click.option("--plugins", "only_plugins", metavar="NAMES", default=None,
              help=f"Load only these plugins or distributions, comma-separated (or set {ALLOW_ENV}).")
def cli(strict_plugins: bool, disable_plugins: str | None, only_plugins: str | None) -> None:
    """Train small neural networks from plugins: optimizers, losses, schedules,
    activations, regularizers, initializers and data sets, each chosen by name."""
    if strict_plugins:
        use_strict_plugins(True)
    if disable_plugins is not None or only_plugins is not None:
        use_plugins(disable_plugins, only_plugins)


@cli.command("list-plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.option("--requirements", is_flag=True,
              help="Print a requirement line (name==version) per installed third-party plugin "
                   "distribution, to install the same plugins elsewhere.")
def list_plugins(as_json: bool, requirements: bool) -> None:
    """Every installed plugin: where it comes from, its status and what it provides."""
    registry = get_registry()
    records = [r.as_dict() for r in registry.plugins]
    if requirements:
        lines = sorted({f"{r['distribution']}=={r['version']}" for r in records
                        if r["distribution"] and r["version"] and r["distribution"] != BUILT_IN})
        click.echo("\n".join(lines) if lines else "# no third-party plugins are installed")
        return
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    rows = [(r["name"], r["distribution"] or "-", r["version"] or "-", r["status"],
             "; ".join(f"{kind}: {', '.join(names)}" for kind, names in r["provides"].items()))
            for r in records]
    table(("PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "PROVIDES"), rows)
    for line in registry.problems():
        click.echo(line)


@cli.command("list")
@click.argument("kind")
def list_kind(kind: str) -> None:
    """The entries of one KIND, with descriptions; KIND is one of the kinds plugins provide,
    singular or plural (see 'nnfw new-plugin --help')."""
    wanted = kind_named(kind)
    if wanted is None:
        raise UsageError(unknown_name_message("unknown kind", kind, list(PLURALS)))
    registry = registry_with_warnings()
    table(("NAME", "PLUGIN", "FROM", "DESCRIPTION"),
           [(e.name, e.plugin, _origin_text(registry, e), e.description) for e in registry.entries(wanted)])


def _origin_text(registry: Registry, entry: Entry) -> str:
    """``distribution version`` of an entry, or '-' when it came from no distribution."""
    return " ".join(part for part in registry.origin(entry) if part) or "-"


@cli.command("describe")
@click.argument("name")
@click.option("--kind", help="Only this kind (when a name is used by several kinds).")
def describe(name: str, kind: str | None) -> None:
    """An entry's description, formula and hyperparameters (defaults and ranges)."""
    registry = registry_with_warnings()
    kinds = [PLURALS.get(kind, kind)] if kind else list(KINDS)
    found = []
    for each in kinds:
        if each not in KINDS:
            raise UsageError(unknown_name_message("unknown kind", kind or "", list(PLURALS)))
        if registry.has(each, name):  # an ambiguous name is an error here as everywhere
            found.append(registry.get(each, name))
    if not found:
        every = {e.name for k in kinds for e in registry.entries(k)}
        raise UsageError(unknown_name_message("nothing is called", name, every))
    click.echo(printable("\n\n".join(_describe(entry, registry) for entry in found)))


def _describe(entry: Entry, registry: Registry) -> str:
    lines = [f"{entry.name} ({entry.kind}, plugin {entry.plugin}, from {_origin_text(registry, entry)})",
             f"  {entry.description}"]
    if entry.formula:
        lines.append(f"  formula: {entry.formula}")
    if entry.notes:
        lines.extend(["  notes:", *textwrap.wrap(entry.notes, width=96, initial_indent="    ",
                                                 subsequent_indent="    ")])
    if entry.params:
        lines.append("  hyperparameters:")
        for p in entry.params:
            default = "required" if p.default is None else f"default {p.default!r}"
            lines.append(f"    {p.name}: {p.help} ({default}; {p.accepts})")
    else:
        lines.append("  hyperparameters: none")
    return "\n".join(lines)


@cli.command("new-plugin")
@click.argument("folder", metavar="DIR")
@click.option("--kind", required=True, metavar="KIND",
              help="What the plugin provides: " + ", ".join(KINDS) + ".")
@click.option("--name", default=None, help="The entry's name (default: from DIR, without 'nnfw-').")
def new_plugin_command(folder: str, kind: str, name: str | None) -> None:
    """Write a complete plugin package into DIR: pyproject.toml with its entry point, a module
    with one working entry of KIND, a README and tests; install it with pip install DIR."""
    from nnfw.scaffold import new_plugin

    written = new_plugin(folder, PLURALS.get(kind, kind), name)
    click.echo("\n".join(f"wrote {path}" for path in written))
    click.echo(f"next: pip install '{folder}[test]' && python -m pytest {folder}/tests "
               f"&& nnfw list-plugins")


@cli.command("complexity")
@click.option("--inputs", type=click.IntRange(min=1), required=True, help="Input features.")
@click.option("--hidden", default="", help="Hidden layer sizes, comma-separated ('4' or '16,8').")
@click.option("--outputs", type=click.IntRange(min=1), required=True, help="Output units.")
@click.option("--bias/--no-bias", default=True, help="Layers have biases (default: yes).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def complexity(inputs: int, hidden: str, outputs: int, bias: bool, as_json: bool) -> None:
    """Layers, parameters and multiply-adds of a dense network, as the lecture counts them."""
    counts = dense_complexity([inputs, *sizes(hidden, "hidden"), outputs], bias)
    click.echo(json_text(counts.as_dict()) if as_json else describe_complexity(counts))


@cli.command("train", context_settings={"ignore_unknown_options": True,
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
    from nnfw.plan import start_strategy
    from nnfw.progress import Progress
    from nnfw.quiet import import_tensorflow_quietly

    strategy = import_tensorflow_quietly(lambda: start_strategy(settings))
    progress = Progress(settings.scalars["epochs"], quiet=as_json, resumed=resume is not None)
    # shown once the run is planned: a setting the data refuses is one line, with no
    # "compiling" before it
    with contextlib.ExitStack() as shown:
        result = run_settings(settings, settings.scalars["out"], resume,
                              strategy=strategy, on_chunk=progress.update,
                              on_start=lambda: shown.enter_context(progress))
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


def _report(summary: dict[str, Any]) -> str:
    final = ", ".join(f"{k} {v:.7g}" for k, v in summary["final"].items())
    lines = [describe_complexity(Complexity(**summary["complexity"])),
             f"epochs: {summary['epochs_run']}  final: {final}",
             f"training time: {summary['train_seconds']:.3f} s"]
    if summary.get("best_epoch") is not None:
        lines.append(_best_line(summary))
    if "weights" in summary:
        lines.append("weights: " + json.dumps(summary["weights"]))
    lines.append(f"run saved in {summary['run_dir']}" if summary["run_dir"]
                 else "nothing saved by this worker: the chief worker writes the run")
    return "\n".join(lines)


def _best_line(summary: dict[str, Any]) -> str:
    """Where the validation loss was lowest, whether patience stopped the run, whose weights
    the model has."""
    best, stopped, kept = summary["best_epoch"], summary["stopped_early"], summary["kept_epoch"]
    if stopped is not None:
        line = (f"stopped early at epoch {stopped} (no better val_loss for "
                f"{summary['patience']} epochs); ")
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
    what = f": {', '.join(where.non_finite)} went non-finite" if where.non_finite else ""
    cause = f" ({where.cause})" if where.cause else ""
    kept = ("; kept the weights of the last complete epoch"
            if result.settings.scalars["on-nan"] == "stop" else "")
    if result.kept_epoch is not None:
        kept = f"; kept the weights of epoch {result.kept_epoch} (lowest val_loss)"
    return (f"training diverged at epoch {where.epoch}, step {where.step}{what}{cause}{kept}; "
            f"{hint}")


for command in (plot, compare, paths, runs, show, lr_find_command, predict, evaluate, export):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; print nnfw errors as one line and exit with their code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with warnings.catch_warnings():
        warnings.simplefilter("always", NnfwWarning)
        warnings.showwarning = _warning_line(warnings.showwarning)
        code = _run(argv)
    sys.exit(code or 0)


def _run(argv: Sequence[str] | None) -> int:
    """The command's exit code; every failure a user or a plugin can cause is one line."""
    try:
        return cli.main(args=list(argv) if argv is not None else None, prog_name="nnfw",
                        standalone_mode=False) or 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        message, code = exc.format_message(), 2
    except NnfwError as exc:
        message, code = str(exc), exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl-C outside training: nothing to save
        click.echo("nnfw: interrupted", err=True)
        return 130
    except OSError as exc:  # the disk is full, a folder vanished: what failed, and where
        where = f"{exc.filename}: " if exc.filename else ""
        message, code = f"{where}{exc.strerror or exc}; files written before are intact", 1
    click.echo(printable(f"nnfw: error: {message}"), err=True)
    return code


def _warning_line(others: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that shows nnfw's warnings as one line each, on the
    terminal's stderr even while TensorFlow's start-up log is silenced (a strategy built
    then may warn), and hands the others to ``others``."""
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if issubclass(category, NnfwWarning):
            say(printable(f"nnfw: warning: {message}"))
        else:
            others(message, category, filename, lineno, file, line)
    return show
