"""``nnfw list-plugins``, ``list``, ``describe`` and ``new-plugin``: what is installed, and a
new plugin package; none of them imports TensorFlow."""

from __future__ import annotations

import json
import textwrap

import click

from nnfw.api import registry as get_registry
from nnfw.cli.common import (
    printable,
    registry_with_warnings,
    table,
)
from nnfw.errors import (
    UsageError,
)
from nnfw.plugin.entries import Entry
from nnfw.plugin.kinds import KINDS, PLURALS, kind_named
from nnfw.plugin.registry import BUILT_IN, Registry
from nnfw.plugin.suggest import unknown_name_message


@click.command("list-plugins")
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


@click.command("list")
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


@click.command("describe")
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


@click.command("new-plugin")
@click.argument("folder", metavar="DIR")
@click.option("--kind", required=True, metavar="KIND",
              help="What the plugin provides: " + ", ".join(KINDS) + ".")
@click.option("--name", default=None, help="The entry's name (default: from DIR, without 'nnfw-').")
def new_plugin_command(folder: str, kind: str, name: str | None) -> None:
    """Write a complete plugin package into DIR: pyproject.toml with its entry point, a module
    with one working entry of KIND, a README and tests; install it with pip install DIR."""
    from nnfw.plugin.scaffold import new_plugin

    written = new_plugin(folder, PLURALS.get(kind, kind), name)
    click.echo("\n".join(f"wrote {path}" for path in written))
    click.echo(f"next: pip install '{folder}[test]' && python -m pytest {folder}/tests "
               f"&& nnfw list-plugins")


