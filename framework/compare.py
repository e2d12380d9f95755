"""Fair side-by-side training runs: one run per combination of varied settings.

Every run is planned (settings resolved and checked) before any trains, and all
share the same data, split, seed and so the same initial weights; only what
was varied differs. Runs happen one after another in this process, or in
``jobs`` worker processes; the numbers do not depend on which.
"""

from __future__ import annotations

import itertools
import math
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfw.errors import NnfwError, NnfwWarning, UsageError
from nnfw.loop import Divergence, History
from nnfw.registry import Registry
from nnfw.rundir import create_run_dir, write_atomic, write_csv, write_json
from nnfw.settings import SCALARS, SLOTS, Settings, resolve_settings
from nnfw.spreads import METRICS, TUNABLE_BY, GroupSummary, default_metric, overlaps, summarize
from nnfw.suggest import unknown_name_message
from nnfw.tuning import Tuned, tune

SEPARATOR = ","
HIDDEN_SEPARATOR = ";"  # 'hidden' takes '16,8' itself, so its alternatives are separated by ';'
NOT_VARIED = {"out"}  # all runs of a comparison go into one comparison directory
LOG_RANGE = re.compile(r"^[0-9.eE+-]+:[0-9.eE+-]+:[0-9]+$")  # LOW:HIGH:COUNT
WHOLE = re.compile(r"^[0-9]+$")
TARGET_SLACK = 1e-6  # accuracies are float32 fractions: 29/30 is 0.96666664
WORKER_THREADS = 1  # TensorFlow inter- and intra-op threads per worker process


@dataclass(frozen=True)
class PlannedRun:
    """One run of a comparison: its legend label, what was varied for it, its settings.

    With repeated seeds, ``group`` is the label of the combination the run repeats
    (shared by its seeds) and ``repeat`` counts its seeds from 0; otherwise
    ``group`` is the label and ``repeat`` is None.
    """

    label: str
    varied: dict[str, Any]
    settings: Settings
    group: str = ""
    repeat: int | None = None


@dataclass
class Plan:
    """Every run of a comparison, and the values each varied option takes."""

    runs: list[PlannedRun]
    varied: dict[str, list[str]]
    seeds: int | None = None  # repeats per combination, when asked for (statistics then)
    same_split: bool = False  # the data set's own seed kept when repeating seeds

    @property
    def groups(self) -> list[str]:
        """The combinations' labels, in plan order (each once, however many seeds it has)."""
        return list(dict.fromkeys(run.group for run in self.runs))

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
    """A finished comparison: the plan, each run's outcome (in plan order), the table, and
    with repeated seeds the statistics per combination (ranked by ``metric``) and tuning."""

    plan: Plan
    outcomes: list[RunOutcome]
    rows: list[dict[str, Any]]
    directory: Path
    target: float | None = None
    wall_seconds: float = 0.0
    jobs: int = 1
    summaries: list[GroupSummary] = field(default_factory=list)
    metric: str | None = None
    overlapping: dict[str, list[str]] = field(default_factory=dict)
    tuned: list[Tuned] = field(default_factory=list)


# ---------------------------------------------------------------- planning


def split_values(option: str, text: str) -> list[str]:
    """The alternatives in one option's value: comma-separated (';' for ``hidden``), or a log
    range ``LOW:HIGH:COUNT`` (see :func:`log_range`)."""
    separator = HIDDEN_SEPARATOR if option == "hidden" else SEPARATOR
    if LOG_RANGE.match(text.strip()):
        return log_range(option, text.strip())
    values = [item.strip() for item in text.split(separator)]
    if option != "hidden" and any(not v for v in values):
        raise UsageError(f"--{option}: {text!r} has an empty item; give values like 'a{separator}b'")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise UsageError(f"--{option}: {repeated[0]!r} is listed more than once in {text!r}")
    return values


def log_range(option: str, text: str) -> list[str]:
    """``LOW:HIGH:COUNT`` as COUNT values spaced evenly on a log scale, both ends included
    (``1e-3:1:4`` -> 0.001, 0.01, 0.1, 1), each written with 6 significant digits.

    Whole-number ends (``10:1000:3``) give whole numbers, for options that count.
    """
    low_text, high_text, count_text = text.split(":")
    try:
        low, high, count = float(low_text), float(high_text), int(count_text)
    except ValueError:
        raise UsageError(f"--{option}: {text!r} is not a log range LOW:HIGH:COUNT of numbers "
                         "(like 1e-3:1:7)") from None
    if not (0 < low < high and math.isfinite(high)):
        raise UsageError(f"--{option}: {text!r} needs 0 < LOW < HIGH in LOW:HIGH:COUNT "
                         "(a log range)")
    if count < 2:
        raise UsageError(f"--{option}: {text!r} needs COUNT >= 2 in LOW:HIGH:COUNT")
    ratios = [index / (count - 1) for index in range(count)]
    values = [low * (high / low) ** ratio for ratio in ratios]
    values[-1] = high  # the end exactly, not its rounding through the power
    whole = all(WHOLE.match(end) for end in (low_text, high_text))
    shown = [str(round(v)) if whole else format(v, ".6g") for v in values]
    if len(set(shown)) < len(shown):
        raise UsageError(f"--{option}: {text!r} gives the same value twice; ask for fewer values")
    return shown


def plan_comparison(registry: Registry, config: Mapping[str, Any] | None,
                    options: Mapping[str, Any],
                    option_params: Mapping[str, Mapping[str, str]] | None = None, *,
                    seeds: int | None = None, same_split: bool = False) -> Plan:
    """Resolve and check the settings of every run, before anything trains.

    ``options`` are keyed by option name ('batch-size'), as for
    :func:`nnfw.settings.resolve_settings`; a string value lists alternatives
    (see :func:`split_values`). ``option_params`` (``--slot.key value``) may
    list alternatives too; each run gets the keys its plugins declare, and a
    key no run's plugin declares is a UsageError.

    ``seeds`` repeats every combination on that many seeds (see :func:`repeat_on_seeds`).
    """
    dimensions = _dimensions(options, option_params or {})
    if seeds is not None:
        _check_seeds_not_varied(dimensions)
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
        if any(run.group == label for run in runs):
            continue
        if seeds is None:
            runs.append(PlannedRun(label, varied, settings, label))
            continue
        runs.extend(repeat_on_seeds(PlannedRun(label, varied, settings, label), seeds, same_split,
                                    _resolver(registry, config, run_options, hyper)))
    _check_every_key_used(dimensions, offered)
    return Plan(runs, {name: dimensions[name] for name in varying}, seeds, same_split)


def repeat_on_seeds(run: PlannedRun, seeds: int, same_split: bool,
                    resolve: Callable[[dict[str, Any], dict[str, dict[str, Any]]], Settings]
                    ) -> list[PlannedRun]:
    """``run`` on ``seeds`` seeds: repeat ``i`` (from 0) adds ``i`` to the run's ``seed`` (the
    initial weights) and, unless ``same_split``, to its data set's ``seed`` where the data set
    declares one (its shuffle, split or generated points). ``resolve(options, params)``
    resolves the run's settings with those replaced, so bounds are checked as usual."""
    settings = run.settings
    dataset_seed = None if same_split else settings.params["dataset"].get("seed")
    repeats = []
    for repeat in range(seeds):
        params = ({} if dataset_seed is None else
                  {"dataset": {**settings.params["dataset"], "seed": dataset_seed + repeat}})
        repeated = resolve({"seed": settings.scalars["seed"] + repeat}, params)
        seed = repeated.scalars["seed"]
        label = f"seed={seed}" if run.label == "run" else f"{run.label}, seed={seed}"
        repeats.append(PlannedRun(label, run.varied, repeated, run.label, repeat))
    return repeats


def _resolver(registry: Registry, config: Mapping[str, Any] | None, options: Mapping[str, Any],
              params: Mapping[str, Mapping[str, Any]]
              ) -> Callable[[dict[str, Any], dict[str, dict[str, Any]]], Settings]:
    """Resolve one run's settings with some options and hyperparameters replaced."""
    return lambda more_options, more_params: resolve_settings(
        registry, config, {**options, **more_options}, {**params, **more_params})


def _check_seeds_not_varied(dimensions: Mapping[str, list[str]]) -> None:
    """--seeds sets the seeds itself: a UsageError when a seed is also among the varied options."""
    for option in ("seed", "dataset.seed"):
        if len(dimensions.get(option, ())) > 1:
            raise UsageError(f"--{option}: {SEPARATOR.join(dimensions[option])!r} lists seeds, but "
                             f"--seeds sets them (from the first: S, S+1, ...); give one --{option}")


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
            target: float | None = None, seeds: int | None = None, same_split: bool = False,
            tune_option: str | None = None, by: str | None = None,
            on_start: Callable[[Plan, Path], None] | None = None,
            on_done: Callable[[RunOutcome, int, int], None] | None = None) -> Comparison:
    """Plan, run and record a comparison in a new directory under the ``out`` setting.

    The directory holds each run's own directory, ``table.csv``, ``table.md``,
    ``comparison.json``, ``loss.png`` and (when runs have test accuracy)
    ``accuracy.png``. ``on_start(plan, directory)`` is called before the first run.

    ``seeds`` repeats each combination on that many seeds (``same_split`` keeps the
    data set's seed) and adds the statistics per combination; ``tune_option`` picks its
    best value per combination of the other varied options, by the median of ``by``
    (see :data:`nnfw.spreads.TUNABLE_BY`; the test loss where there is one, else the
    loss, when not given), and draws ``sensitivity.png``. Tuning implies statistics.
    """
    if tune_option is not None and seeds is None:
        seeds = 1
    _check_ranking(by, target)
    plan = plan_comparison(registry, config, options, option_params, seeds=seeds, same_split=same_split)
    _check_tuned(tune_option, plan)
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
    if plan.seeds is not None:
        _add_statistics(result, tune_option, by)
    write_comparison(result)
    return result


def _check_ranking(by: str | None, target: float | None) -> None:
    """A UsageError for a ``--by`` metric nnfw cannot rank by here."""
    if by is not None and by not in TUNABLE_BY:
        raise UsageError(unknown_name_message("--by: unknown metric", by, TUNABLE_BY))
    if by == "target_epoch" and target is None:
        raise UsageError("--by target_epoch: give --target ACCURACY too (the accuracy to reach)")


def _check_tuned(option: str | None, plan: Plan) -> None:
    """A UsageError unless the tuned option is one the comparison varies."""
    if option is not None and option not in plan.varied:
        varied = ", ".join(plan.varied) or "nothing"
        raise UsageError(f"--tune: {option!r} is not varied in this comparison (varied: {varied}); "
                         f"give it several values, e.g. --{option} 1e-3:1:7")


def _add_statistics(result: Comparison, tune_option: str | None, by: str | None) -> None:
    """The statistics per combination, the overlaps of the ranking metric, and the tuning."""
    groups: dict[str, list[dict[str, Any]]] = {}
    varied: dict[str, dict[str, Any]] = {}
    for run, row in zip(result.plan.runs, result.rows, strict=True):
        groups.setdefault(run.group, []).append(row)
        varied[run.group] = run.varied
    result.summaries = summarize(groups, varied)
    metric = by or default_metric(result.summaries)
    if not all(metric in s.spreads for s in result.summaries):
        warnings.warn(f"--by {metric}: not every run has a {METRICS[metric].label}; ranking by "
                      "the final loss", NnfwWarning, stacklevel=3)
        metric = "loss"
    result.metric = metric
    compared = result.summaries
    if tune_option is not None:
        result.tuned = tune(result.summaries, tune_option, metric)
        best = {t.winner.group for t in result.tuned if t.winner is not None}
        compared = [s for s in result.summaries if s.group in best]  # each at its best value
    result.overlapping = overlaps(compared, metric)


def write_comparison(result: Comparison) -> None:
    """Write the table (CSV, markdown), ``comparison.json`` and the figures."""
    from nnfw.plots import plot_comparison

    directory = result.directory
    write_csv(directory / "table.csv", result.rows)
    saved: dict[str, Any] = {
        "title": result.plan.title, "varied": result.plan.varied, "target": result.target,
        "jobs": result.jobs, "wall_seconds": round(result.wall_seconds, 4), "runs": result.rows}
    diverged = [o.label for o in result.outcomes if o.divergence is not None]
    _write_hparams(result)
    if result.plan.seeds is None:
        header, cells = display_table(result.rows, result.target)
        write_atomic(directory / "table.md", markdown_table(header, cells))
        write_json(directory / "comparison.json", saved)
        plot_comparison({o.label: o.history.rows() for o in result.outcomes}, directory / "loss.png",
                        directory / "accuracy.png", result.plan.title, diverged=diverged)
        return
    from nnfw.spread_plots import plot_bands, plot_sensitivity
    from nnfw.spread_report import statistics_table

    header, cells = statistics_table(result.summaries)
    write_atomic(directory / "table.md", markdown_table(header, cells))
    write_json(directory / "comparison.json", {**saved, **statistics_json(result)})
    histories: dict[str, list[History]] = {}
    for run, outcome in zip(result.plan.runs, result.outcomes, strict=True):
        histories.setdefault(run.group, []).append(outcome.history)
    title = f"{result.plan.title}, {result.plan.seeds} seeds"
    plot_bands(histories, directory / "loss.png", directory / "accuracy.png", title)
    if result.tuned:
        plot_sensitivity(result.tuned, directory / "sensitivity.png", title)


def _write_hparams(result: Comparison) -> None:
    """The runs for TensorBoard's HParams dashboard: varied options, seeds, final metrics."""
    from nnfw.hparams import METRIC_TAGS, hparam_values, write_hparams

    runs = [(outcome.run_dir, hparam_values(
        run.varied, run.settings.scalars["seed"] if run.repeat is not None else None))
        for run, outcome in zip(result.plan.runs, result.outcomes, strict=True) if outcome.run_dir]
    columns = {name for outcome in result.outcomes for name in outcome.history.columns()}
    write_hparams(result.directory, runs, [tag for tag in METRIC_TAGS if tag in columns])


def statistics_json(result: Comparison) -> dict[str, Any]:
    """The statistics part of comparison.json (and of ``compare --json`` with seeds)."""
    return {"seeds": result.plan.seeds, "same_split": result.plan.same_split, "by": result.metric,
            "groups": [s.as_dict() for s in result.summaries],
            "overlapping": result.overlapping, "tuned": [t.as_dict() for t in result.tuned]}
