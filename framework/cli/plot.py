"""``nnfw plot``: draw a learning-rate schedule or activation functions from any plugin."""

from __future__ import annotations

from pathlib import Path

import click

from nnfw.cli.common import parse_plugin_options, registry_with_warnings
from nnfw.config.resolve import choose, entry_named
from nnfw.errors import UsageError
from nnfw.number_format import values_text

FORMATS = ("png", "svg", "pdf")


def _output(output: str | None, default_stem: str, fmt: str | None) -> Path:
    """The file to write: ``-o`` as given (its suffix wins), else ``STEM.FORMAT``."""
    if output:
        path = Path(output)
        if fmt and path.suffix.lstrip(".") != fmt:
            path = path.with_suffix(f".{fmt}")
        return path
    return Path(f"{default_stem}.{fmt or 'png'}")


@click.group("plot")
def plot() -> None:
    """Draw what the lecture teaches: schedules and activation functions."""


@plot.command("schedule", context_settings={"ignore_unknown_options": True,
                                             "allow_extra_args": True})
@click.argument("name")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=0.1, show_default=True,
              help="Starting learning rate.")
@click.option("--epochs", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--steps-per-epoch", type=click.IntRange(min=1), default=1, show_default=True,
              help="Batches per epoch; above 1 the curve is drawn against steps.")
@click.option("-o", "--output", default=None, help="Output file (default schedule.png).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="File format.")
@click.option("--show", is_flag=True, help="Also open the figure in a window.")
@click.pass_context
def plot_schedule_command(ctx: click.Context, name: str, lr: float, epochs: int, steps_per_epoch: int,
                          output: str | None, fmt: str | None, show: bool) -> None:
    """The learning rate of schedule NAME against epoch; its hyperparameters as
    --schedule.KEY VALUE (for example --schedule.decay 0.99)."""
    import numpy as np

    from nnfw.figures.plots import plot_schedule
    from nnfw.training.quiet import import_tensorflow_quietly

    given = parse_plugin_options(ctx.args)
    unexpected = set(given) - {"schedule"}
    if unexpected:
        raise UsageError(f"only --schedule.KEY settings apply here, not --{sorted(unexpected)[0]}.KEY")
    choice = choose(registry_with_warnings(), "schedule", name, given.get("schedule", {}))
    import_tensorflow_quietly()
    schedule = choice.build(lr, steps_per_epoch, epochs=epochs)
    entry, values = choice.entry, choice.params
    steps = np.arange(epochs * steps_per_epoch)
    if callable(schedule):
        import tensorflow as tf

        rates = np.array([float(schedule(tf.constant(step, tf.int64))) for step in steps])
    else:
        rates = np.full(len(steps), float(schedule))
    per_step = steps_per_epoch > 1
    title = f"{entry.name}: {entry.formula or entry.description}  (lr_base={lr:g}"
    title += f", {values_text(values)})" if values else ")"
    path = plot_schedule(steps if per_step else steps // steps_per_epoch, rates,
                         _output(output, "schedule", fmt), title,
                         xlabel="step (batch)" if per_step else "epoch", show=show)
    click.echo(f"wrote {path}")


@plot.command("activation", context_settings={"ignore_unknown_options": True,
                                               "allow_extra_args": True})
@click.argument("names", nargs=-1, required=True)
@click.option("--range", "x_range", default="-6,6", show_default=True, help="x from,to.")
@click.option("-o", "--output", default=None, help="Output file (default activations.png).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="File format.")
@click.option("--show", is_flag=True, help="Also open the figure in a window.")
@click.pass_context
def plot_activation_command(ctx: click.Context, names: tuple[str, ...], x_range: str,
                            output: str | None, fmt: str | None, show: bool) -> None:
    """Each activation NAME and its derivative; hyperparameters as --activation.KEY VALUE
    (applied to every named activation that declares KEY)."""
    import numpy as np

    from nnfw.figures.plots import plot_activations
    from nnfw.training.quiet import import_tensorflow_quietly

    low, high = _parse_range(x_range)
    names, option_args = _split_names(list(names) + list(ctx.args))
    given = parse_plugin_options(option_args).get("activation", {})
    registry = registry_with_warnings()
    entries = [entry_named(registry, "activation", name) for name in names]
    declared = {p.name for e in entries for p in e.params}
    for key in given:
        if key not in declared:
            raise UsageError(f"--activation.{key}: none of {', '.join(names)} declares {key!r}")
    import_tensorflow_quietly()
    import tensorflow as tf

    x = np.linspace(low, high, 401, dtype=np.float32)
    curves = {}
    for entry in entries:
        own = {k: v for k, v in given.items() if any(p.name == k for p in entry.params)}
        function = entry.build(**own)
        points = tf.constant(x.reshape(-1, 1))
        with tf.GradientTape() as tape:
            tape.watch(points)
            values = function(points)
        slope = tape.gradient(values, points)
        label = entry.name + (f" ({values_text(own)})" if own else "")
        curves[label] = (x, np.asarray(values).ravel(), np.asarray(slope).ravel())
    path = plot_activations(curves, _output(output, "activations", fmt),
                            "Activation functions and their derivatives", show=show)
    click.echo(f"wrote {path}")


def _split_names(tokens: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Names, and the ``--activation.KEY VALUE`` tokens click left among them."""
    names: list[str] = []
    options: list[str] = []
    while tokens:
        token = tokens.pop(0)
        if token.startswith("--"):
            options.append(token)
            if "=" not in token and tokens:
                options.append(tokens.pop(0))
        else:
            names.append(token)
    if not names:
        raise UsageError("name at least one activation (see 'nnfw list activations')")
    return tuple(names), options


def _parse_range(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--range: {text!r} is not two numbers like '-6,6'") from None
    if not low < high:
        raise UsageError(f"--range: {text!r} must go from a smaller to a larger number")
    return low, high
