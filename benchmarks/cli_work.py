"""Start-up of the nnfw command line, per command, on small real work, as subprocesses.

Each command runs as ``sys.executable -m nnfw ...`` with its stdout a pipe and its stderr a
pseudo-terminal (what a person typing the command sees: nnfw shows some lines only on a
terminal). Measured per run: the wall time until the first visible output on either stream
(a line, or a terminal line drawn in place) and the total wall time. Once per command, before
the timed runs (so also a warm-up), a run under ``python -X importtime`` says whether
TensorFlow was imported and which top-level packages cost the most to import.

The past run that ``nnfw runs`` and ``nnfw show`` read is trained once, untimed, in a
temporary folder; the timed ``train`` and ``compare`` runs write there too.
"""

from __future__ import annotations

import os
import pty
import selectors
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sizes import Sizes
from timing import stats

TRAIN_EPOCHS = 3  # the timed train run: the default (lecture's iris) data set, this many epochs
COMPARE_EPOCHS = 2  # the timed compare: sgd against adam on the same data, this many epochs each
TOP_IMPORTS = 3  # the most expensive top-level packages shown per command
TIMEOUT = 300.0  # seconds a command may take before the work fails
PAST = "past"  # the folder of the past run (the profiled train's) that runs and show read
TRAIN = "nnfw train"  # the start of the train command's label


@dataclass(frozen=True)
class Command:
    """One command line to time: its label, its arguments after ``python``, and whether it
    only reads run directories or plots past results (the target wants no TensorFlow there)."""

    label: str
    args: tuple[str, ...]
    reads_runs: bool = False


def commands(folder: Path, past_run: str, repeat: int) -> list[Command]:
    """The commands of round ``repeat`` (0: the profiles); ``folder`` holds the past run
    ``past_run`` (under :data:`PAST`, which round 0's train writes), and each round's train
    and compare write under folders of their own."""
    past = str(folder / PAST)
    nnfw = ("-m", "nnfw")
    return [
        Command("python -c pass (bare interpreter, for scale)", ("-c", "pass")),
        Command("nnfw --help", (*nnfw, "--help")),
        Command("nnfw list-plugins", (*nnfw, "list-plugins")),
        Command("nnfw complexity --inputs 4 --hidden 16 --outputs 3",
                (*nnfw, "complexity", "--inputs", "4", "--hidden", "16", "--outputs", "3")),
        Command("nnfw runs (a folder of one past run)", (*nnfw, "runs", "--out", past), reads_runs=True),
        Command("nnfw show RUN (that past run)", (*nnfw, "show", past_run, "--out", past), reads_runs=True),
        Command("nnfw plot schedule exponential (draws the plugin's schedule)",
                (*nnfw, "plot", "schedule", "exponential", "--epochs", "20",
                 "-o", str(folder / f"schedule-{repeat}.png"))),
        Command(f"{TRAIN} --epochs {TRAIN_EPOCHS} (iris, the default)",
                (*nnfw, "train", "--epochs", str(TRAIN_EPOCHS),
                 "--out", past if repeat == 0 else str(folder / f"train-{repeat}"))),
        Command(f"nnfw compare --optimizer sgd,adam --epochs {COMPARE_EPOCHS} (2 runs)",
                (*nnfw, "compare", "--optimizer", "sgd,adam", "--epochs", str(COMPARE_EPOCHS),
                 "--out", str(folder / f"compare-{repeat}"))),
    ]


def environment() -> dict[str, str]:
    """The commands' environment: this one, with TensorFlow's native log at warnings and up."""
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def timed_run(args: tuple[str, ...], env: dict[str, str]) -> dict[str, Any]:
    """Seconds to the first visible output and to the end of one run, and that output's first line.

    stdout is a pipe, stderr a pseudo-terminal; both are read as the bytes arrive, and the
    first output is the first chunk with anything but blanks in it.
    """
    reader, terminal = pty.openpty()
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=terminal, env=env)
    os.close(terminal)
    assert process.stdout is not None
    piped = process.stdout.fileno()
    streams = {piped: bytearray(), reader: bytearray()}
    first: float | None = None
    first_text = ""
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            if time.perf_counter() - start > TIMEOUT:
                process.kill()
                raise RuntimeError(f"{' '.join(args)} took more than {TIMEOUT:g} s")
            for key, _ in selector.select(timeout=1.0):
                try:
                    chunk = os.read(key.fd, 65536)
                except OSError:  # the terminal's other end closed (EIO)
                    chunk = b""
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                if first is None and chunk.strip():
                    first = time.perf_counter() - start
                    first_text = first_line(chunk)
                streams[key.fd].extend(chunk)
    code = process.wait()
    total = time.perf_counter() - start
    os.close(reader)
    process.stdout.close()
    if code != 0:
        tail = bytes(streams[reader] or streams[piped]).decode(errors="replace")
        raise RuntimeError(f"{' '.join(args)} exited with {code}: {tail[-500:]}")
    return {"first_output": first, "total": total, "first_text": first_text}


def first_line(chunk: bytes) -> str:
    """The first non-blank line of some output, as a terminal shows it (``\\r`` redraws the line)."""
    text = chunk.decode(errors="replace").replace("\r\n", "\n")
    for line in text.split("\n"):
        shown = line.split("\r")
        visible = next((part for part in reversed(shown) if part.strip()), "")
        if visible.strip():
            return visible.strip()
    return ""


# ``python -X importtime -c PROFILED ARGS`` runs ``nnfw ARGS`` as ``-m nnfw`` does, with two
# changes for the profile only: TensorFlow's import is not silenced (the CLI sends fd 2, where
# -X importtime writes, to /dev/null while TensorFlow starts, which would hide its imports), and
# at exit a marker line on stdout says whether ``tensorflow`` is in ``sys.modules``.
PROFILED = """\
import atexit, contextlib, runpy, sys
import nnfw.training.quiet
nnfw.training.quiet.native_stderr_silenced = contextlib.nullcontext
atexit.register(lambda: print("\\n{marker}", "tensorflow" in sys.modules, flush=True))
sys.argv = ["nnfw", *sys.argv[1:]]
runpy.run_module("nnfw", run_name="__main__", alter_sys=True)
"""
MARKER = "NNFW-BENCHMARK-TENSORFLOW-IMPORTED"


def import_profile(args: tuple[str, ...], env: dict[str, str]) -> dict[str, Any]:
    """One run under ``-X importtime``: whether TensorFlow was imported, the total import
    time, and the top-level packages with the largest cumulative import time (nnfw itself,
    which holds every import of the command, left out). ``-m nnfw ARGS`` runs as
    :data:`PROFILED` says."""
    nnfw = args[:2] == ("-m", "nnfw")
    command = ("-c", PROFILED.format(marker=MARKER), *args[2:]) if nnfw else args
    done = subprocess.run([sys.executable, "-X", "importtime", *command], stdin=subprocess.DEVNULL,
                          capture_output=True, env=env, text=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} under -X importtime exited with {done.returncode}: "
                           f"{done.stderr[-500:]}")
    profile = profile_of(done.stderr)
    if nnfw:
        marked = [line.split() for line in done.stdout.splitlines() if line.startswith(MARKER)]
        if not marked:
            raise RuntimeError(f"{' '.join(args)} under -X importtime printed no {MARKER} line")
        profile["tensorflow"] = marked[-1][-1] == "True"
    return profile


def profile_of(text: str) -> dict[str, Any]:
    """What ``-X importtime`` wrote: ``tensorflow`` (imported or not), ``import_seconds``
    (the sum of the outermost imports), ``nnfw_seconds`` (nnfw's own modules, their imports
    apart) and ``top`` (``[package, seconds]`` pairs, cumulative, largest first)."""
    outermost = nnfw_own = 0
    packages: dict[str, int] = {}
    tensorflow = False
    for line in text.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header line
        own, cumulative, raw = int(parts[0]), int(parts[1]), parts[2].rstrip()
        name = raw.strip()
        depth = (len(raw) - len(raw.lstrip()) - 1) // 2
        if depth == 0:
            outermost += cumulative
        top = name.split(".")[0]
        tensorflow = tensorflow or top == "tensorflow"
        if top == "nnfw":
            nnfw_own += own
        if "." not in name and name != "nnfw":
            packages[name] = max(packages.get(name, 0), cumulative)
    ranked = sorted(packages.items(), key=lambda item: -item[1])[:TOP_IMPORTS]
    return {"tensorflow": tensorflow, "import_seconds": outermost / 1e6, "nnfw_seconds": nnfw_own / 1e6,
            "top": [[name, microseconds / 1e6] for name, microseconds in ranked]}


def run(sizes: Sizes, broken: bool = False) -> dict[str, Any]:
    """Per command: first output and total seconds of ``sizes.cli_repeats`` interleaved runs
    (median, min, max), and its import profile. The profiles run first, train's before the
    others: the run it writes is the past run that runs and show read."""
    env = environment()
    with tempfile.TemporaryDirectory(prefix="nnfw-bench-cli-") as name:
        folder = Path(name)
        first = commands(folder, "", repeat=0)
        trainer = next(i for i, c in enumerate(first) if c.label.startswith(TRAIN))
        profiles = {trainer: import_profile(first[trainer].args, env)}
        run_name = past_run_name(folder)
        listed = commands(folder, run_name, repeat=0)
        profiles.update({i: import_profile(c.args, env) for i, c in enumerate(listed) if i != trainer})
        runs: list[list[dict[str, Any]]] = [[] for _ in listed]
        for repeat in range(1, sizes.cli_repeats + 1):
            for rows, command in zip(runs, commands(folder, run_name, repeat), strict=True):
                rows.append(timed_run(command.args, env))
    rows = []
    for index, (command, measured) in enumerate(zip(listed, runs, strict=True)):
        profile = profiles[index]
        totals = [m["total"] for m in measured]
        firsts = [m["first_output"] for m in measured if m["first_output"] is not None]
        rows.append({"command": command.label, "reads_runs": command.reads_runs, "seconds": totals,
                     **stats(totals),
                     "first_output": {"seconds": firsts, **stats(firsts)} if firsts else None,
                     "first_text": measured[-1]["first_text"],
                     "tensorflow": profile["tensorflow"], "import_seconds": profile["import_seconds"],
                     "nnfw_import_seconds": profile["nnfw_seconds"],
                     "top_imports": profile["top"]})
    return {"work": "cli", "train_epochs": TRAIN_EPOCHS, "compare_epochs": COMPARE_EPOCHS,
            "repeats": sizes.cli_repeats, "commands": rows}


def past_run_name(folder: Path) -> str:
    """The name of the run that the first (profiled) train wrote, which runs and show read."""
    found = sorted(p.name for p in (folder / PAST).glob("*") if (p / "summary.json").exists())
    if len(found) != 1:
        raise RuntimeError(f"expected the one past run under {folder / PAST}, found {found}")
    return found[0]
