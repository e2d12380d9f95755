"""How busy the machine was: the cores other processes used while a work ran (Linux /proc/stat).

Total busy CPU time from /proc/stat, minus the CPU time of the benchmark's own
processes, divided by the wall time: about 0 on a quiet machine; anything near 1
on this 2-core machine means another program took a core and times are inflated.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user, nice, system, irq, softirq, steal


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes have spent busy since boot, or None where /proc/stat is missing."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(value) for value in first[1:]]
    return sum(ticks[i] for i in BUSY_FIELDS if i < len(ticks)) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the benchmark's workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def snapshot() -> tuple[float | None, float]:
    """``(busy CPU seconds of the machine, CPU seconds of ours)`` now."""
    return busy_cpu_seconds(), own_cpu_seconds()


def other_cores(before: tuple[float | None, float], wall_seconds: float) -> float | None:
    """Average cores other processes kept busy since ``before`` (None when /proc/stat is missing)."""
    busy, ours = snapshot()
    if busy is None or before[0] is None or wall_seconds <= 0:
        return None
    return max(0.0, (busy - before[0] - (ours - before[1])) / wall_seconds)
