"""The learning-rate finder: its learning rates, its losses against plain TensorFlow, its two
rules (stopping and the suggestion), the command's files and its errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import nnfw
from conftest import heavy_imports
from nnfw.cli import main
from nnfw.config.config_file import find_config, read_config
from nnfw.config.resolve import resolve_settings
from nnfw.explore.lr_find import RangeTest, growth_schedule, lr_find
from nnfw.explore.lr_find_rule import RULE, Tracker, suggest
from nnfw.explore.lr_find_span import span_from
from nnfw.rundirs.runs import find_runs

# a range that SGD on the lecture's iris run takes without exploding, over 6 epochs of its
# 4 batches (the last one short), so the comparison with plain TensorFlow stays well-conditioned
MIN_LR, MAX_LR, STEPS = 1e-3, 3.0, 24


def closed_form(min_lr: float, max_lr: float, steps: int) -> np.ndarray:
    """lr_i = min_lr * (max_lr / min_lr) ** (i / (steps - 1)), as float32 (what optimizers use)."""
    i = np.arange(steps, dtype=np.float64)
    return (min_lr * (max_lr / min_lr) ** (i / (steps - 1))).astype(np.float32)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.fixture(scope="module")
def iris_sgd() -> RangeTest:
    """The range test of the lecture's iris run with SGD, nothing written."""
    registry = nnfw.registry()
    settings = resolve_settings(registry, read_config(find_config("iris", registry)),
                                {"optimizer": "sgd"})
    span = span_from({"min-lr": MIN_LR, "max-lr": MAX_LR, "steps": STEPS, "stop-factor": 100.0})
    return lr_find(settings, registry, span)


def test_learning_rates_grow_exponentially_with_both_ends(iris_sgd: RangeTest) -> None:
    expected = closed_form(MIN_LR, MAX_LR, STEPS)
    used = np.asarray(iris_sgd.lrs, dtype=np.float32)  # read from the optimizer, step by step
    assert used[0] == np.float32(MIN_LR) and used[-1] == np.float32(MAX_LR)
    np.testing.assert_allclose(used, expected, rtol=2 ** -23, atol=0)  # within a float32 rounding
    ratios = used[1:].astype(np.float64) / used[:-1]
    np.testing.assert_allclose(ratios, (MAX_LR / MIN_LR) ** (1 / (STEPS - 1)), rtol=2 ** -22)


def test_the_schedule_is_the_closed_form_over_a_long_range() -> None:
    import tensorflow as tf

    span = span_from({"min-lr": 1e-7, "max-lr": 100.0, "steps": 1000})
    schedule = growth_schedule(span)
    values = np.array([float(schedule(tf.constant(i, tf.int64))) for i in range(0, 1000, 37)]
                      + [float(schedule(tf.constant(999, tf.int64)))], dtype=np.float32)
    expected = closed_form(1e-7, 100.0, 1000)[[*range(0, 1000, 37), 999]]
    assert values[0] == np.float32(1e-7) and values[-1] == np.float32(100.0)
    np.testing.assert_allclose(values, expected, rtol=2 ** -23, atol=0)


def test_losses_equal_plain_tensorflow_with_the_same_weights_batches_and_rates(
        iris_sgd: RangeTest) -> None:
    """The lecture's iris step written out eagerly: softmax(x @ w1 + b1), MSE against one-hot
    labels, w -= lr * g with the closed-form lr of each step, batches of 32 in order, cycling."""
    import tensorflow as tf

    data = nnfw.dataset("iris")
    tf.random.set_seed(116)  # the iris experiment's seed and initializers (its config file)
    w1 = tf.Variable(tf.random.truncated_normal([4, 3], stddev=0.1, seed=1))
    b1 = tf.Variable(tf.random.truncated_normal([3], stddev=0.1, seed=1))
    x = tf.constant(data.x_train)
    y = tf.one_hot(data.y_train, depth=3)
    batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, len(data.x_train), 32)]
    assert len(batches) == 4 and batches[-1][0].shape[0] == 24  # a short batch is among them
    losses = []
    for step, lr in enumerate(closed_form(MIN_LR, MAX_LR, STEPS)):
        x_batch, y_batch = batches[step % len(batches)]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y_batch - tf.nn.softmax(tf.matmul(x_batch, w1) + b1)))
        grad_w, grad_b = tape.gradient(loss, [w1, b1])
        w1.assign_sub(lr * grad_w)
        b1.assign_sub(lr * grad_b)
        losses.append(float(loss))
    assert iris_sgd.stop_step is None and len(iris_sgd.losses) == STEPS
    # bit for bit here (the iris experiment is exact); a float32 rounding of room for other CPUs
    np.testing.assert_allclose(iris_sgd.losses, losses, rtol=1e-6, atol=0)
    assert losses[-1] < losses[0] * 0.9  # the reference really trained: the check is not vacuous


def ema(losses: list[float], beta: float) -> list[float]:
    """The bias-corrected moving average as a weighted sum: sum_k (1-b) b^(n-k) x_k / (1-b^(n+1))."""
    return [sum((1 - beta) * beta ** (n - k) * losses[k] for k in range(n + 1)) / (1 - beta ** (n + 1))
            for n in range(len(losses))]


def first_stop(smoothed: list[float], factor: float) -> int | None:
    """The first step whose smoothed loss exceeds ``factor`` times the lowest before it."""
    for n in range(1, len(smoothed)):
        if smoothed[n] > factor * min(smoothed[:n]):
            return n
    return None


def feed(tracker: Tracker, losses: list[float]) -> tuple[int | None, str | None]:
    for step, loss in enumerate(losses):
        reason = tracker.add(loss)
        if reason is not None:
            return step, reason
    return None, None


def test_the_smoothed_loss_is_the_bias_corrected_moving_average() -> None:
    losses = [2.0, 1.5, 1.7, 1.2, 0.9, 1.1, 0.8]
    tracker = Tracker(0.9, 4.0)
    assert feed(tracker, losses) == (None, None)
    np.testing.assert_allclose(tracker.smoothed, ema(losses, 0.9), rtol=1e-12)
    constant = Tracker(0.9, 4.0)
    feed(constant, [3.0] * 20)  # bias correction: a constant loss is its own average from step 0
    np.testing.assert_allclose(constant.smoothed, 3.0, rtol=1e-12)


def test_stops_where_the_smoothed_loss_explodes_and_not_on_a_flat_curve() -> None:
    exploding = [1.0 - 0.01 * i for i in range(30)] + [0.7 * 1.5 ** k for k in range(1, 30)]
    expected = first_stop(ema(exploding, 0.9), 4.0)
    assert expected is not None and expected > 30  # after the minimum, as constructed
    step, reason = feed(Tracker(0.9, 4.0), exploding)
    assert step == expected and "exceeds 4x its lowest value" in reason
    flat = [1.0 + 0.5 * math.sin(i) for i in range(2000)]  # noisy, never 4x its lowest
    assert feed(Tracker(0.9, 4.0), flat) == (None, None)
    assert feed(Tracker(0.0, 4.0), flat) == (None, None)  # not even unsmoothed
    # the factor itself, unsmoothed: more than 4x the lowest loss before stops, 4x does not
    assert feed(Tracker(0.0, 4.0), [2.0, 1.0, 4.0]) == (None, None)
    assert feed(Tracker(0.0, 4.0), [2.0, 1.0, 4.001])[0] == 2
    assert feed(Tracker(0.0, 2.5), [2.0, 1.0, 2.6])[0] == 2


def test_stops_at_the_first_loss_that_is_not_finite() -> None:
    step, reason = feed(Tracker(0.9, 4.0), [1.0, 0.9, 0.8, float("nan"), 0.5])
    assert step == 3 and "not finite" in reason
    step, _ = feed(Tracker(0.9, 4.0), [1.0, float("inf")])
    assert step == 1


def test_suggests_a_tenth_of_the_lr_at_the_lowest_smoothed_loss() -> None:
    lrs = list(np.logspace(-6, 1, 71))  # a tenth of a decade a step
    lowest = 50  # lr 0.1
    smoothed = [(math.log10(lr) + 1) ** 2 + 1 for lr in lrs]  # a valley at lr 0.1 ...
    smoothed[10] -= 0.5  # ... and a steeper, shallower dip far before it
    found = suggest(lrs, smoothed, stopped=True)
    assert found.lowest_step == lowest and found.lowest_lr == lrs[lowest]
    assert found.lr == pytest.approx(0.01, rel=1e-12) and found.note == ""
    assert "tenth" in RULE and "lowest" in RULE


def test_a_suggestion_at_either_end_of_the_range_says_so() -> None:
    lrs = [1e-3, 1e-2, 1e-1, 1.0]
    rising = suggest(lrs, [1.0, 2.0, 3.0, 4.0], stopped=False)
    assert rising.lowest_step == 0 and "smaller --min-lr" in rising.note
    falling = suggest(lrs, [4.0, 3.0, 2.0, 1.0], stopped=False)
    assert falling.lowest_step == 3 and "larger --max-lr" in falling.note
    assert suggest(lrs, [4.0, 3.0, 2.0, 1.0], stopped=True).note == ""
    nothing = suggest(lrs[:1], [float("nan")], stopped=True)
    assert nothing.lr is None and "--min-lr" in nothing.note


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_the_command_writes_a_new_directory_and_leaves_other_runs_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs"
    code, _, err = cli(capsys, "train", "--config", "iris", "--epochs", "2", "--out", str(out))
    assert code == 0, err
    (trained,) = out.iterdir()
    before = _snapshot(trained)
    code, stdout, err = cli(capsys, "lr-find", "--config", "yogurt-mse", "--steps", "40",
                            "--max-lr", "1000", "--out", str(out), "--json")
    assert code == 0, err
    result = json.loads(stdout)  # stdout is the JSON and nothing else
    made = Path(result["run_dir"])
    assert sorted(out.iterdir()) == sorted([trained, made]) and made.parent == out
    assert made.name.endswith("-yogurt-sgd-lr-find")
    assert sorted(p.name for p in made.iterdir()) == ["lr-find.json", "lr-find.png"]
    assert (made / "lr-find.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((made / "lr-find.json").read_text())
    for key in ("lrs", "losses", "smoothed", "suggestion", "rule", "stop_reason", "stop_step"):
        assert saved[key] == result[key], key
    assert saved["rule"] == RULE and saved["smoothing"] == 0.9
    assert len(saved["lrs"]) == len(saved["losses"]) == saved["stop_step"] + 1 < 40  # it exploded
    assert saved["suggestion"] == pytest.approx(saved["lowest"]["lr"] / 10)
    assert "exceeds 4x" in saved["stop_reason"]
    assert _snapshot(trained) == before  # every file of the training run, byte for byte
    assert [run.path for run in find_runs(out)] == [trained]  # a range test is not a run


def test_the_report_names_the_stop_the_suggestion_and_its_rule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, err = cli(capsys, "lr-find", "--config", "yogurt-mse", "--steps", "40",
                            "--max-lr", "1000", "--smoothing", "0.5", "--out", str(tmp_path))
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].startswith("lr-find: yogurt, sgd, mse, batch 32: lr from 1e-06 to 1000 over 40")
    assert "beta 0.5" in lines[1]
    assert any(line.startswith("stopped at step ") and "exceeds 4x" in line for line in lines)
    assert any(line.startswith("suggested lr: ") and RULE in line for line in lines)
    assert lines[-1].startswith(f"saved in {tmp_path}/")


@pytest.mark.parametrize(("args", "expected"), [
    (["--min-lr", "1", "--max-lr", "0.1"], "--min-lr 1.0 is not smaller than --max-lr 0.1"),
    (["--min-lr", "0.1", "--max-lr", "0.1"], "accepted: 0 < --min-lr < --max-lr"),
    (["--steps", "1"], "--steps: 1 is out of range; accepted: a whole number in [2, 100000]"),
    (["--steps", "ten"], "--steps: 'ten' is not a whole number in [2, 100000]"),
    (["--min-lr", "0"], "--min-lr: 0.0 is out of range"),
    (["--smoothing", "1"], "--smoothing: 1.0 is out of range; accepted: a number in [0, 1)"),
    (["--stop-factor", "1"], "--stop-factor: 1.0 is out of range"),
    (["--optimizer", "adamm"], "unknown optimizer 'adamm'; did you mean 'adam'?"),
    (["--loss", "mse", "--dataset", "iriss"], "unknown dataset 'iriss'"),
    (["--optimizer.betaa", "0.9", "--optimizer", "adam"], "has no hyperparameter 'betaa'"),
    (["--lr", "0.1"], "--lr does not apply to lr-find"),
    (["--epochs", "3"], "--epochs does not apply to lr-find"),
    (["--schedule.decay", "0.9"], "--schedule.KEY does not apply to lr-find"),
    (["--config", "no-such-experiment"], "no-such-experiment"),
    (["--batch-size", "500"], "batch-size: 500 is larger than the 120 training rows"),
    (["--strategy", "mirrored"], "lr-find runs on one device"),
])
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          args: list[str], expected: str) -> None:
    code, stdout, err = cli(capsys, "lr-find", "--config", "iris", "--out", str(tmp_path), *args)
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith("nnfw: error: ") and expected in err, err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_help_states_the_rules_without_importing_tensorflow() -> None:
    printed, heavy = heavy_imports("lr-find", "--help")
    assert not heavy & {"tensorflow", "keras", "matplotlib"}
    text = " ".join(printed.split())
    assert "a tenth of the learning rate at which the smoothed loss is lowest" in text
    assert "--smoothing" in text and "default 0.9" in text and "--stop-factor" in text
