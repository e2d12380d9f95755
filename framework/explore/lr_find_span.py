"""The options of a learning-rate range test: its span, and the training options it refuses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nnfw.config.scalars import FLOAT32_MAX, FLOAT32_TINY
from nnfw.errors import UsageError
from nnfw.plugin.params import Param

_LR_BOUNDS = f"[{FLOAT32_TINY!r}, {FLOAT32_MAX!r}]"  # what --lr accepts: a normal float32
MAX_STEPS = 100_000  # one Python call a step: about a millisecond each on a small model
SPAN_PARAMS: tuple[Param, ...] = (
    Param("min-lr", 1e-6, "learning rate of the first step", bounds=_LR_BOUNDS),
    Param("max-lr", 10.0, "learning rate of the last step", bounds=_LR_BOUNDS),
    Param("steps", 100, "optimizer steps from --min-lr to --max-lr, cycling over the "
          "training batches", bounds=f"[2, {MAX_STEPS}]"),
    # 0.9: about 10 steps of memory, enough to even out the pattern of a few batches cycling
    # (iris: 4); fastai's 0.98 (50 steps) lags a 100-step test by about a decade of lr, and
    # moved the suggestion for the lecture's iris Adam from 0.087 to 0.23
    Param("smoothing", 0.9, "factor beta of the smoothed loss, an exponential moving average "
          "with bias correction: a = beta*a + (1-beta)*loss; smoothed = a / (1 - beta^(step+1)); "
          "0: no smoothing", bounds="[0, 1)"),
    Param("stop-factor", 4.0, "stop when the smoothed loss exceeds this many times its lowest "
          "value so far (or the loss is not finite)", bounds="(1, inf)"),
)
# training settings that the range test replaces or has no use for
UNUSED = {"lr": "the learning rate runs from --min-lr to --max-lr",
          "schedule": "the learning rate runs from --min-lr to --max-lr",
          "epochs": "the test runs --steps optimizer steps",
          "on-nan": "the test stops when the loss is not finite",
          "checkpoint-seconds": "the test keeps no checkpoints",
          "xla": "its steps run one at a time, as plain graphs"}


@dataclass(frozen=True)
class Span:
    """What the range test runs: the learning rates, how many steps, and its two rules
    (:func:`span_from` gives the defaults)."""

    min_lr: float
    max_lr: float
    steps: int
    smoothing: float
    stop_factor: float

    @property
    def factor_per_step(self) -> float:
        """How much the learning rate grows from one step to the next."""
        return (self.max_lr / self.min_lr) ** (1 / (self.steps - 1))


def span_from(given: Mapping[str, Any]) -> Span:
    """The span from option values keyed by option name (``min-lr``: text from the command
    line, or numbers), checked; a missing or None value is the default. Every bad value is
    a :class:`UsageError` naming the option and what it accepts."""
    values = {}
    for param in SPAN_PARAMS:
        value = given.get(param.name)
        if value is None:
            value = param.default
        values[param.name] = (param.parse(value, where="--") if isinstance(value, str)
                              else param.check(value, where="--"))
    if not values["min-lr"] < values["max-lr"]:
        raise UsageError(f"--min-lr {values['min-lr']!r} is not smaller than --max-lr "
                         f"{values['max-lr']!r}; accepted: 0 < --min-lr < --max-lr")
    return Span(values["min-lr"], values["max-lr"], values["steps"], values["smoothing"],
                values["stop-factor"])


def refuse_unused(options: Mapping[str, Any], plugin_options: Mapping[str, Any]) -> None:
    """A :class:`UsageError` for a training option given on the command line that the range
    test does not use (in a config file they are left alone: it was written for training)."""
    for name, why in UNUSED.items():
        if options.get(name) is not None or name in plugin_options:
            shown = f"--{name}" if name not in plugin_options else f"--{name}.KEY"
            raise UsageError(f"{shown} does not apply to lr-find ({why}); leave it out")
