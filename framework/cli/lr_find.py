"""``nnfw lr-find``: Smith's learning-rate range test on the run ``nnfw train`` would train."""

from __future__ import annotations

from typing import Any

import click

from nnfw.api import train_settings
from nnfw.cli.common import (
    config_option,
    option_settings,
    parse_plugin_options,
    printable,
    registry_with_warnings,
    train_options,
)
from nnfw.explore.lr_find import RangeTest
from nnfw.explore.lr_find_rule import RULE
from nnfw.explore.lr_find_span import SPAN_PARAMS, refuse_unused, span_from
from nnfw.rundirs.rundir import LR_FIND_JSON, LR_FIND_PNG, json_text

_SPAN_DESTS = {param.name: param.name.replace("-", "_") for param in SPAN_PARAMS}


def _span_options(func: Any) -> Any:
    """An option per range-test setting, given as text and checked by its declaration."""
    for param in reversed(SPAN_PARAMS):
        metavar = "N" if param.type is int else "NUMBER"
        func = click.option(f"--{param.name}", _SPAN_DESTS[param.name], default=None,
                            metavar=metavar, help=f"{param.help[:1].upper()}{param.help[1:]} "
                                                  f"(default {param.default!r}; "
                                                  f"{param.accepts}).")(func)
    return func


@click.command("lr-find", context_settings={"ignore_unknown_options": True,
                                            "allow_extra_args": True})
@config_option
@_span_options
@click.option("--json", "as_json", is_flag=True,
              help="Print the result as JSON on stdout, nothing else.")
@train_options
@click.pass_context
def lr_find_command(ctx: click.Context, config_path: str | None, as_json: bool,
                    **options: Any) -> None:
    """Find a learning rate (Smith's range test): train the model that nnfw train would
    train, with the same data, loss, initializers and optimizer, for --steps steps
    while the learning rate grows by a constant factor a step from --min-lr to
    --max-lr, recording each step's loss. The test stops early when the smoothed loss
    (a bias-corrected moving average with factor --smoothing) exceeds --stop-factor
    times its lowest value, or the loss is not finite. It suggests a tenth of the
    learning rate at which the smoothed loss is lowest. It writes lr-find.png and
    lr-find.json in a new directory under --out; the trained weights are thrown away.
    Training options work as in nnfw train, except those that do not apply here
    (--lr, --schedule, --epochs, --on-nan, --checkpoint-seconds, --xla). Runs on one
    device (--strategy default)."""
    span_given = {name: options.pop(dest) for name, dest in _SPAN_DESTS.items()}
    registry = registry_with_warnings()
    span = span_from(span_given)
    given, plugin_options = option_settings(options), parse_plugin_options(ctx.args)
    refuse_unused(given, plugin_options)
    settings = train_settings(config_path, plugin_options, **options)
    from nnfw.explore.lr_find import lr_find
    from nnfw.training.plan import start_strategy
    from nnfw.training.quiet import import_tensorflow_quietly

    strategy = import_tensorflow_quietly(lambda: start_strategy(settings))
    test = lr_find(settings, registry, span, out=settings.scalars["out"], strategy=strategy)
    if as_json:
        click.echo(json_text({**test.record(), "run_dir": str(test.run_dir)}))
        return
    click.echo(printable("\n".join(report(test))))


def report(test: RangeTest) -> list[str]:
    """The range test in a line per fact, as the command prints it."""
    span, found, choices = test.span, test.suggestion, test.settings.choices
    lines = [f"lr-find: {choices['dataset']}, {choices['optimizer']}, {choices['loss']}, "
             f"batch {test.settings.scalars['batch-size']}: lr from {span.min_lr:g} to "
             f"{span.max_lr:g} over {span.steps} steps (x{span.factor_per_step:.4g} a step)",
             f"smoothed loss: moving average with bias correction, beta {span.smoothing:g}"]
    if test.stop_step is None:
        lines.append(f"ran all {span.steps} steps: {test.stop_reason}")
    else:
        lines.append(f"stopped at step {test.stop_step} of {span.steps} (from 0), lr "
                     f"{test.lrs[test.stop_step]:.4g}: {test.stop_reason}")
    if found.lr is None:
        lines.append(f"no suggestion: {found.note}")
    else:
        lines.append(f"lowest smoothed loss: {found.lowest_loss:.6g} at lr {found.lowest_lr:.4g} "
                     f"(step {found.lowest_step})")
        lines.append(f"suggested lr: {found.lr:.3g} (rule: {RULE})")
        if found.note:
            lines.append(f"note: {found.note}")
    lines.append(f"saved in {test.run_dir} ({LR_FIND_PNG}, {LR_FIND_JSON}); the trained weights "
                 "were thrown away")
    return lines

