"""``--strategy multi-worker``: two worker processes on 127.0.0.1 train as one process does.

Each test starts real ``nnfw train`` processes, each with its own ``TF_CONFIG`` and
its own empty working directory, on ports found free at test time. Every process
is bounded in time and killed at the end, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_cli import cli

import nnfw
from nnfw.rundirs.rundir import CHECKPOINT
from nnfw.training.checkpoint import saved_epochs

PROCESS_SECONDS = 180  # no worker of these tests may live longer than this
SETTINGS = ["--config", "iris", "--epochs", "60"]  # the lecture's iris run, shortened


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (bound once by this process, then released)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


class Cluster:
    """Worker processes of one cluster, each in its own directory (its only place to write)."""

    def __init__(self, root: Path, size: int = 2) -> None:
        self.addresses = [f"127.0.0.1:{port}" for port in free_ports(size)]
        self.dirs = [root / f"worker{index}" for index in range(size)]
        self.processes: dict[int, subprocess.Popen[str]] = {}
        for folder in self.dirs:
            (folder / "tmp").mkdir(parents=True)

    def start(self, index: int, *args: str) -> subprocess.Popen[str]:
        """Start worker ``index``: ``nnfw train --strategy multi-worker ARGS`` in its directory
        (with ``--out runs`` unless it resumes a run)."""
        config = {"cluster": {"worker": self.addresses}, "task": {"type": "worker", "index": index}}
        temp = str(self.dirs[index] / "tmp")
        env = {**os.environ, "TF_CONFIG": json.dumps(config), "TMPDIR": temp, "HOME": temp,
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = [] if "--resume" in args else ["--out", "runs"]
        process = subprocess.Popen(
            [sys.executable, "-m", "nnfw", "train", "--strategy", "multi-worker", *out, "--json",
             *args], cwd=self.dirs[index], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.processes[index] = process
        return process

    def finish(self, index: int, seconds: float = PROCESS_SECONDS) -> tuple[int, str, str]:
        """Wait for worker ``index`` to end: (exit code, stdout, stderr)."""
        out, err = self.processes[index].communicate(timeout=seconds)
        return self.processes[index].returncode, out, err

    def kill_all(self) -> None:
        """Kill every worker still running and reap it."""
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.communicate()

    def written(self, index: int) -> list[str]:
        """What worker ``index`` wrote in its directory, outside its temporary directory."""
        return sorted(str(p.relative_to(self.dirs[index])) for p in self.dirs[index].rglob("*")
                      if not p.is_relative_to(self.dirs[index] / "tmp"))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A two-worker cluster on 127.0.0.1, killed at the end of the test."""
    workers = Cluster(tmp_path)
    try:
        yield workers
    finally:
        workers.kill_all()


def is_open_port_line(line: str) -> bool:
    """Whether ``line`` is the one every worker says as it starts, about its open port."""
    return line.startswith("nnfw: warning: ") and " of every network interface" in line


def the_run(folder: Path) -> Path:
    """The one run directory under ``folder/runs``."""
    runs = list((folder / "runs").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def test_two_workers_train_as_one_process_and_only_the_chief_writes(cluster: Cluster) -> None:
    for index in (0, 1):
        cluster.start(index, *SETTINGS, "--strategy.timeout", "60")
    results = {index: cluster.finish(index) for index in (0, 1)}
    for index, (code, _, err) in results.items():
        assert code == 0, f"worker {index}: {err[-2000:]}"
    chief, other = (json.loads(results[index][1]) for index in (0, 1))
    single = nnfw.train("iris", epochs=60)

    assert chief["epochs_run"] == other["epochs_run"] == 60
    assert chief["final"]["loss"] == pytest.approx(single.history.final()["loss"], rel=1e-5)
    assert chief["final"]["test_accuracy"] == single.history.final()["test_accuracy"]
    for weight in single.model.weights:
        np.testing.assert_allclose(chief["weights"][weight.path], weight.numpy(), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(other["weights"][weight.path], chief["weights"][weight.path])
    run = the_run(cluster.dirs[0])
    assert chief["run_dir"] == str(Path("runs") / run.name)
    assert {"settings.toml", "history.csv", "summary.json", CHECKPOINT} <= {
        p.name for p in run.iterdir()}
    assert other["run_dir"] is None and cluster.written(1) == []  # the other worker: nothing
    assert "the chief worker writes the run" not in results[0][1]


def test_two_workers_resume_their_run_as_one_process_would(cluster: Cluster) -> None:
    for index in (0, 1):
        cluster.start(index, "--config", "iris", "--epochs", "20", "--strategy.timeout", "60")
    for index in (0, 1):
        code, _, err = cluster.finish(index)
        assert code == 0, err[-2000:]
    run = the_run(cluster.dirs[0])
    shutil.copytree(cluster.dirs[0] / "runs", cluster.dirs[1] / "runs")  # as the README says
    before = {p.name: p.read_bytes() for p in (cluster.dirs[1] / "runs" / run.name).iterdir()
              if p.is_file()}
    relative = str(Path("runs") / run.name)
    for index in (0, 1):
        cluster.start(index, "--resume", relative, "--epochs", "50", "--strategy.timeout", "60")
    results = [cluster.finish(index) for index in (0, 1)]
    for code, _, err in results:
        assert code == 0, err[-2000:]
    chief = json.loads(results[0][1])
    straight = nnfw.train("iris", epochs=50)
    assert chief["epochs_run"] == 50 and chief["run_dir"] == relative
    assert chief["final"]["loss"] == pytest.approx(straight.history.final()["loss"], rel=1e-5)
    after = {p.name: p.read_bytes() for p in (cluster.dirs[1] / "runs" / run.name).iterdir()
             if p.is_file()}
    assert after == before  # the other worker read its copy and wrote nothing


def test_a_diverging_run_stops_at_the_same_step_on_every_worker(cluster: Cluster) -> None:
    diverging = ["--config", "yogurt-mse", "--epochs", "50", "--lr", "1e6",
                 "--strategy.timeout", "60"]
    for index in (0, 1):
        cluster.start(index, *diverging)
    single = nnfw.train("yogurt-mse", epochs=50, lr=1e6).divergence
    assert single is not None
    for index in (0, 1):
        code, out, err = cluster.finish(index)
        assert code == 4, err[-2000:]
        summary = json.loads(out)
        assert (summary["divergence"]["epoch"], summary["divergence"]["step"]) == (
            single.epoch, single.step)
        assert summary["divergence"]["non_finite"] == single.non_finite
        lines = [line for line in err.splitlines()
                 if not line.startswith("epoch ") and not is_open_port_line(line)]
        assert lines == [f"nnfw: training diverged at epoch {single.epoch}, step {single.step}: "
                         f"{', '.join(single.non_finite)} went non-finite ({single.cause}); kept the "
                         "weights of the last complete epoch; try a smaller --lr"], err[-2000:]


def test_a_worker_that_dies_stops_the_other_with_one_line_and_the_checkpoint_intact(
        cluster: Cluster) -> None:
    long_run = ["--config", "iris", "--epochs", "1000000", "--checkpoint-seconds", "0",
                "--strategy.timeout", "30"]
    chief = cluster.start(0, *long_run)
    other = cluster.start(1, *long_run)
    deadline = time.monotonic() + PROCESS_SECONDS
    while not list((cluster.dirs[0] / "runs").glob(f"*/{CHECKPOINT}")):
        assert chief.poll() is None and other.poll() is None, cluster.finish(0)[2][-2000:]
        assert time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.2)
    time.sleep(1.0)  # a few more chunks, each checkpointed
    other.send_signal(signal.SIGKILL)
    started = time.monotonic()
    code, _, err = cluster.finish(0, seconds=120)
    waited = time.monotonic() - started

    assert code == 5, err[-2000:]
    errors = [line for line in err.splitlines()
              if line.startswith("nnfw: ") and not is_open_port_line(line)]
    assert len(errors) == 1 and errors[0].startswith("nnfw: error: lost contact with another "
                                                     "worker"), err[-2000:]
    assert "is intact: restart every worker with nnfw train --resume" in errors[0]
    assert "{{" not in errors[0]  # TensorFlow's function-node prefixes are left out
    assert waited < 60  # well within --strategy.timeout and the time a hang would take
    run = the_run(cluster.dirs[0])
    saved = saved_epochs(run)
    assert saved > 0
    resumed = nnfw.train(resume=str(run), epochs=saved + 2, strategy="default")
    assert resumed.history.epochs_run == saved + 2


def test_when_the_chief_dies_the_other_worker_stops_and_writes_nothing(cluster: Cluster) -> None:
    long_run = ["--config", "iris", "--epochs", "1000000", "--strategy.timeout", "30"]
    chief = cluster.start(0, *long_run)
    other = cluster.start(1, *long_run)
    deadline = time.monotonic() + PROCESS_SECONDS
    while not list((cluster.dirs[0] / "runs").glob("*/settings.toml")):
        assert chief.poll() is None and other.poll() is None, cluster.finish(1)[2][-2000:]
        assert time.monotonic() < deadline, "the chief never started its run"
        time.sleep(0.2)
    time.sleep(2.0)  # training is under way
    chief.send_signal(signal.SIGKILL)
    code, _, err = cluster.finish(1, seconds=120)
    assert code == 5, err[-2000:]
    assert "nnfw: error: lost contact with another worker" in err
    assert "this worker writes nothing" in err
    assert "{{" not in err
    assert cluster.written(1) == []


def usage(pid: int) -> tuple[int, int, int]:
    """(threads, open file descriptors, resident memory in MiB) of process ``pid``, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert found, status
    return (len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd")),
            int(found.group(1)) // 1024)


def test_a_long_run_holds_threads_files_and_memory_steady_on_every_worker(
        cluster: Cluster) -> None:
    # TensorFlow started two threads per all-reduce that lived --strategy.timeout seconds
    # (16 per epoch of iris: ~800 a second here); between these samples, ~8 s of chunks of
    # ~0.5 s, each checkpointed, each with its all-reduce of the next chunk's size.
    long_run = ["--config", "iris", "--epochs", "1000000", "--checkpoint-seconds", "0",
                "--strategy.timeout", "30"]
    workers = [cluster.start(index, *long_run) for index in (0, 1)]
    deadline = time.monotonic() + PROCESS_SECONDS
    while not (saved := list((cluster.dirs[0] / "runs").glob(f"*/{CHECKPOINT}"))):
        assert all(w.poll() is None for w in workers), cluster.finish(0)[2][-2000:]
        assert time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.2)
    time.sleep(1.0)  # past the first chunks, which build the graph
    early, epochs_early = [usage(w.pid) for w in workers], saved_epochs(saved[0].parent)
    time.sleep(8.0)
    late, epochs_late = [usage(w.pid) for w in workers], saved_epochs(saved[0].parent)

    assert all(w.poll() is None for w in workers), cluster.finish(0)[2][-2000:]
    assert epochs_late > epochs_early + 50, (epochs_early, epochs_late)  # many chunks ran
    for index, (before, after) in enumerate(zip(early, late, strict=True)):
        threads, files, mebibytes = (b - a for a, b in zip(before, after, strict=True))
        assert threads <= 4 and files <= 4 and mebibytes <= 32, (
            f"worker {index}: (threads, files, MiB) {before} -> {after} over "
            f"{epochs_late - epochs_early} epochs")


def listening(port: int) -> str | None:
    """The local address a socket listens on at TCP ``port`` (``0.0.0.0``, ``::``, ...), from
    /proc/net; None while nothing listens there."""
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for row in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)  # 32-bit words in host (little-endian) order
                return socket.inet_ntop(family, b"".join(raw[i:i + 4][::-1]
                                                         for i in range(0, len(raw), 4)))
    return None


def test_a_worker_says_once_that_its_port_is_open_on_every_interface(cluster: Cluster) -> None:
    process = cluster.start(0, *SETTINGS, "--strategy.timeout", "60")  # alone: it waits
    port = int(cluster.addresses[0].rpartition(":")[2])
    deadline = time.monotonic() + PROCESS_SECONDS
    while (address := listening(port)) is None:
        assert process.poll() is None, cluster.finish(0)[2][-2000:]
        assert time.monotonic() < deadline, "the worker never listened"
        time.sleep(0.2)
    process.kill()
    _, _, err = cluster.finish(0)

    # what the line says: TensorFlow's server takes every interface, not TF_CONFIG's 127.0.0.1
    assert address in ("0.0.0.0", "::"), address
    lines = [line for line in err.splitlines() if line.startswith("nnfw: ")]
    assert lines == [f"nnfw: warning: worker 0 listens on port {port} of every network interface, "
                     "not only on 127.0.0.1 as TF_CONFIG says (TensorFlow cannot bind its server "
                     "to one address), and anyone who reaches the port can run any code as this "
                     "worker's user (TensorFlow's distributed runtime has no authentication): run "
                     "the cluster on a trusted network only"], err[-2000:]


def test_a_worker_that_never_starts_ends_the_wait_with_one_line(cluster: Cluster) -> None:
    started = time.monotonic()
    cluster.start(0, *SETTINGS, "--strategy.timeout", "5")
    code, _, err = cluster.finish(0, seconds=120)
    assert code == -signal.SIGKILL  # it was blocked inside TensorFlow: killed by its watcher
    assert time.monotonic() - started < 60
    assert "nnfw: error: worker 0 waited 5 s for the other workers (127.0.0.1:" in err
    assert "start nnfw train with the same settings on every machine of TF_CONFIG" in err
    assert cluster.written(0) == []  # it stopped before making its run directory


@pytest.mark.parametrize(("tf_config", "words"), [
    (None, "strategy 'multi-worker' needs TF_CONFIG, the cluster and this worker's place in it"),
    ("{", "TF_CONFIG is not JSON"),
    ('{"cluster": {"worker": "127.0.0.1:1"}, "task": {"type": "worker", "index": 0}}',
     "TF_CONFIG: 'cluster' must map job names to lists of host:port addresses"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "chief", "index": 0}}',
     "TF_CONFIG: 'task' must name this worker's job, one of worker, and its index"),
    ('{"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", '
     '"index": 2}}', "TF_CONFIG: task index 2 is not a position in job 'worker'; accepted: 0..1"),
], ids=["missing", "not-json", "bad-cluster", "bad-task", "bad-index"])
def test_a_bad_tf_config_gets_one_line(capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       tf_config: str | None, words: str) -> None:
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    code, out, err = cli(capsys, "train", "--strategy", "multi-worker", "--out", str(tmp_path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"nnfw: error: {words}"), err
    assert list(tmp_path.iterdir()) == []
