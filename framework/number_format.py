"""How nnfw writes a number in its tables and reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def number_text(value: Any, spec: str) -> str:
    """``value`` written with the format ``spec`` (``".4g"``), or "-" where it is no number
    (None: not recorded; a boolean is no number either)."""
    return format(value, spec) if isinstance(value, int | float) and not isinstance(value, bool) else "-"


def values_text(values: Mapping[str, Any]) -> str:
    """Hyperparameters as a figure's title lists them: ``rho=0.9, steps=3`` (floats as ``:g``)."""
    return ", ".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in values.items())
