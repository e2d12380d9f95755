"""``nnfw paths``: run optimizer plugins on an objective function and show their paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from nnfw.cli.common import parse_plugin_options, registry_with_warnings, table
from nnfw.compare.plan import split_values
from nnfw.config.resolve import default_choice
from nnfw.config.scalars import SCALAR_BY_NAME
from nnfw.errors import UsageError
from nnfw.explore.paths import PATH_SLOTS, STEPS

if TYPE_CHECKING:
    from nnfw.explore.paths import OptimizerPath, PathsResult


@click.command("paths", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--function", "function", required=True, metavar="NAME",
              help="The objective function (see 'nnfw list functions').")
@click.option("--optimizer", "optimizers", default=None, metavar="NAMES",
              help="Optimizers, comma-separated (see 'nnfw list optimizers'; default: the one "
                   "nnfw train uses by default).")
@click.option("--schedule", default=None, metavar="NAME",
              help="The learning-rate schedule, one step an epoch (see 'nnfw list schedules'; "
                   "default: the one nnfw train uses by default).")
@click.option("--lr", default=None, metavar="NUMBER",
              help="The schedule's starting learning rate (default: the function's own).")
@click.option("--steps", default=str(STEPS.default), show_default=True, metavar="N",
              help="Optimizer steps.")
@click.option("--start", default=None, metavar="NUMBERS",
              help="The start point, comma-separated (default: the function's own).")
@click.option("-o", "--out", default=None, metavar="FILE",
              help="Draw the paths: .png, .svg or .pdf, or an animated .gif.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the points, loss and lr of every step as JSON, and nothing else.")
@click.pass_context
def paths(ctx: click.Context, function: str, optimizers: str | None, schedule: str | None, lr: str | None,
          steps: str, start: str | None, out: str | None, as_json: bool) -> None:
    """Run optimizers on an objective function, with the same plugins training uses, and
    show each one's path. Set a chosen plugin's hyperparameters as --SLOT.KEY VALUE
    (--optimizer.beta 0.95, --schedule.decay 0.99, --function.a 2)."""
    from nnfw.figures.paths import output_path

    given = parse_plugin_options(ctx.args, slots=tuple(PATH_SLOTS), command="paths")
    try:
        target = output_path(out) if out is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    rate = SCALAR_BY_NAME["lr"].parse(lr, where="--") if lr is not None else None
    count = STEPS.parse(steps, where="--")
    point = _numbers(start) if start is not None else None
    registry = registry_with_warnings()

    from nnfw.explore.paths import run_paths, surface
    from nnfw.training.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    optimizers = optimizers or default_choice(registry, "optimizer")
    if optimizers is None:
        raise UsageError("--optimizer: no plugin gives a default; name one (see 'nnfw list optimizers')")
    result = run_paths(registry, function, split_values("optimizer", optimizers), schedule=schedule, lr=rate,
                       steps=count, start=point, params=given)
    if target is not None:
        from nnfw.figures.paths import plot_paths

        written = plot_paths(result, surface(result.objective), target)
        click.echo(f"wrote {written}", err=as_json)
    if as_json:
        from nnfw.rundirs.rundir import json_text

        click.echo(json_text(result.as_dict()))
    elif result.objective.dimensions == 1 and target is None:
        _print_steps(result)
    else:
        _print_table(result)
    for path in result.paths:
        if path.diverged_at is not None:
            click.echo(f"nnfw: warning: {path.optimizer} diverged at step {path.diverged_at}: "
                       f"{path.non_finite} went non-finite; try a smaller --lr", err=True)


def _numbers(text: str) -> tuple[float, ...]:
    """``--start`` as numbers; a UsageError naming the text otherwise."""
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--start: {text!r} is not numbers separated by commas, like '-1.5,2'"
                         ) from None


def _print_steps(result: PathsResult) -> None:
    """Each step as the lecture's exponential-decay script prints it: the parameter after the
    step, the loss before it and the step's learning rate."""
    name = result.objective.names[0]
    for path in result.paths:
        prefix = f"{path.optimizer}: " if len(result.paths) > 1 else ""
        for step in range(path.steps):
            click.echo(f"{prefix}After {step} epoch, {name} is {path.points[step + 1][0]:f}, "
                       f"loss is {path.losses[step]:f}, lr is {path.lrs[step]:f}")


def _print_table(result: PathsResult) -> None:
    """One row per optimizer: where it ended, the function's value there, and its status."""
    table(("OPTIMIZER", "STEPS", "END POINT", "LOSS", "STATUS"),
          [(p.optimizer, p.steps, _point_text(p), f"{p.losses[-1]:.6g}",
            "ok" if p.diverged_at is None else f"diverged at step {p.diverged_at}")
           for p in result.paths])


def _point_text(path: OptimizerPath) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in path.points[-1]) + ")"
