"""What every part of the markdown report shares: a target row, and how seconds are written."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Target:
    """One goal of the issue: what was measured, the goal, and whether it was met."""

    name: str
    measured: str
    goal: str
    met: bool | None  # None: not measured

    def row(self) -> str:
        """The target as a markdown table row."""
        verdict = {True: "met", False: "**not met**", None: "not measured"}[self.met]
        return f"| {self.name} | {self.measured} | {self.goal} | {verdict} |"


def fmt(seconds: float) -> str:
    """Seconds with three significant digits."""
    return f"{seconds:.3g}"


