"""The MLP step's profile in the report: each part's own microseconds, graph and XLA."""

from __future__ import annotations

from typing import Any


def profile_section(results: dict[str, Any]) -> list[str]:
    """One row per part of the step: its own cost (its time minus the part before) and share."""
    work = results.get("profile")
    if not work or "parts" not in work:
        return []
    parts = work["parts"]
    whole = {path: parts[-1][f"{path}_us"] for path in ("graph", "xla")}
    lines = [f"### Where an MLP step goes ({'-'.join(map(str, [784, *work['units']]))}, batch "
             f"{work['batch']}, {work['steps']} steps in one loop), microseconds per step", "",
             "| part | graph | share | XLA | share | XLA / graph |", "|---|---|---|---|---|---|"]
    before = {"graph": 0.0, "xla": 0.0}
    for part in parts:
        own = {path: part[f"{path}_us"] - before[path] for path in before}
        before = {path: part[f"{path}_us"] for path in before}
        ratio = f"{own['xla'] / own['graph']:.2f}x" if own["graph"] > 0 else "-"
        lines.append(f"| {part['part']} | {own['graph']:.0f} | {own['graph'] / whole['graph']:.0%} | "
                     f"{own['xla']:.0f} | {own['xla'] / whole['xla']:.0%} | {ratio} |")
    lines.append(f"| **whole step** | {whole['graph']:.0f} | 100% | {whole['xla']:.0f} | 100% | "
                 f"{whole['xla'] / whole['graph']:.2f}x |")
    return [*lines, ""]
