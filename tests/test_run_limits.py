"""Limits and late faults (issue 17): one writer per run, signals during the final writes,
a full disk, a model too big for memory, and resumed runs that say what they became."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from test_bad_input import one_error_line
from test_cli import cli

import nnfw
import nnfw.config.resolve
from nnfw.rundirs.history_log import ROW_BYTES
from nnfw.rundirs.rundir import CHECKPOINT, HISTORY_LOG, LOCK, SUMMARY, run_lock
from nnfw.training import runner
from nnfw.training.checkpoint import saved_epochs

YOGURT = {"dataset": "yogurt", "loss": "mse", "xla": False}


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return nnfw.train(epochs=2, out=str(tmp_path / "runs"), **YOGURT).run_dir


def hidden_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != LOCK)


def test_a_second_writer_of_a_run_gets_one_line_naming_the_holder(
        capsys: pytest.CaptureFixture[str], run: Path) -> None:
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    with run_lock(run):  # another nnfw resuming this run, as far as the second one can tell
        message = one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "4"),
                                 f"{run} is being written by process {os.getpid()}")
        assert "wait for it to end" in message
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before
    code, _, err = cli(capsys, "train", "--resume", str(run), "--epochs", "4")  # released
    assert code == 0, err


def test_the_lock_file_is_never_followed_as_a_link(tmp_path: Path, run: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (run / LOCK).unlink()
    (run / LOCK).symlink_to(victim)
    with pytest.raises(nnfw.UsageError, match="cannot hold the run for writing"):
        nnfw.train(resume=str(run), epochs=4)
    assert victim.read_text() == "keep me\n"


def test_sigterm_during_the_final_writes_finishes_them_then_stops(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = runner.write_run

    def signalled_write(result: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the run is being written
        original(result)

    monkeypatch.setattr(runner, "write_run", signalled_write)
    code, _, err = cli(capsys, "train", "--epochs", "3", "--out", str(tmp_path), "--xla", "false")
    assert code == 143, err
    assert "interrupted by SIGTERM after epoch 2; everything is saved" in err
    (written,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert json.loads((written / SUMMARY).read_text())["epochs_run"] == 3
    assert hidden_files(written) == []  # no temporary file left behind


def test_a_full_disk_is_one_line_naming_the_file_and_the_checkpoint_survives(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = runner.write_run

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def write_on_a_full_disk(result: Any) -> None:
        monkeypatch.setattr("nnfw.rundirs.rundir.os.fsync", full_disk)
        original(result)

    monkeypatch.setattr(runner, "write_run", write_on_a_full_disk)
    code, _, err = cli(capsys, "train", "--epochs", "3", "--out", str(tmp_path), "--xla", "false",
                       "--json")
    (written,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    message = one_error_line((code, "", err), "No space left on device", "written before are intact",
                             exit_code=1)
    assert str(written / "history.csv") in message
    assert hidden_files(written) == [] and saved_epochs(written) == 3
    monkeypatch.undo()
    assert nnfw.train(resume=str(written), epochs=5).history.epochs_run == 5


def test_a_model_too_big_for_the_memory_left_is_one_line_before_anything_is_built(
        tmp_path: Path) -> None:
    limit = 12 << 30

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run([sys.executable, "-m", "nnfw", "train", "--hidden", "100000000",
                           "--epochs", "1", "--out", str(tmp_path / "runs")],
                          capture_output=True, text=True, preexec_fn=cap_memory, timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-3000:]
    assert "needs about" in lines[0] and "GiB are available" in lines[0]
    assert "800,000,003 parameters" in lines[0]  # iris: 4 inputs, 1e8 hidden units, 3 outputs
    assert not (tmp_path / "runs").exists()


def test_a_data_file_too_big_to_read_is_one_line_before_it_is_read(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    from nnfw.training import memory
    from nnfw_plugins.datasets import csv_file

    big = tmp_path / "big.csv"
    with big.open("wb") as sparse:  # 2 GiB that take no disk
        sparse.write(b"a,b,label\n")
        sparse.truncate(2 << 30)
    monkeypatch.setattr(memory, "available_bytes", lambda: 3 << 30)
    monkeypatch.setattr(csv_file, "read_table", lambda *args, **kwargs: pytest.fail("read"))
    one_error_line(cli(capsys, "train", "--dataset", "csv", "--dataset.path", str(big),
                       "--out", str(tmp_path / "runs")),
                   "dataset.path:", "holds 2.0 GiB", "needs about 6.0 GiB of memory",
                   "3.0 GiB are available", "smaller file")
    assert not (tmp_path / "runs").exists()


def test_a_run_too_long_for_its_history_to_fit_is_one_line(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    one_error_line(cli(capsys, "train", "--epochs", "2147483647", "--out", str(tmp_path / "r")),
                   "epochs: 2,147,483,647 epochs need about", "for their history", "fewer --epochs")
    assert not (tmp_path / "r").exists()


def test_a_resumed_run_says_its_new_target_and_is_unfinished_until_it_ends(
        capsys: pytest.CaptureFixture[str], run: Path) -> None:
    settings = nnfw.config.resolve.resume_settings(nnfw.registry(), run, {"epochs": 50})

    def killed(history: Any) -> None:
        if history.epochs_run >= 10:
            raise RuntimeError("killed")  # stands for a SIGKILL: nothing after this point runs

    with pytest.raises(nnfw.NnfwError, match="RuntimeError: killed"):
        runner.run_training(settings, nnfw.registry(), resume=run, on_chunk=killed)
    assert tomllib.loads((run / "settings.toml").read_text())["epochs"] == 50
    assert not (run / SUMMARY).exists() and (run / CHECKPOINT).exists()
    code, table, _ = cli(capsys, "runs", "--out", str(run.parent))
    assert code == 0 and "unfinished" in table and "finished " not in table
    code, _, err = cli(capsys, "train", "--resume", str(run))  # the new target, from its settings
    assert code == 0, err
    assert json.loads((run / SUMMARY).read_text())["epochs_run"] == 50


def test_a_checkpoint_does_not_grow_with_the_run(tmp_path: Path) -> None:
    """What a save writes is the state and the epochs since the last save: a long run's
    checkpoints cost what a short run's do (the history file only grows by its new rows)."""
    sizes = {}
    for epochs in (2, 3000):
        run = nnfw.train(epochs=epochs, out=str(tmp_path / str(epochs)), **YOGURT).run_dir
        sizes[epochs] = (run / CHECKPOINT).stat().st_size
        assert (run / HISTORY_LOG).stat().st_size == epochs * ROW_BYTES
    assert abs(sizes[3000] - sizes[2]) < 64, sizes  # only the JSON's numbers grow a digit


def test_two_resumes_of_one_run_in_two_processes(capsys: pytest.CaptureFixture[str], run: Path) -> None:
    first = subprocess.Popen([sys.executable, "-m", "nnfw", "train", "--resume", str(run),
                              "--epochs", "1000000"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while (run / LOCK).read_text().strip() != str(first.pid) or (run / SUMMARY).exists():
            # it holds the run, and is training (a resumed run has no summary until it ends)
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.1)
        one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "10"),
                       f"is being written by process {first.pid}")
    finally:
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=120)
    assert first.returncode == 130 and "Traceback" not in err, err
    assert json.loads((run / SUMMARY).read_text())["interrupted"] is True
