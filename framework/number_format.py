"""How nnfw writes a number in its tables and reports."""

from __future__ import annotations

from typing import Any


def number_text(value: Any, spec: str) -> str:
    """``value`` written with the format ``spec`` (``".4g"``), or "-" where it is no number
    (None: not recorded; a boolean is no number either)."""
    return format(value, spec) if isinstance(value, int | float) and not isinstance(value, bool) else "-"
