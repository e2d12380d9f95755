"""Timing helpers: a clock around a call, and median / min / max of repeats."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """``(seconds, result)`` of one call, on the monotonic high-resolution clock."""
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def stats(values: list[float]) -> dict[str, float]:
    """Median, min and max of some measurements (each a number of seconds, or a rate)."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
