"""What the nnfw commands share: the registry with warnings, tables, the training options,
and a status line on the terminal while a command starts."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import click

from nnfw.api import registry as get_registry
from nnfw.config.scalars import SCALARS
from nnfw.config.settings import SLOTS
from nnfw.errors import UsageError
from nnfw.plugin.kinds import KINDS
from nnfw.plugin.params import Param
from nnfw.plugin.registry import Registry
from nnfw.plugin.suggest import unknown_name_message
from nnfw.training.progress import terminal_columns
from nnfw.training.quiet import terminal_stderr

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_status_shown: list[int] = []  # the length of the status line on the terminal, while it is shown


def printable(text: str) -> str:
    """``text`` with control characters (terminal escape codes and the like) shown as ``\\xNN``,
    for anything printed that comes from run files or plugins; new lines and tabs stay."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def show_status(text: str) -> None:
    """On a terminal, ``text`` on stderr as a line that the command's next output replaces
    (see :func:`clear_status`): what is about to run, shown before a slow start such as
    TensorFlow's. Nothing when stderr is not a terminal: a log or a pipe gets the same lines
    as without it."""
    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        terminal = False
    if not terminal:
        return
    clear_status()
    line = printable(text).replace("\n", " ")[:max(terminal_columns(sys.stderr) - 1, 1)]
    _write_terminal("\r" + line)
    _status_shown.append(len(line))


def clear_status() -> None:
    """Blank the status line, if one is shown, and leave the cursor at its start."""
    if _status_shown:
        _write_terminal("\r" + " " * _status_shown.pop() + "\r")


def _write_terminal(text: str) -> None:
    """Write to the terminal's stderr, even while TensorFlow's start-up log silences fd 2."""
    sys.stderr.flush()
    os.write(terminal_stderr(), text.encode(errors="replace"))


def registry_with_warnings() -> Registry:
    """The registry, with one warning line per broken or clashing plugin on stderr."""
    registry = get_registry()
    for line in registry.problems():
        click.echo(printable(f"nnfw: warning: {line}"), err=True)
    return registry


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Rows under a header, in columns as wide as their widest cell (control characters shown)."""
    cells = [tuple(printable(str(c)) for c in header), *[tuple(printable(str(c)) for c in row)
                                                         for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _slot_option(slot: str) -> Any:
    row = SLOTS[slot]
    return click.option(f"--{slot}", _dest(slot), default=None, metavar="NAME",
                        help=f"{_sentence(row.help)} (see 'nnfw list {KINDS[row.kind].plural}').")


def _scalar_option(param: Param) -> Any:
    metavar = {float: "NUMBER", int: "N", bool: "BOOL"}.get(param.type, "TEXT")  # type: ignore[arg-type]
    if param.choices:
        metavar = "[" + "|".join(param.choices) + "]"
    return click.option(f"--{param.name}", _dest(param.name), default=None, metavar=metavar,
                        help=f"{_sentence(param.help)} (default {param.default!r}).")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dest(option: str) -> str:
    """The Python name click passes an option under ('batch-size' -> 'batch_size')."""
    return option.replace("-", "_")


def train_options(func: Any) -> Any:
    """Add an option for every plugin slot and every scalar training setting."""
    for slot in reversed(SLOTS):
        func = _slot_option(slot)(func)
    for param in reversed(SCALARS):
        func = _scalar_option(param)(func)
    return func


def parse_plugin_options(args: Sequence[str], slots: Sequence[str] = tuple(SLOTS),
                         command: str = "train") -> dict[str, dict[str, str]]:
    """``--slot.key value`` / ``--slot.key=value`` pairs, grouped by slot; ``slots`` are the
    slots ``nnfw COMMAND`` takes settings for."""
    out: dict[str, dict[str, str]] = {}
    items = list(args)
    while items:
        item = items.pop(0)
        if not item.startswith("--") or "." not in item.split("=", 1)[0]:
            raise UsageError(f"unexpected argument {item!r}; plugin settings look like "
                             f"--optimizer.beta 0.95 (see 'nnfw {command} --help')")
        key, has_value, value = item[2:].partition("=")
        if not has_value:
            if not items:
                raise UsageError(f"--{key} needs a value")
            value = items.pop(0)
        slot, _, param = key.partition(".")
        if slot not in slots:
            raise UsageError(unknown_name_message("unknown plugin setting", f"--{key}",
                                                  [f"--{s}.KEY" for s in slots]))
        out.setdefault(slot, {})[param] = value
    return out


config_option = click.option(
    "--config", "config_path", default=None, metavar="FILE.toml|EXPERIMENT",
    help="Read settings from a TOML file, or a registered experiment's "
         "('nnfw list experiments'); options given here override it.")


def option_settings(options: dict[str, Any]) -> dict[str, Any]:
    """click's option values keyed by setting name ('batch_size' -> 'batch-size')."""
    return {name.replace("_", "-"): value for name, value in options.items()}
