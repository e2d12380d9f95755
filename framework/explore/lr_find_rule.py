"""The rules of a learning-rate range test: the smoothed loss, when to stop, what to suggest."""

from __future__ import annotations

import math
from dataclasses import dataclass

RULE = "a tenth of the learning rate at which the smoothed loss is lowest"


class Tracker:
    """The losses of a range test, step by step: raw, smoothed, and whether to stop.

    The smoothed loss is an exponential moving average with bias correction (so the
    first steps are not pulled towards 0): ``a = beta * a + (1 - beta) * loss``,
    ``smoothed = a / (1 - beta ** (step + 1))``. The test stops at the first step whose
    loss is not finite, or whose smoothed loss exceeds ``stop_factor`` times the lowest
    smoothed loss of the steps before (for a loss below 0: lies more than
    ``stop_factor - 1`` times that lowest value's size above it).
    """

    def __init__(self, smoothing: float, stop_factor: float) -> None:
        self.smoothing = smoothing
        self.stop_factor = stop_factor
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.lowest = math.inf
        self._average = 0.0

    def add(self, loss: float) -> str | None:
        """Record a step's loss; return why the test stops here, or None to go on."""
        beta = self.smoothing
        self._average = beta * self._average + (1 - beta) * loss
        smoothed = self._average / (1 - beta ** (len(self.losses) + 1))
        self.losses.append(loss)
        self.smoothed.append(smoothed)
        if not (math.isfinite(loss) and math.isfinite(smoothed)):
            return f"the loss is not finite ({loss})"
        if smoothed - self.lowest > (self.stop_factor - 1) * abs(self.lowest):
            return (f"the smoothed loss {smoothed:.4g} exceeds {self.stop_factor:g}x its lowest "
                    f"value {self.lowest:.4g}")
        self.lowest = min(self.lowest, smoothed)
        return None


@dataclass(frozen=True)
class Suggestion:
    """The suggested learning rate (None: no step had a finite loss), where the smoothed
    loss was lowest (step from 0, its learning rate and value), and a warning about the
    range, if any."""

    lr: float | None
    lowest_step: int | None = None
    lowest_lr: float | None = None
    lowest_loss: float | None = None
    note: str = ""


def suggest(lrs: list[float], smoothed: list[float], stopped: bool) -> Suggestion:
    """The rule :data:`RULE`: a tenth of the learning rate of the step with the lowest smoothed
    loss (the first such step). Where the loss falls fastest the learning rate is near its
    largest useful value already; a tenth of that, where the loss is lowest, is the usual
    safe choice (Smith; fastai's ``lr_min``) and is not thrown off by one noisy step.
    ``stopped`` says whether the test stopped early; if not, a minimum at the last step
    means the range may end too low."""
    finite = [step for step, value in enumerate(smoothed) if math.isfinite(value)]
    if not finite:
        return Suggestion(None, note="no step had a finite loss: try a smaller --min-lr")
    best = min(finite, key=lambda step: smoothed[step])
    note = ""
    if best == 0:
        note = ("the smoothed loss was lowest at the first step: the range may start too high; "
                "try a smaller --min-lr")
    elif best == len(smoothed) - 1 and not stopped:
        note = ("the smoothed loss was still falling at the last step: the range may end too "
                "low; try a larger --max-lr")
    return Suggestion(lrs[best] / 10, best, lrs[best], smoothed[best], note)
