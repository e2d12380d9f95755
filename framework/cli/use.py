"""``nnfw predict``, ``nnfw evaluate`` and ``nnfw export``: a finished run put to use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nnfw.cli.common import parse_plugin_options, printable, registry_with_warnings
from nnfw.cli.runs import out_option
from nnfw.rundirs.evaluate import PARTS
from nnfw.rundirs.export import FORMATS
from nnfw.rundirs.rundir import json_text
from nnfw.rundirs.runs import find_run

_RUN = click.argument("run_name", metavar="RUN")
_RUN_HELP = ("RUN is a run directory, a name under --out, or a unique prefix or suffix of one "
             "(such as its time stamp).")


def _open(out: str, run_name: str, dataset: str | None = None,
          dataset_params: dict[str, Any] | None = None) -> Any:
    """The registry and the trained run RUN names, TensorFlow loaded quietly."""
    from nnfw.rundirs.trained import open_run
    from nnfw.training.quiet import import_tensorflow_quietly

    registry = registry_with_warnings()
    path = find_run(out, run_name).path
    return registry, import_tensorflow_quietly(
        lambda: open_run(path, registry, dataset, dataset_params))


def _guarded(run: Any, work: Any) -> Any:
    """``work()``, which runs the run's plugins' code (reading rows, the model), guarded as
    training is: a plugin's failure is one line naming it."""
    from nnfw.training.runner import run_plugin_code

    return run_plugin_code(run.settings, work)


@click.command("predict")
@_RUN
@click.argument("input_csv", metavar="INPUT.csv", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default=None, metavar="OUT.csv",
              help="Write the predictions here (atomically) instead of to stdout.")
@out_option
def predict(run_name: str, input_csv: str, output: str | None, out: str) -> None:
    """The trained model's predictions for the rows of INPUT.csv, read as the run's data
    set read its own (the same columns, encodings, filled values and standardization,
    saved with the run): one line per row, in order. For classification, the predicted
    class's name and, per class, its probability (p_CLASS) or, when the loss gives no
    probabilities, its score (score_CLASS); for regression, the predicted values. A target
    column in the file is ignored (nnfw evaluate uses it). """
    from nnfw.rundirs.trained import prediction_table, read_new_rows, write_table

    _, run = _open(out, run_name)
    header, rows = _guarded(run, lambda: prediction_table(run, read_new_rows(run, input_csv)[0]))
    text = write_table(header, rows, Path(output) if output else None)
    if text is not None:
        click.echo(printable(text), nl=False)


predict.help = f"{predict.help} {_RUN_HELP}"


@click.command("evaluate", context_settings={"ignore_unknown_options": True,
                                            "allow_extra_args": True})
@_RUN
@click.argument("input_csv", metavar="[INPUT.csv]", required=False,
                type=click.Path(dir_okay=False))
@click.option("--part", type=click.Choice(PARTS), default="test", show_default=True,
              help="The part of the data set evaluated when no INPUT.csv is given.")
@click.option("--dataset", default=None, metavar="NAME",
              help="Evaluate on this data set (its --dataset.KEY VALUE settings after) instead "
                   "of the run's own.")
@click.option("--json", "as_json", is_flag=True, help="Print the values as JSON.")
@out_option
@click.pass_context
def evaluate(ctx: click.Context, run_name: str, input_csv: str | None, part: str,
             dataset: str | None, as_json: bool, out: str) -> None:
    """The run's loss and metrics (those it recorded, computed the same way) on other data:
    the rows of INPUT.csv with their targets, read as the run's data set read its own; or a
    part of the run's data set, made again from its settings (by default its test part,
    which gives the run's own test metrics); or of another data set (--dataset). """
    from nnfw.errors import UsageError
    from nnfw.rundirs.evaluate import evaluate_rows, run_part
    from nnfw.rundirs.trained import read_new_rows

    params = parse_plugin_options(ctx.args, ("dataset",), "evaluate").get("dataset")
    if input_csv is not None and (dataset is not None or params):
        raise UsageError("evaluate takes INPUT.csv or --dataset, not both")
    registry, run = _open(out, run_name, dataset, params)

    def work() -> tuple[int, dict[str, Any]]:
        if input_csv is None:
            x, y = run_part(run, part)
        else:
            x, y = read_new_rows(run, input_csv)
            if y is None:
                raise UsageError(f"{input_csv}: no target column, so nothing to compare the "
                                 "predictions with ('nnfw predict' predicts rows without one)")
        return len(x), evaluate_rows(run, registry, x, y)

    rows, values = _guarded(run, work)
    click.echo(json_text(values) if as_json else printable(_values_text(values, rows)))


evaluate.help = f"{evaluate.help} {_RUN_HELP}"


def _values_text(values: dict[str, Any], rows: int) -> str:
    """Numbers on one line; a matrix (the confusion matrix) below it, one row per line."""
    numbers = [f"{name} {value:.7g}" for name, value in values.items()
               if isinstance(value, int | float)]
    lines = [f"{rows} rows: " + ", ".join(numbers)]
    for name, value in values.items():
        if isinstance(value, list):
            lines.append(f"{name}:")
            lines.extend("  " + " ".join(str(cell) for cell in row) if isinstance(row, list)
                         else f"  {row}" for row in value)
    return "\n".join(lines)


@click.command("export")
@_RUN
@click.option("--format", "kind", type=click.Choice(FORMATS), default="saved-model",
              show_default=True, help="saved-model: TensorFlow Serving's format.")
@click.option("-o", "--output", default=None, metavar="DIR",
              help="The folder to create (by default RUN/saved-model).")
@out_option
def export(run_name: str, kind: str, output: str | None, out: str) -> None:
    """Export the run's trained model: a SavedModel whose 'serve' signature takes rows of
    features (as nnfw predict makes them from a file) and returns the model's outputs;
    the run's preprocessing record goes with it, in assets.extra/. """
    from nnfw.rundirs.export import export_saved_model

    _, run = _open(out, run_name)
    click.echo(str(_guarded(run, lambda: export_saved_model(
        run, Path(output) if output else None))))


export.help = f"{export.help} {_RUN_HELP}"
