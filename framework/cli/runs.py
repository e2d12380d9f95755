"""The ``nnfw runs`` and ``nnfw show`` commands: past runs for a person to read.

They read run directories only (``summary.json``, ``settings.toml``) and never
import TensorFlow.
"""

from __future__ import annotations

import json
from typing import Any

import click

from nnfw.cli.common import printable, table
from nnfw.config.scalars import SCALAR_BY_NAME
from nnfw.config.settings import SLOTS
from nnfw.number_format import number_text
from nnfw.rundirs.rundir import json_text
from nnfw.rundirs.runs import DIVERGED, FINISHED, UNREADABLE, Run, find_run, find_runs
from nnfw.training.complexity import Complexity, describe_complexity
from nnfw.training.divergence import divergence_words

DEFAULT_OUT = SCALAR_BY_NAME["out"].default
HEADER = ("RUN", "DATASET", "OPTIMIZER", "LOSS", "LR", "EPOCHS", "FINAL LOSS", "TEST ACC", "STATUS")

out_option = click.option("--out", default=DEFAULT_OUT, show_default=True, metavar="DIR",
                           help="The folder that holds the run directories.")


@click.command("runs")
@out_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.option("--last", type=click.IntRange(min=1), default=None, metavar="N",
              help="Only the N newest runs.")
def runs(out: str, as_json: bool, last: int | None) -> None:
    """Past runs under DIR, oldest first and newest last: key settings, final metrics, status.
    A comparison's runs are listed under its name, indented."""
    found = find_runs(out)
    if last is not None:
        found = found[-last:]
    if as_json:
        click.echo(json_text([run.record() for run in found], indent=2))
        return
    if not found:
        click.echo(f"no runs under {out!r}")
        return
    rows: list[tuple[str, ...]] = []
    group = None
    for run in found:
        if run.comparison != group and run.comparison is not None:
            rows.append((f"{run.comparison}/", *[""] * (len(HEADER) - 1)))
        group = run.comparison
        rows.append(_row(run))
    table(HEADER, rows)


def _row(run: Run) -> tuple[str, ...]:
    facts = run.record()
    name = f"  {run.path.name}" if run.comparison else run.name
    final = facts["final"] or {}
    return (name, facts["dataset"] or "-", facts["optimizer"] or "-", facts["loss"] or "-",
            number_text(facts["lr"], "g"), _epochs(facts["epochs_run"], facts["epochs"]),
            _metric(final, "loss", ".6g"), _metric(final, "test_accuracy", ".4g"), _status(run))


def _metric(final: dict[str, Any], key: str, spec: str) -> str:
    """A final metric; JSON's null stands for a value that was not finite (NaN or infinite)."""
    if key not in final:
        return "-"
    return "non-finite" if final[key] is None else number_text(final[key], spec)


def _epochs(run: Any, planned: Any) -> str:
    if run is None:
        return "-"
    return str(run) if planned in (None, run) else f"{run}/{planned}"


def _status(run: Run, long: bool = False) -> str:
    """The run's status; ``long`` adds what went wrong and where (for ``show``)."""
    if run.status == DIVERGED:
        where = run.summary.divergence or {}
        if not long:
            return divergence_words(where.get("epoch", "?"))
        return divergence_words(where.get("epoch", "?"), where.get("step", "?"),
                                where.get("non_finite") or (), where.get("cause"))
    if (long or run.status == UNREADABLE) and run.problem and run.status != FINISHED:
        return f"{run.status}: {run.problem}"
    return run.status


@click.command("show")
@click.argument("run_name", metavar="RUN")
@out_option
@click.option("--json", "as_json", is_flag=True, help="Print summary.json merged with the settings.")
def show(run_name: str, out: str, as_json: bool) -> None:
    """One run: its settings (every plugin with its hyperparameters), complexity, final
    metrics, divergence, training time and files. RUN is a run directory, a name under
    --out, or a unique prefix or suffix of one (such as its time stamp)."""
    run = find_run(out, run_name)
    if as_json:
        click.echo(json_text(run.details(), indent=2))
        return
    click.echo(printable("\n".join(_describe(run))))


def _provenance_lines(provenance: dict[str, Any]) -> list[str]:
    """Which versions and plugin distributions produced a run (nothing for older runs)."""
    lines = []
    versions = provenance.get("versions")
    if isinstance(versions, dict) and versions:
        lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    plugins = provenance.get("plugins")
    if isinstance(plugins, dict) and plugins:
        lines.append("plugins:")
        for slot, origin in plugins.items():
            if isinstance(origin, dict):
                source = " ".join(str(origin[k]) for k in ("distribution", "version") if origin.get(k))
                lines.append(f"  {slot}: {origin.get('entry')} (plugin {origin.get('plugin')}"
                             + (f", from {source})" if source else ")"))
    return lines


def _describe(run: Run) -> list[str]:
    summary = run.summary
    lines = [f"run: {run.name}", f"path: {run.path.resolve()}", f"status: {_status(run, long=True)}"]
    if run.problem and run.status in (FINISHED, DIVERGED):
        lines.append(f"note: {run.problem}")
    if run.settings or summary.settings:
        lines.append("settings:")
        for slot in SLOTS:
            params = run.hyperparameters(slot)
            extra = " (" + ", ".join(f"{k} {_value(v)}" for k, v in params.items()) + ")" if params else ""
            lines.append(f"  {slot}: {run.choice(slot) or 'none'}{extra}")
        lines.extend(f"  {key}: {_value(value)}" for key, value in run.scalars().items())
    lines.extend(_provenance_lines(run.provenance))
    if summary.complexity is not None:
        try:
            report = describe_complexity(Complexity(**summary.complexity))
        except TypeError:
            report = json.dumps(summary.complexity)
        lines.append("complexity:")
        lines.extend(f"  {line}" for line in report.splitlines())
    if summary.epochs_run is not None:
        planned = run.settings.get("epochs")
        lines.append(f"epochs run: {summary.epochs_run}" + (f" of {planned}" if planned else ""))
    final = summary.final
    if final:
        lines.append("final: " + ", ".join(f"{k} {_metric(final, k, '.7g')}" for k in final))
    if summary.train_seconds is not None:
        lines.append(f"training time: {number_text(summary.train_seconds, '.3f')} s")
    if summary.weights is not None:
        lines.append("weights: " + json.dumps(summary.weights))
    lines.append("files: " + (", ".join(run.files()) or "(none)"))
    return lines


def _value(value: Any) -> str:
    """A setting as TOML and JSON write it: true, 0.1, "text"."""
    return json.dumps(value)
