"""Shared fixtures: quiet TensorFlow, planted plugin distributions, running the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
LOGICAL_CPUS = 2  # the CPU split in two, so tf.distribute tests have two replicas on one machine
_LECTURE_ROWS: list[tuple[str, str, str, str]] = []


def pytest_configure(config: pytest.Config) -> None:
    """Split the CPU into logical devices before any test starts TensorFlow (possible only then)."""
    from nnfw.quiet import native_stderr_silenced

    with native_stderr_silenced():  # TensorFlow's start-up lines, before pytest's first line
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(LOGICAL_CPUS)])


class _LectureCode:
    """The lecture's own code (``lecture_code.py``), run as a script beside the other tests."""

    process: subprocess.Popen[str] | None = None
    folder: Path | None = None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the lecture's code in the background when lecture tests are going to run."""
    if not any(item.path.name == "test_lecture.py" for item in session.items):
        return
    _LectureCode.folder = Path(tempfile.mkdtemp(prefix="nnfw-lecture-code-"))
    _LectureCode.process = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "lecture_code.py"), str(_LectureCode.folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the lecture's code if it still runs (a partial test run) and remove its results."""
    if _LectureCode.process is not None and _LectureCode.process.poll() is None:
        _LectureCode.process.kill()
        _LectureCode.process.communicate()
    if _LectureCode.folder is not None:
        shutil.rmtree(_LectureCode.folder, ignore_errors=True)


def lecture_result(name: str, timeout: float = 3000) -> Any:
    """The result of the lecture's code for experiment ``name`` (a ``lecture_code.LectureRun``),
    waiting for the background run to reach it."""
    import lecture_code

    assert _LectureCode.process is not None and _LectureCode.folder is not None
    path = _LectureCode.folder / f"{name}.npz"
    deadline = time.monotonic() + timeout
    while not path.exists():
        if _LectureCode.process.poll() is not None and not path.exists():
            raise AssertionError(f"the lecture's code stopped before {name!r}:\n"
                                 f"{_LectureCode.process.communicate()[1]}")
        assert time.monotonic() < deadline, f"the lecture's code took too long to reach {name!r}"
        time.sleep(0.1)
    return lecture_code.load(path)


def record_lecture_row(experiment: str, ours: str, theirs: str, deviation: float,
                       note: str = "") -> None:
    """Add a row to the closing table of lecture experiments (nnfw against the lecture's code)."""
    text = "0 (bit-identical)" if deviation == 0 else f"{deviation:.2g}"
    _LECTURE_ROWS.append((experiment, ours, theirs, text + (f"; {note}" if note else "")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After the run: each lecture experiment, what nnfw and the lecture's code gave here."""
    if not _LECTURE_ROWS:
        return
    terminalreporter.section("the lecture's experiments: nnfw against the lecture's code, here")
    header = ("experiment", "nnfw", "lecture's code", "largest deviation")
    rows = [header, *_LECTURE_ROWS]
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
