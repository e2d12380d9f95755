"""Running a comparison's planned runs, one after another in this process or in worker
processes (``--jobs``); the numbers do not depend on which."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnfw.compare_plan import Plan, PlannedRun
from nnfw.divergence import Divergence
from nnfw.errors import NnfwError
from nnfw.history import History
from nnfw.registry import Registry

WORKER_THREADS = 1  # TensorFlow inter- and intra-op threads per worker process


@dataclass
class RunOutcome:
    """What one run of a comparison produced (small and picklable, unlike a RunResult)."""

    label: str
    history: History
    divergence: Divergence | None
    train_seconds: float
    run_dir: Path | None


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
        from nnfw.plan import start_strategy
        from nnfw.quiet import import_tensorflow_quietly

        # every run's strategy first: one may split the CPU, possible only before it starts
        import_tensorflow_quietly(lambda: [start_strategy(run.settings)
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
    from nnfw.api import plugins_used
    from nnfw.errors import strict_plugins

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                               initargs=(stop, plugins_used(), strict_plugins()))
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


def _start_worker(stop: Any, plugins: dict[str, str], strict: bool) -> None:
    """In a spawned worker: the plugins loaded as the main process loads them (``plugins``:
    see :func:`nnfw.api.plugins_used`; ``strict``), TensorFlow imported quietly, limited to
    ``WORKER_THREADS`` threads.

    Ctrl-C reaches the whole process group: an idle worker ignores it, and a
    training one stops after its current chunk with everything saved (as
    :func:`nnfw.runner.run_training` does), while the main process stops waiting.
    """
    import os
    import signal

    from nnfw.api import use_plugins
    from nnfw.errors import use_strict_plugins
    from nnfw.quiet import native_stderr_silenced

    global _stop
    _stop = stop
    use_plugins(**plugins)
    use_strict_plugins(strict)
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
