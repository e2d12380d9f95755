"""Start-up: what a command shows before TensorFlow loads, and which commands never load it.

``nnfw train`` on a terminal says what it is about to run before it imports TensorFlow, and
blanks that line before its progress or an error takes its place; piped, its output is as it
was (see test_progress). No timing is checked here: benchmarks/run.py measures it.
"""

from __future__ import annotations

import os
import pty
import selectors
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import heavy_imports

STATUS = "starting TensorFlow..."
IMPORTED = "<tensorflow is being imported>"
# ``python -c SPIED ARGS`` runs ``nnfw ARGS`` and writes IMPORTED on the terminal's stderr as
# TensorFlow's import begins (fd 2 itself is silenced then, so it goes to a copy of fd 2)
SPIED = f"""\
import os, runpy, sys
terminal = os.dup(2)
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow":
            os.write(terminal, b"{IMPORTED}")
            sys.meta_path.remove(self)
sys.meta_path.insert(0, Spy())
sys.argv = ["nnfw", *sys.argv[1:]]
runpy.run_module("nnfw", run_name="__main__", alter_sys=True)
"""


def on_a_terminal(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run ``python ARGS`` with stderr a pseudo-terminal; (exit code, stdout, stderr as written)."""
    reader, terminal = pty.openpty()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "200"}
    process = subprocess.Popen([sys.executable, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=terminal, env=env, cwd=cwd)
    os.close(terminal)
    assert process.stdout is not None
    piped = process.stdout.fileno()
    chunks: dict[int, bytearray] = {piped: bytearray(), reader: bytearray()}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select(timeout=300):
                try:
                    chunk = os.read(key.fd, 65536)
                except OSError:  # the terminal's other end closed
                    chunk = b""
                if not chunk:
                    selector.unregister(key.fd)
                chunks[key.fd].extend(chunk)
    code = process.wait(timeout=300)
    os.close(reader)
    process.stdout.close()
    return (code, chunks[piped].decode(errors="replace"),
            chunks[reader].decode(errors="replace").replace("\r\n", "\n"))


def screen(written: str) -> list[str]:
    """The non-blank lines a terminal shows for ``written`` (``\\r`` returns to the line's start,
    and what follows overwrites it)."""
    lines = []
    for line in written.split("\n"):
        cells: list[str] = []
        column = 0
        for char in line:
            if char == "\r":
                column = 0
                continue
            cells[column:column + 1] = [char]
            column += 1
        if "".join(cells).strip():
            lines.append("".join(cells).rstrip())
    return lines


def test_train_on_a_terminal_says_what_runs_before_tensorflow_is_imported(tmp_path: Path) -> None:
    code, out, err = on_a_terminal("-c", SPIED, "train", "--epochs", "2", "--out", str(tmp_path / "runs"),
                                   cwd=tmp_path)
    assert code == 0, err[-2000:]
    status = err.index(f"\rnnfw: training iris with sgd, lr 0.1, 2 epochs; {STATUS}")
    assert status < err.index(IMPORTED)
    shown = screen(err.replace(IMPORTED, ""))
    assert STATUS not in "\n".join(shown)  # blanked: the progress took its place
    assert shown[0].startswith("2/2 epochs "), shown  # the progress line, as training ended
    assert "run saved in " in out


def test_an_error_after_tensorflow_loads_leaves_one_line_on_the_terminal(tmp_path: Path) -> None:
    code, out, err = on_a_terminal("-m", "nnfw", "train", "--batch-size", "1000", "--epochs", "1",
                                   "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert code == 2 and out == "", err
    assert STATUS in err  # it was shown while TensorFlow started
    (line,) = screen(err)
    assert line.startswith("nnfw: error: ") and "batch" in line, err


def test_train_with_json_shows_no_status_line(tmp_path: Path) -> None:
    code, out, err = on_a_terminal("-m", "nnfw", "train", "--epochs", "1", "--json",
                                   "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert code == 0 and out.lstrip().startswith("{"), err
    assert STATUS not in err


@pytest.mark.parametrize("args", [["complexity", "--inputs", "4", "--hidden", "16", "--outputs", "3"],
                                  ["plot", "--help"], ["train", "--help"], ["compare", "--help"]])
def test_commands_that_only_describe_import_no_tensorflow(args: list[str]) -> None:
    printed, heavy = heavy_imports(*args)
    assert printed.strip() and not heavy & {"tensorflow", "keras", "matplotlib"}
