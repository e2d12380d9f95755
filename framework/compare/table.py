"""A comparison's table: one flat row per run, and the text a person reads."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from nnfw.compare.plan import Plan
from nnfw.compare.run import RunOutcome
from nnfw.number_format import number_text

TARGET_SLACK = 1e-6  # accuracies are float32 fractions: 29/30 is 0.96666664


def table_rows(plan: Plan, outcomes: Sequence[RunOutcome], target: float | None = None
               ) -> list[dict[str, Any]]:
    """One flat row per run: the label, each varied option's value, and the results.

    Every row has every varied option (None where a hyperparameter does not
    apply to the run's plugin); ``target_epoch`` (the first epoch, from 0, with
    test accuracy at least ``target``) only when a target is given.
    """
    rows = []
    for run, outcome in zip(plan.runs, outcomes, strict=True):
        history = outcome.history
        accuracy = [a for a in history.test_accuracy if math.isfinite(a)]
        row: dict[str, Any] = {"run": run.label}
        row.update({option: run.varied.get(option) for option in plan.varied})
        row["final_loss"] = history.loss[-1] if history.loss else None
        row["final_test_accuracy"] = history.test_accuracy[-1] if history.test_accuracy else None
        row["best_test_accuracy"] = max(accuracy) if accuracy else None
        if target is not None:
            row["target_epoch"] = first_epoch_reaching(history.test_accuracy, target)
        row["train_seconds"] = round(outcome.train_seconds, 4)
        if plan.seeds is not None:  # the repeated runs' extra columns
            row.update(group=run.group, seed=run.settings.scalars["seed"],
                       dataset_seed=run.settings.params["dataset"].get("seed"),
                       final_test_loss=history.test_loss[-1] if history.test_loss else None)
        row["diverged"] = outcome.divergence is not None
        row["divergence_epoch"] = outcome.divergence.epoch if outcome.divergence else None
        row["divergence_step"] = outcome.divergence.step if outcome.divergence else None
        row["divergence_cause"] = (outcome.divergence.cause or None) if outcome.divergence else None
        row["epochs_run"] = history.epochs_run
        row["run_dir"] = str(outcome.run_dir) if outcome.run_dir else None
        rows.append(row)
    return rows


def first_epoch_reaching(accuracies: Sequence[float], target: float) -> int | None:
    """The first epoch (from 0) whose accuracy reaches ``target`` (within float32 rounding)."""
    return next((epoch for epoch, value in enumerate(accuracies) if value >= target - TARGET_SLACK),
                None)


def display_table(rows: Sequence[Mapping[str, Any]], target: float | None = None
                  ) -> tuple[list[str], list[list[str]]]:
    """The header and text cells of the table a person reads; accuracy columns only if any run has one."""
    header = ["run", "final loss"]
    has_accuracy = any(row["final_test_accuracy"] is not None for row in rows)
    if has_accuracy:
        header += ["final accuracy", "best accuracy"]
    if target is not None:
        header.append(f"epoch to {target:g}")
    header += ["time (s)", "diverged"]
    cells = []
    for row in rows:
        line = [row["run"], number_text(row["final_loss"], ".7g")]
        if has_accuracy:
            line += [number_text(row[key], ".4f") for key in ("final_test_accuracy", "best_test_accuracy")]
        if target is not None:
            line.append(number_text(row["target_epoch"], "d"))
        line.append(number_text(row["train_seconds"], ".2f"))
        line.append(f"yes (epoch {row['divergence_epoch']}, step {row['divergence_step']})"
                    if row["diverged"] else "no")
        cells.append(line)
    return header, cells


def markdown_table(header: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table ('|' in cells escaped)."""
    def line(items: Sequence[str]) -> str:
        return "| " + " | ".join(item.replace("|", "\\|") for item in items) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(c) for c in cells)]) + "\n"
