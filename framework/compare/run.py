"""Running a comparison's planned runs, one after another in this process or in worker
processes (``--jobs``); the numbers do not depend on which."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnfw.compare.plan import Plan, PlannedRun
from nnfw.errors import NnfwError
from nnfw.plugin.registry import Registry
from nnfw.training.divergence import Divergence
from nnfw.training.history import History

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
    other error stops the comparison: an nnfw error of its own class and exit code
    (so ``nnfw compare`` passes on the failed run's code), its message naming the run.
    """
    if min(jobs, len(plan.runs)) <= 1:
        return _run_here(plan, registry, out, on_done)
    return _run_in_workers(plan, out, jobs, on_done)


def _run_here(plan: Plan, registry: Registry, out: str | Path,
              on_done: Callable[[RunOutcome, int, int], None] | None) -> list[RunOutcome]:
    """The runs one after another in this process."""
    from nnfw.training.plan import start_strategy
    from nnfw.training.quiet import import_tensorflow_quietly

    # every run's strategy first: one may split the CPU, possible only before it starts
    strategies = import_tensorflow_quietly(lambda: [start_strategy(run.settings)
                                                    for run in plan.runs])
    outcomes = []
    for run, strategy in zip(plan.runs, strategies or [], strict=True):
        with _naming(run):
            outcomes.append(train_planned(run, registry, out, strategy))
        if on_done:
            on_done(outcomes[-1], len(outcomes), len(plan.runs))
    return outcomes


def _run_in_workers(plan: Plan, out: str | Path, jobs: int,
                    on_done: Callable[[RunOutcome, int, int], None] | None) -> list[RunOutcome]:
    """The runs in ``jobs`` spawned worker processes (fewer for fewer runs)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from nnfw.api import plugins_used
    from nnfw.errors import strict_plugins

    total = len(plan.runs)
    outcomes: list[RunOutcome | None] = [None] * total
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    pool = ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=context,
                               initializer=_start_worker,
                               initargs=(stop, plugins_used(), strict_plugins()))
    try:
        futures = {pool.submit(_train_in_worker, run, str(out)): i for i, run in enumerate(plan.runs)}
        for finished, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            with _naming(plan.runs[index]):
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


@contextlib.contextmanager
def _naming(run: PlannedRun) -> Iterator[None]:
    """An nnfw error raised by ``run``, its message naming the run (its class, exit code and
    other attributes kept). Named here, in the main process: what crosses from a worker
    is the error as training raised it."""
    try:
        yield
    except NnfwError as exc:
        exc.args = (f"run {run.label!r}: {exc}",)
        raise


def train_planned(run: PlannedRun, registry: Registry, out: str | Path,
                  strategy: Any = None) -> RunOutcome:
    """Train one planned run in this process, its run directory under ``out``, under
    ``strategy`` when it was started already (see :func:`nnfw.training.plan.start_strategy`)."""
    from nnfw.training.runner import run_training

    result = run_training(run.settings, registry, out=out, strategy=strategy)
    return RunOutcome(run.label, result.history, result.divergence, result.train_seconds,
                      result.run_dir)


_stop: Any = None  # in a worker process: the comparison's stop event, set when a run fails


def _start_worker(stop: Any, plugins: dict[str, str], strict: bool) -> None:
    """In a spawned worker: the plugins loaded as the main process loads them (``plugins``:
    see :func:`nnfw.api.plugins_used`; ``strict``), TensorFlow imported quietly, limited to
    ``WORKER_THREADS`` threads.

    Ctrl-C reaches the whole process group: an idle worker ignores it, and a
    training one stops after its current chunk with everything saved (as
    :func:`nnfw.training.runner.run_training` does), while the main process stops waiting.
    """
    import os
    import signal

    from nnfw.api import use_plugins
    from nnfw.errors import use_strict_plugins
    from nnfw.training.quiet import native_stderr_silenced

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
        raise NnfwError("not started, the comparison stopped")
    try:
        return train_planned(run, registry(), out)
    except BaseException as exc:
        if _stop is not None:
            _stop.set()  # before this worker takes another run
        if isinstance(exc, NnfwError):
            raise _portable(exc) from None
        raise


def _portable(exc: NnfwError) -> NnfwError:
    """``exc`` as it can cross to the main process: itself where pickling rebuilds it (its
    class kept), else an :class:`NnfwError` with its message and exit code."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # a constructor that takes more than the message, without __reduce__
        error = NnfwError(str(exc))
        error.exit_code = exc.exit_code
        return error
    return exc
