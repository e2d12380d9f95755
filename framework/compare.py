"""Fair side-by-side training runs: one run per combination of varied settings.

Every run is planned (settings resolved and checked) before any trains, and all
share the same data, split, seed and so the same initial weights; only what
was varied differs. Runs happen one after another in this process, or in
``jobs`` worker processes; the numbers do not depend on which.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnfw.errors import NnfwError, UsageError
from nnfw.loop import Divergence, History
from nnfw.registry import Registry
from nnfw.rundir import create_run_dir, write_atomic, write_csv, write_json
from nnfw.settings import SCALARS, SLOTS, Settings, resolve_settings
from nnfw.suggest import unknown_name_message

SEPARATOR = ","
HIDDEN_SEPARATOR = ";"  # 'hidden' takes '16,8' itself, so its alternatives are separated by ';'
NOT_VARIED = {"out"}  # all runs of a comparison go into one comparison directory
TARGET_SLACK = 1e-6  # accuracies are float32 fractions: 29/30 is 0.96666664
WORKER_THREADS = 1  # TensorFlow inter- and intra-op threads per worker process


@dataclass(frozen=True)
class PlannedRun:
    """One run of a comparison: its legend label, what was varied for it, its settings."""

    label: str
    varied: dict[str, Any]
    settings: Settings


@dataclass
class Plan:
    """Every run of a comparison, and the values each varied option takes."""

    runs: list[PlannedRun]
    varied: dict[str, list[str]]

    @property
    def title(self) -> str:
        """What the runs share, for figure titles ('iris, mse, lr 0.1, 500 epochs')."""
        first = self.runs[0].settings
        parts = [first.choices[slot] for slot in ("dataset", "optimizer", "loss")
                 if slot not in self.varied]
        if "lr" not in self.varied:
            parts.append(f"lr {first.scalars['lr']:g}")
        if "epochs" not in self.varied:
            parts.append(f"{first.scalars['epochs']} epochs")
        return ", ".join(str(p) for p in parts) or "comparison"


@dataclass
class RunOutcome:
    """What one run of a comparison produced (small and picklable, unlike a RunResult)."""

    label: str
    history: History
    divergence: Divergence | None
    train_seconds: float
    run_dir: Path | None


@dataclass
class Comparison:
    """A finished comparison: the plan, each run's outcome (in plan order), the table."""

    plan: Plan
    outcomes: list[RunOutcome]
    rows: list[dict[str, Any]]
    directory: Path
    target: float | None = None
    wall_seconds: float = 0.0
    jobs: int = 1


# ---------------------------------------------------------------- planning


def split_values(option: str, text: str) -> list[str]:
    """The alternatives in one option's value: comma-separated (';' for ``hidden``)."""
    separator = HIDDEN_SEPARATOR if option == "hidden" else SEPARATOR
    values = [item.strip() for item in text.split(separator)]
    if option != "hidden" and any(not v for v in values):
        raise UsageError(f"--{option}: {text!r} has an empty item; give values like 'a{separator}b'")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise UsageError(f"--{option}: {repeated[0]!r} is listed more than once in {text!r}")
    return values


def plan_comparison(registry: Registry, config: Mapping[str, Any] | None,
                    options: Mapping[str, Any],
                    option_params: Mapping[str, Mapping[str, str]] | None = None) -> Plan:
    """Resolve and check the settings of every run, before anything trains.

    ``options`` are keyed by option name ('batch-size'), as for
    :func:`nnfw.settings.resolve_settings`; a string value lists alternatives
    (see :func:`split_values`). ``option_params`` (``--slot.key value``) may
    list alternatives too; each run gets the keys its plugins declare, and a
    key no run's plugin declares is a UsageError.
    """
    dimensions = _dimensions(options, option_params or {})
    varying = [name for name, values in dimensions.items() if len(values) > 1]
    fixed = {k: v for k, v in options.items() if k in NOT_VARIED or not isinstance(v, str)}
    runs: list[PlannedRun] = []
    offered: dict[str, dict[str, set[str]]] = {}  # slot -> plugin in some run -> its hyperparameters
    for combination in itertools.product(*dimensions.values()):
        chosen = dict(zip(dimensions, combination, strict=True))
        run_options = {**fixed, **{k: v for k, v in chosen.items() if "." not in k}}
        base = resolve_settings(registry, config, run_options)
        hyper: dict[str, dict[str, str]] = {}
        for key in [k for k in chosen if "." in k]:
            slot, _, param = key.partition(".")
            declared = _declared(registry, base, slot)
            offered.setdefault(slot, {})[base.choices[slot] or "none"] = declared
            if param in declared:
                hyper.setdefault(slot, {})[param] = chosen[key]
            else:
                del chosen[key]  # not this run's: it neither gets nor is labelled by it
        settings = resolve_settings(registry, config, run_options, hyper)
        varied = {k: _typed(settings, k) for k in varying if k in chosen}
        label = ", ".join(f"{k}={_shown(k, chosen[k])}" for k in varied) or "run"
        if all(run.label != label for run in runs):
            runs.append(PlannedRun(label, varied, settings))
    _check_every_key_used(dimensions, offered)
    return Plan(runs, {name: dimensions[name] for name in varying})


def _dimensions(options: Mapping[str, Any], option_params: Mapping[str, Mapping[str, str]]
                ) -> dict[str, list[str]]:
    """Each option given as text (and each ``slot.key``), with its alternatives, in a fixed order."""
    dimensions = {name: split_values(name, options[name])
                  for name in [*SLOTS, *(p.name for p in SCALARS)]
                  if isinstance(options.get(name), str) and name not in NOT_VARIED}
    for slot, params in option_params.items():
        if slot not in SLOTS:
            raise UsageError(unknown_name_message("unknown plugin setting", f"--{slot}.KEY",
                                                  [f"--{s}.KEY" for s in SLOTS]))
        dimensions.update({f"{slot}.{key}": split_values(f"{slot}.{key}", str(value))
                           for key, value in params.items()})
    return dimensions


def _check_every_key_used(dimensions: Mapping[str, list[str]],
                          offered: Mapping[str, Mapping[str, set[str]]]) -> None:
    """A UsageError for the first ``slot.key`` that no run's plugin declares."""
    for key in (k for k in dimensions if "." in k):
        slot, _, param = key.partition(".")
        plugins = offered[slot]
        known = set().union(*plugins.values())
        if param not in known:
            raise UsageError(unknown_name_message(
                f"--{key}: no {slot} in this comparison ({', '.join(plugins)}) has the hyperparameter",
                param, known))


def _declared(registry: Registry, settings: Settings, slot: str) -> set[str]:
    """The hyperparameter names of the plugin chosen for ``slot`` (none when the slot is unset)."""
    name = settings.choices.get(slot)
    return {p.name for p in registry.get(SLOTS[slot], name).params} if name else set()


def _typed(settings: Settings, option: str) -> Any:
    """The resolved value of a varied option in ``settings`` (a name, number, flag or text)."""
    if "." in option:
        slot, _, param = option.partition(".")
        return settings.params[slot][param]
    return settings.choices[option] if option in SLOTS else settings.scalars[option]


def _shown(option: str, value: str) -> str:
    return "none" if option == "hidden" and not value else value


# ---------------------------------------------------------------- running


def run_comparison(plan: Plan, registry: Registry, out: str | Path, jobs: int = 1,
                   on_done: Callable[[RunOutcome, int, int], None] | None = None) -> list[RunOutcome]:
    """Train every planned run, writing each run directory under ``out``; outcomes in plan order.

    With ``jobs`` > 1 (and more than one run) the runs happen in that many
    spawned worker processes, each using the installed plugins (entry points)
    and one TensorFlow thread. ``on_done(outcome, finished, total)`` is
    called as each run finishes. A divergence is an outcome, not an error; any
    other error stops the comparison, naming the run.
    """
    total = len(plan.runs)
    workers = min(jobs, total)
    outcomes: list[RunOutcome | None] = [None] * total
    if workers <= 1:
        from nnfw.quiet import import_tensorflow_quietly
        from nnfw.runner import start_strategy

        # every run's strategy first: one may split the CPU, possible only before it starts
        import_tensorflow_quietly(lambda: [start_strategy(run.settings, registry)
                                           for run in plan.runs])
        for index, run in enumerate(plan.runs):
            outcomes[index] = train_planned(run, registry, out)
            if on_done:
                on_done(outcomes[index], index + 1, total)  # type: ignore[arg-type]
        return outcomes  # type: ignore[return-value]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                               initargs=(stop,))
    try:
        futures = {pool.submit(_train_in_worker, run, str(out)): i for i, run in enumerate(plan.runs)}
        for finished, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            outcomes[index] = future.result()
            if on_done:
                on_done(outcomes[index], finished, total)  # type: ignore[arg-type]
    except BrokenProcessPool:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise NnfwError(f"a worker process of --jobs {jobs} stopped abruptly (out of memory, or "
                        "killed?); try fewer --jobs") from None
    except BaseException:
        stop.set()  # runs a worker has already taken do not start
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return outcomes  # type: ignore[return-value]


def train_planned(run: PlannedRun, registry: Registry, out: str | Path) -> RunOutcome:
    """Train one planned run in this process, its run directory under ``out``.

    An nnfw error is raised again as a plain :class:`NnfwError` (same exit
    code, so it crosses process boundaries) whose message names the run.
    """
    from nnfw.runner import run_training

    try:
        result = run_training(run.settings, registry, out=out)
    except NnfwError as exc:
        error = NnfwError(f"run {run.label!r}: {exc}")
        error.exit_code = exc.exit_code
        raise error from None
    return RunOutcome(run.label, result.history, result.divergence, result.train_seconds,
                      result.run_dir)


_stop: Any = None  # in a worker process: the comparison's stop event, set when a run fails


def _start_worker(stop: Any) -> None:
    """In a spawned worker: import TensorFlow quietly, limited to ``WORKER_THREADS`` threads.

    Ctrl-C reaches the whole process group: an idle worker ignores it, and a
    training one stops after its current chunk with everything saved (as
    :func:`nnfw.runner.run_training` does), while the main process stops waiting.
    """
    import os
    import signal

    from nnfw.quiet import native_stderr_silenced

    global _stop
    _stop = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_silenced():
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(WORKER_THREADS)
        tf.config.threading.set_intra_op_parallelism_threads(WORKER_THREADS)
        tf.constant(0.0) + 1.0


def _train_in_worker(run: PlannedRun, out: str) -> RunOutcome:
    """Train one planned run in a worker process, with the installed plugins."""
    from nnfw.api import registry

    if _stop is not None and _stop.is_set():
        raise NnfwError(f"run {run.label!r}: not started, the comparison stopped")
    try:
        return train_planned(run, registry(), out)
    except BaseException:
        if _stop is not None:
            _stop.set()  # before this worker takes another run
        raise


# ---------------------------------------------------------------- the table


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
        line = [row["run"], _number(row["final_loss"], ".7g")]
        if has_accuracy:
            line += [_number(row["final_test_accuracy"], ".4f"), _number(row["best_test_accuracy"], ".4f")]
        if target is not None:
            line.append("-" if row["target_epoch"] is None else str(row["target_epoch"]))
        line.append(f"{row['train_seconds']:.2f}")
        line.append(f"yes (epoch {row['divergence_epoch']}, step {row['divergence_step']})"
                    if row["diverged"] else "no")
        cells.append(line)
    return header, cells


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown_table(header: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table ('|' in cells escaped)."""
    def line(items: Sequence[str]) -> str:
        return "| " + " | ".join(item.replace("|", "\\|") for item in items) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(c) for c in cells)]) + "\n"


# ---------------------------------------------------------------- the whole comparison


def compare(registry: Registry, config: Mapping[str, Any] | None, options: Mapping[str, Any],
            option_params: Mapping[str, Mapping[str, str]] | None = None, *, jobs: int = 1,
            target: float | None = None,
            on_start: Callable[[Plan, Path], None] | None = None,
            on_done: Callable[[RunOutcome, int, int], None] | None = None) -> Comparison:
    """Plan, run and record a comparison in a new directory under the ``out`` setting.

    The directory holds each run's own directory, ``table.csv``, ``table.md``,
    ``comparison.json``, ``loss.png`` and (when runs have test accuracy)
    ``accuracy.png``. ``on_start(plan, directory)`` is called before the first run.
    """
    plan = plan_comparison(registry, config, options, option_params)
    first = plan.runs[0].settings
    name = "-".join(["compare", *([str(first.choices["dataset"])] if "dataset" not in plan.varied else []),
                     *plan.varied])
    directory = create_run_dir(first.scalars["out"], name)
    if on_start:
        on_start(plan, directory)
    started = time.perf_counter()
    outcomes = run_comparison(plan, registry, directory, jobs, on_done)
    result = Comparison(plan, outcomes, table_rows(plan, outcomes, target), directory, target,
                        time.perf_counter() - started, min(jobs, len(plan.runs)))
    write_comparison(result)
    return result


def write_comparison(result: Comparison) -> None:
    """Write the table (CSV, markdown), ``comparison.json`` and the two figures."""
    from nnfw.plots import plot_comparison

    directory = result.directory
    header, cells = display_table(result.rows, result.target)
    write_csv(directory / "table.csv", result.rows)
    write_atomic(directory / "table.md", markdown_table(header, cells))
    write_json(directory / "comparison.json", {
        "title": result.plan.title, "varied": result.plan.varied, "target": result.target,
        "jobs": result.jobs, "wall_seconds": round(result.wall_seconds, 4), "runs": result.rows})
    plot_comparison({o.label: o.history.rows() for o in result.outcomes}, directory / "loss.png",
                    directory / "accuracy.png", result.plan.title,
                    diverged=[o.label for o in result.outcomes if o.divergence is not None])
