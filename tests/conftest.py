"""Shared fixtures: quiet TensorFlow, planted plugin distributions, running the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
LOGICAL_CPUS = 2  # the CPU split in two, so tf.distribute tests have two replicas on one machine
LECTURE_FOLDER = "nnfw_lecture_code"  # the key under which xdist workers get its folder
ROWS, FAILED = "rows.jsonl", "failed.txt"  # in that folder: the closing table; a traceback


def pytest_configure(config: pytest.Config) -> None:
    """Split the CPU into logical devices before any test starts TensorFlow (possible only then)."""
    from nnfw.training.quiet import native_stderr_silenced

    with native_stderr_silenced():  # TensorFlow's start-up lines, before pytest's first line
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(LOGICAL_CPUS)])
    if hasattr(config, "workerinput"):
        folder = config.workerinput.get(LECTURE_FOLDER)
        _LectureCode.folder = Path(folder) if folder else None
    elif _distributed(config) and _lecture_tests_asked_for(config):
        _LectureCode.start()  # before the workers start, so that they learn its folder


class _LectureCode:
    """The lecture's own code (``lecture_code.py``), run as a script beside the other tests.

    One process owns it: pytest's own, or with pytest-xdist the controller, which hands the
    folder of results to its workers. The rows of the closing table go to a file there, so
    that the owner prints every worker's rows.
    """

    process: subprocess.Popen[str] | None = None
    folder: Path | None = None
    rows: ClassVar[list[list[str]]] = []

    @classmethod
    def start(cls) -> None:
        cls.folder = Path(tempfile.mkdtemp(prefix="nnfw-lecture-code-"))
        cls.process = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "lecture_code.py"), str(cls.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})

    @classmethod
    def failure(cls) -> str | None:
        """What stopped the lecture's code early (its traceback), or None while it is fine."""
        failed = cls.folder / FAILED if cls.folder is not None else None
        if failed is not None and failed.exists():
            return failed.read_text()
        if cls.process is not None and cls.process.poll() is not None:
            return f"it exited with status {cls.process.returncode}"
        return None


def _distributed(config: pytest.Config) -> bool:
    """Whether pytest-xdist spreads the tests over workers (this process is their controller)."""
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


def _lecture_tests_asked_for(config: pytest.Config) -> bool:
    """Whether the paths given include test_lecture.py (a controller does not collect tests)."""
    paths = [Path(arg.split("::")[0]).resolve() for arg in config.args] or [REPO / "tests"]
    lecture = REPO / "tests" / "test_lecture.py"
    return any(path == lecture or path in lecture.parents for path in paths)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, in the controller: tell each worker where the lecture's code writes."""
    if _LectureCode.folder is not None:
        node.workerinput[LECTURE_FOLDER] = str(_LectureCode.folder)


# Test files that keep a worker busy for minutes, with rough seconds each (alone, -n 0). With
# pytest-xdist they start first, dealt out so that each worker's share of them is about even:
# no long test is left to make a tail at the end of the run, and a module's fixture is built
# once (work stealing takes tests from the end of a worker's queue)
SLOW_FILES = {"test_resume.py": 220, "test_multi_worker.py": 190, "test_cli.py": 160,
              "test_scaffold.py": 150, "test_benchmarks_quick.py": 130, "test_testing_kit.py": 80}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker: order the tests so that every worker's first share of them
    (the scheduler hands out equal shares in this order) starts with its part of SLOW_FILES."""
    workers = int(config.workerinput["workercount"]) if hasattr(config, "workerinput") else 1
    if workers > 1:
        items[:] = _slow_files_first(items, workers)


def _slow_files_first(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """``items`` as one share per worker, the shares as long as the scheduler makes them:
    the slow files dealt out heaviest first to the lightest share, then the other tests in
    their own order."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.path.name, []).append(item)
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for name in sorted(set(files) & set(SLOW_FILES), key=SLOW_FILES.__getitem__, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].extend(files[name])
        loads[lightest] += SLOW_FILES[name]
    rest = iter([item for name, group in files.items() if name not in SLOW_FILES for item in group])
    left = len(items)
    for index, share in enumerate(shares):
        size = left // (workers - index)  # what the scheduler sends this share's worker
        share.extend(item for _, item in zip(range(size - len(share)), rest, strict=False))
        left -= len(share)
    shares[-1].extend(rest)
    return [item for share in shares for item in share]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the lecture's code in the background when lecture tests are going to run."""
    if hasattr(session.config, "workerinput") or _LectureCode.folder is not None:
        return
    if any(item.path.name == "test_lecture.py" for item in session.items):
        _LectureCode.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the process that owns it: stop the lecture's code if it still runs (a partial test
    run), keep the closing table's rows and remove its results."""
    if hasattr(session.config, "workerinput") or _LectureCode.folder is None:
        return
    if _LectureCode.process is not None and _LectureCode.process.poll() is None:
        _LectureCode.process.kill()
        _LectureCode.process.wait()
    rows = _LectureCode.folder / ROWS
    if rows.exists():
        _LectureCode.rows = [json.loads(line) for line in rows.read_text().splitlines()]
    shutil.rmtree(_LectureCode.folder, ignore_errors=True)


def lecture_result(name: str, timeout: float = 3000) -> Any:
    """The result of the lecture's code for experiment ``name`` (a ``lecture_code.LectureRun``),
    waiting for the background run to reach it."""
    import lecture_code

    assert _LectureCode.folder is not None, "the lecture's code was not started"
    path = _LectureCode.folder / f"{name}.npz"
    deadline = time.monotonic() + timeout
    while not path.exists():
        failure = _LectureCode.failure()
        if failure is not None and not path.exists():
            raise AssertionError(f"the lecture's code stopped before {name!r}:\n{failure}")
        assert time.monotonic() < deadline, f"the lecture's code took too long to reach {name!r}"
        time.sleep(0.1)
    return lecture_code.load(path)


def record_lecture_row(experiment: str, ours: str, theirs: str, deviation: float,
                       note: str = "") -> None:
    """Add a row to the closing table of lecture experiments (nnfw against the lecture's code)."""
    text = "0 (bit-identical)" if deviation == 0 else f"{deviation:.2g}"
    assert _LectureCode.folder is not None
    with open(_LectureCode.folder / ROWS, "a", encoding="utf-8") as rows:  # one short line: atomic
        rows.write(json.dumps([experiment, ours, theirs, text + (f"; {note}" if note else "")]) + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After the run: each lecture experiment, what nnfw and the lecture's code gave here."""
    if not _LectureCode.rows:
        return
    terminalreporter.section("the lecture's experiments: nnfw against the lecture's code, here")
    header = ("experiment", "nnfw", "lecture's code", "largest deviation")
    rows = [header, *sorted(_LectureCode.rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        terminalreporter.write_line("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
                                    + "  " + row[3])


def plant_distribution(root: Path, dist: str, modules: dict[str, str],
                       entry_points: dict[str, str]) -> Path:
    """Lay out an installed-looking distribution under ``root`` (put it on PYTHONPATH to use it).

    ``modules`` maps module names to source; ``entry_points`` maps plugin names
    to ``module`` or ``module:attr`` in the ``nnfw`` group.
    """
    root.mkdir(parents=True, exist_ok=True)
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[nnfw]\n{lines}\n")
    return root


def pip_install(source: Path, target: Path) -> dict[str, str]:
    """Install the package in ``source`` into ``target`` (no dependencies, no build isolation);
    return the environment (PYTHONPATH) under which it is installed."""
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(source)],
        capture_output=True, text=True, check=False, cwd=source.parent)
    assert install.returncode == 0, install.stderr
    return {"PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}


HEAVY_MODULES = ("tensorflow", "keras", "sklearn", "matplotlib", "numpy")


def heavy_imports(*args: str) -> tuple[str, set[str]]:
    """Run nnfw's main with ``args`` in a fresh interpreter (it must exit with status 0);
    return what it printed and which of :data:`HEAVY_MODULES` it imported."""
    code = ("import sys\nfrom nnfw.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            f"print('HEAVY', ','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True)
    printed, _, heavy = done.stdout.rpartition("HEAVY ")
    return printed, set(filter(None, heavy.strip().split(",")))


def run_nnfw(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nnfw ARGS`` in a fresh process and capture its output."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run([sys.executable, "-m", "nnfw", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout, check=False)


@pytest.fixture
def broken_plugin_env(tmp_path: Path) -> dict[str, str]:
    """PYTHONPATH with an installed-looking plugin 'broken-lion' whose module raises on import."""
    root = plant_distribution(
        tmp_path / "site", "nnfw-broken-lion",
        {"broken_lion": "raise RuntimeError('this plugin is broken on purpose')\n"},
        {"broken-lion": "broken_lion"})
    return {"PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
