"""The progress display: compiling first, estimates only from measured chunks, the end left shown.

Driven by a fake clock, fake streams and hand-filled histories, so no TensorFlow is needed;
one real short run checks the lines ``nnfw train`` writes without a terminal.
"""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest

from conftest import run_nnfw
from nnfw.training.history import History
from nnfw.training.progress import PLAIN_SECONDS, Progress


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Stream(io.StringIO):
    """A stream that says whether it is a terminal and remembers when each write came."""

    def __init__(self, tty: bool, clock: Clock) -> None:
        super().__init__()
        self.tty = tty
        self.clock = clock
        self.writes: list[tuple[float, str]] = []

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.writes.append((self.clock.now, text))
        return super().write(text)

    def lines(self) -> list[str]:
        """What a reader sees: the text after the last carriage return of each line."""
        return [line.rsplit("\r", 1)[-1] for line in self.getvalue().split("\n") if line.strip()]


def history(epochs: int) -> History:
    """A history of ``epochs`` epochs whose metrics tell the epochs apart."""
    return History(loss=[1 / (i + 1) for i in range(epochs)], lr=[0.1] * epochs,
                   test_loss=[2 / (i + 1) for i in range(epochs)],
                   test_accuracy=[i / (epochs + 1) for i in range(epochs)])


def progress(epochs: int, tty: bool, quiet: bool = False, resumed: bool = False,
             width: int | None = None) -> tuple[Progress, Stream, Clock]:
    """A display of ``epochs`` epochs on a fake stream (a terminal or not), with its fake clock."""
    clock = Clock()
    stream = Stream(tty, clock)
    shown = Progress(epochs, quiet, resumed=resumed, stream=stream, clock=clock, width=width)
    return shown, stream, clock


@pytest.mark.parametrize("tty", [True, False])
def test_compiling_is_shown_until_the_first_chunk_returns(tty: bool) -> None:
    shown, stream, clock = progress(500, tty)
    with shown:
        assert "training 500 epochs: compiling" in stream.getvalue()
        clock.now = 3.0
        shown.update(history(1))
        current = stream.lines()[-1]
        assert "compiling" not in current and current.startswith("1/500 epochs")


@pytest.mark.parametrize("tty", [True, False])
def test_no_estimate_from_the_first_chunk_alone(tty: bool) -> None:
    shown, stream, clock = progress(500, tty)
    with shown:
        clock.now = 3.0  # compiling and one epoch
        shown.update(history(1))
        assert shown.seconds_per_epoch is None and shown.seconds_left is None
        current = stream.lines()[-1]
        assert "measuring speed" in current and "left" not in current and "/s" not in current


def test_the_estimate_is_remaining_epochs_times_seconds_per_epoch_after_the_first_chunk() -> None:
    shown, stream, clock = progress(1001, tty=True, width=200)
    with shown:
        clock.now = 5.0  # the first chunk, with compiling: left out of the speed
        shown.update(history(1))
        clock.now = 7.0
        shown.update(history(201))  # 200 epochs in 2 s: 0.01 s each, 800 to go
        assert shown.seconds_per_epoch == pytest.approx(0.01)
        assert shown.seconds_left == pytest.approx(800 * 0.01)
        assert "~8.0 s left at 100 epochs/s" in stream.lines()[-1]
        clock.now = 11.0
        shown.update(history(401))  # every chunk after the first counts: 400 epochs in 6 s
        assert shown.seconds_left == pytest.approx(600 * 6 / 400)
        assert "~9.0 s left at 66.7 epochs/s" in stream.lines()[-1]


def test_a_resumed_run_counts_only_the_epochs_this_process_ran() -> None:
    shown, stream, clock = progress(500, tty=False, resumed=True)
    with shown:
        assert stream.lines() == ["resuming training to 500 epochs: compiling..."]
        clock.now = 4.0
        shown.update(history(301))  # 300 epochs from before, one from this process
        clock.now = 5.0
        shown.update(history(401))
        assert shown.seconds_per_epoch == pytest.approx(1 / 100)
        assert shown.seconds_left == pytest.approx(99 / 100)
    assert stream.lines()[-1].startswith("401/500 epochs after 5.0 s, at 100 epochs/s, stopped")


def test_the_final_state_stays_on_a_terminal() -> None:
    shown, stream, clock = progress(301, tty=True, width=200)
    with shown:
        for step, epochs in enumerate([1, 101, 201, 301]):
            clock.now = 1.0 + step
            shown.update(history(epochs))
        clock.now = 9.0  # the writes at the end, after the last chunk
    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1  # one line, redrawn, then left in place
    last = stream.lines()[-1]
    final = history(301).final()
    assert last.startswith("301/301 epochs [####################] after 4.0 s, at 100 epochs/s")
    assert "left" not in last and "stopped" not in last
    for name, value in final.items():
        assert f"{name} {value:.4g}" in last


def test_a_terminal_line_fits_its_width_and_is_redrawn_over_the_longer_one_before() -> None:
    shown, stream, clock = progress(10**6, tty=True, width=40)
    with shown:
        for epochs in (1, 500_000, 10**6):
            clock.now += 1
            shown.update(history(epochs))
    drawn = [text for _, text in stream.writes if text.startswith("\r")]
    assert len(drawn) >= 4 and all(len(text) <= 40 for text in drawn)  # "\r" and 39 columns
    assert "[" not in "".join(drawn[1:])  # no room for the bar: the numbers come first
    assert all(len(b) >= len(a) for a, b in itertools.pairwise(drawn))  # blanks over what was left


def test_without_a_terminal_at_most_a_line_per_interval_and_always_the_last_epoch() -> None:
    shown, stream, clock = progress(2000, tty=False)
    with shown:
        for chunk in range(1, 63):  # a chunk every 0.5 s, 31 s in all
            clock.now = 0.5 * chunk
            shown.update(history(min(1 + 33 * (chunk - 1), 2000)))
    stamped = [(when, text) for when, text in stream.writes if "epochs after" in text]
    times = [when for when, _ in stamped]
    assert all(b - a >= PLAIN_SECONDS for a, b in itertools.pairwise(times[:-1]))
    assert times[-1] - times[-2] < PLAIN_SECONDS  # the last epoch's line came anyway
    assert len(stamped) >= int(31 / PLAIN_SECONDS)  # the old display wrote two or three
    last = stamped[-1][1]
    assert last.startswith("2000/2000 epochs")
    assert all(f"{name} {value:.6g}" in last for name, value in history(2000).final().items())
    assert sum(text.startswith("2000/2000") for _, text in stamped) == 1  # not written twice


def test_quiet_writes_nothing() -> None:
    for tty in (True, False):
        shown, stream, clock = progress(100, tty, quiet=True)
        with shown:
            for epochs in (1, 50, 100):
                clock.now += 1
                shown.update(history(epochs))
        assert stream.getvalue() == ""


def test_nnfw_train_without_a_terminal_writes_its_progress_lines(tmp_path: Path) -> None:
    epochs = 30
    done = run_nnfw("train", "--epochs", str(epochs), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[0] == f"training {epochs} epochs: compiling..."
    counts = [re.match(rf"(\d+)/{epochs} epochs after ", line) for line in lines[1:]]
    assert all(counts), lines
    numbers = [int(match.group(1)) for match in counts if match]
    assert numbers[0] == 1 and numbers[-1] == epochs and numbers == sorted(set(numbers))
    reported = re.search(r"final: (.*)", done.stdout)
    assert reported, done.stdout
    final = dict(item.split(" ") for item in reported.group(1).split(", "))
    shown = dict(re.findall(r"(\S+) (\S+)", lines[-1].split(" | ", 1)[1]))
    assert set(shown) == set(final) >= {"loss", "test_loss", "test_accuracy"}
    assert all(float(shown[name]) == pytest.approx(float(final[name]), rel=1e-5) for name in final)
