"""Checkpoints, resuming, and interruption: nothing finished is lost, nothing is half-written."""

from __future__ import annotations

import functools
import json
import os
import random
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

import nnfw
from nnfw.rundirs.rundir import CHECKPOINT, LOCK
from nnfw.training.checkpoint import saved_epochs
from nnfw.training.compilation import XLA_MIN_STEPS

OPTIMIZERS = ["sgd", "sgdm", "adagrad", "rmsprop", "adam"]


def weights(result: nnfw.training.runner.RunResult) -> list[np.ndarray]:
    return [w.numpy() for w in result.model.weights]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_resumed_run_equals_an_uninterrupted_one(tmp_path: Path, optimizer: str) -> None:
    # tanh, not relu: a dead unit's exact 0 gradient is 0/0 in the epsilon-free lecture forms
    # (XLA off here only to save compile time; the kill and signal tests below use it)
    options = {"optimizer": optimizer, "lr": 0.01, "hidden": "5", "activation": "tanh",
               "schedule": "exponential", "xla": False}
    straight = nnfw.train(epochs=12, **options)
    first = nnfw.train(epochs=5, out=str(tmp_path), **options)
    resumed = nnfw.train(resume=str(first.run_dir), epochs=12)
    assert resumed.run_dir == first.run_dir and resumed.history.epochs_run == 12
    for a, b in zip(weights(straight), weights(resumed), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert resumed.history.loss == pytest.approx(straight.history.loss, rel=1e-6)
    assert resumed.history.lr == pytest.approx(straight.history.lr, rel=1e-7)
    summary = json.loads((first.run_dir / "summary.json").read_text())
    assert summary["epochs_run"] == 12


def test_resume_refuses_what_it_cannot_continue(tmp_path: Path) -> None:
    with pytest.raises(nnfw.UsageError, match="is not a run directory"):
        nnfw.train(resume=str(tmp_path))
    run = nnfw.train(epochs=2, out=str(tmp_path)).run_dir
    with pytest.raises(nnfw.UsageError, match="only --epochs and --strategy may change, not --lr"):
        nnfw.train(resume=str(run), lr=0.5)
    settings = (run / "settings.toml").read_text().replace('hidden = ""', 'hidden = "7"')
    (run / "settings.toml").write_text(settings)
    with pytest.raises(nnfw.UsageError, match="belongs to a different model"):
        nnfw.train(resume=str(run), epochs=4)


def start_training(out: Path, *extra: str) -> subprocess.Popen[str]:
    """A real ``nnfw train`` of a long yogurt run, checkpointing after every chunk."""
    args = [sys.executable, "-m", "nnfw", "train", "--config", "yogurt-mse", "--out", str(out),
            "--epochs", "1000000", "--checkpoint-seconds", "0", *extra]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_checkpoint(out: Path, process: subprocess.Popen[str], seconds: float = 120) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = list(out.glob(f"*/{CHECKPOINT}"))
        if found:
            return found[0].parent
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    process.kill()
    raise AssertionError("no checkpoint appeared")


def epochs_done(run_dir: Path) -> int:
    return saved_epochs(run_dir)


def test_sigint_saves_and_says_how_to_resume(tmp_path: Path) -> None:
    process = start_training(tmp_path, "--xla", "false")  # fewer epochs a second: a short test
    run_dir = wait_for_checkpoint(tmp_path, process)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert f"resume with nnfw train --resume {run_dir}" in stderr
    assert len(stderr.strip().splitlines()[-1:]) == 1 and "Traceback" not in stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["epochs_run"] == epochs_done(run_dir) > 0 and summary["interrupted"] is True
    total = epochs_done(run_dir) + 50
    resumed = nnfw.train(resume=str(run_dir), epochs=total)
    straight = nnfw.train("yogurt-mse", epochs=total, xla=False)
    for a, b in zip(weights(straight), weights(resumed), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_sigterm_exits_143(tmp_path: Path) -> None:
    process = start_training(tmp_path)
    wait_for_checkpoint(tmp_path, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143 and "interrupted by SIGTERM" in stderr


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_at_a_random_moment_leaves_a_run_that_loads_and_resumes(tmp_path: Path,
                                                                       seed: int) -> None:
    process = start_training(tmp_path)
    run_dir = wait_for_checkpoint(tmp_path, process)
    time.sleep(random.Random(seed).uniform(0.0, 1.5))
    process.kill()
    process.communicate()
    leftovers = [p.name for p in run_dir.iterdir() if p.name.startswith(".") and p.name != LOCK]
    assert all(name.endswith(".tmp") or ".tmp." in name for name in leftovers)
    tomllib.loads((run_dir / "settings.toml").read_text())
    done = epochs_done(run_dir)
    resumed = nnfw.train(resume=str(run_dir), epochs=done + 10)
    assert resumed.history.epochs_run == done + 10


def same_run(ours: nnfw.training.runner.RunResult, theirs: nnfw.training.runner.RunResult) -> None:
    """Bit for bit the same weights and per-epoch history."""
    for a, b in zip(weights(ours), weights(theirs), strict=True):
        np.testing.assert_array_equal(a, b)
    assert ours.history.loss == theirs.history.loss


def nnfw_process(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-m", "nnfw", "train", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True, env=env)


def run_dirs(out: Path) -> list[Path]:
    """The run directories under ``out`` (not the hidden ones a run fills before it appears)."""
    return sorted(p.parent for p in out.glob("*/settings.toml") if not p.parent.name.startswith("."))


def wait_for_run_dir(out: Path, process: subprocess.Popen[str], seconds: float = 120) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = run_dirs(out)
        if found:
            return found[0]
        assert process.poll() is None, "nnfw train ended before its run directory appeared"
        time.sleep(0.02)
    process.kill()
    raise AssertionError("no run directory appeared")


def test_a_run_killed_before_its_first_checkpoint_resumes_from_its_start(tmp_path: Path) -> None:
    process = nnfw_process("--config", "yogurt-mse", "--out", str(tmp_path), "--epochs", "1000000",
                           "--checkpoint-seconds", "1000")
    run_dir = wait_for_run_dir(tmp_path, process)
    time.sleep(random.uniform(0.0, 0.5))
    process.kill()
    process.wait()
    assert not (run_dir / CHECKPOINT).exists()
    listed = subprocess.run([sys.executable, "-m", "nnfw", "runs", "--out", str(tmp_path), "--json"],
                            capture_output=True, text=True, check=True)
    assert f"nnfw train --resume {run_dir}" in json.loads(listed.stdout)[0]["problem"]
    resumed = nnfw.train(resume=str(run_dir), epochs=3000)
    same_run(resumed, nnfw.train("yogurt-mse", epochs=3000))
    assert json.loads((run_dir / "summary.json").read_text())["epochs_run"] == 3000


RANDOM_KILL_EPOCHS = 100_000  # several seconds of training: kills land before, during and after it


@pytest.mark.parametrize("seed", [3, 4])
def test_runs_killed_at_random_moments_end_as_an_uninterrupted_run(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    run_dir: Path | None = None
    for _ in range(3):  # start, or resume, and kill -9 at a random moment, three times
        if run_dir is None:
            process = nnfw_process("--config", "yogurt-mse", "--out", str(tmp_path), "--epochs",
                                   str(RANDOM_KILL_EPOCHS), "--checkpoint-seconds", "0.3")
        else:
            process = nnfw_process("--resume", str(run_dir), "--epochs", str(RANDOM_KILL_EPOCHS))
        time.sleep(rng.uniform(0.5, 7.0))  # TensorFlow's import alone takes seconds
        process.kill()
        process.wait()
        found = run_dirs(tmp_path)
        assert len(found) <= 1
        run_dir = found[0] if found else None
    if run_dir is None:  # every kill came before the run directory: one more, just after it
        process = nnfw_process("--config", "yogurt-mse", "--out", str(tmp_path), "--epochs",
                               str(RANDOM_KILL_EPOCHS), "--checkpoint-seconds", "0.3")
        run_dir = wait_for_run_dir(tmp_path, process)
        time.sleep(rng.uniform(0.0, 1.0))
        process.kill()
        process.wait()
    resumed = nnfw.train(resume=str(run_dir), epochs=RANDOM_KILL_EPOCHS)
    same_run(resumed, uninterrupted_yogurt(RANDOM_KILL_EPOCHS))


@functools.cache
def uninterrupted_yogurt(epochs: int) -> nnfw.training.runner.RunResult:
    return nnfw.train("yogurt-mse", epochs=epochs)


def test_resume_keeps_the_arithmetic_path_it_started_with(tmp_path: Path) -> None:
    # 300 one-row steps an epoch: 10 epochs are below XLA's size, 40 above it
    assert 10 * 300 < XLA_MIN_STEPS <= 40 * 300
    options = {"dataset": "dot", "loss": "mse", "hidden": "4", "batch_size": 1, "lr": 0.01,
               "optimizer": "adam", "params": {"optimizer": {"epsilon": 1e-7}}}
    graph = nnfw.train(epochs=10, out=str(tmp_path / "graph"), **options)
    assert graph.settings.scalars["xla"] is False
    assert "xla = false" in (graph.run_dir / "settings.toml").read_text()
    longer = nnfw.train(resume=str(graph.run_dir), epochs=40)
    assert longer.settings.scalars["xla"] is False
    same_run(longer, nnfw.train(epochs=40, xla=False, **options))
    compiled = nnfw.train(epochs=40, out=str(tmp_path / "xla"), **options)
    assert compiled.settings.scalars["xla"] is True
    assert "xla = true" in (compiled.run_dir / "settings.toml").read_text()
    same_run(nnfw.train(resume=str(compiled.run_dir), epochs=45), nnfw.train(epochs=45, **options))


def test_saving_the_model_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    run = nnfw.train("yogurt-mse", epochs=3, out=str(tmp_path / "runs")).run_dir
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (run / ".model.tmp.keras").symlink_to(victim)  # the name nnfw once used for its temporary file
    nnfw.train(resume=str(run), epochs=6)
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == [LOCK, ".model.tmp.keras"]
    assert nnfw.load_model(str(run / "model.keras")).count_params() == 2
