"""The ``nnfw`` command line: a thin layer over the Python API.

Listing and describing never import TensorFlow; ``train`` does, when it starts.
Every error a user can cause is printed as one line, without a traceback.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import click

from nnfw.api import use_plugins
from nnfw.cli.common import (
    clear_status,
    printable,
)
from nnfw.cli.compare import compare
from nnfw.cli.lr_find import lr_find_command
from nnfw.cli.paths import paths
from nnfw.cli.plot import plot
from nnfw.cli.plugins import describe, list_kind, list_plugins, new_plugin_command
from nnfw.cli.runs import runs, show
from nnfw.cli.train import complexity, train
from nnfw.cli.use import evaluate, export, predict
from nnfw.errors import (
    EXIT_CTRL_C,
    STRICT_ENV,
    NnfwError,
    NnfwWarning,
    use_strict_plugins,
)
from nnfw.plugin.loading import ALLOW_ENV
from nnfw.plugin.registry import DISABLE_ENV
from nnfw.training.quiet import say


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


for command in (list_plugins, list_kind, describe, new_plugin_command, complexity, train, plot,
                compare, paths, runs, show, lr_find_command, predict, evaluate, export):
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
        return EXIT_CTRL_C
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
            clear_status()  # the warning takes the status line's place on the terminal
            say(printable(f"nnfw: warning: {message}"))
        else:
            others(message, category, filename, lineno, file, line)
    return show
