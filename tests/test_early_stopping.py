"""Early stopping and the best epoch's weights on the validation part (issue #14).

The references are independent of nnfw's loop: the run's own per-epoch ``val_loss`` column
fed to Keras' ``EarlyStopping`` callback and to its rule written out in plain Python give the
epoch it stops after and the best epoch; the weights kept are those of a separate run of
exactly ``best_epoch + 1`` epochs with neither patience nor restore-best; a resumed run is an
uninterrupted one, bit for bit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_bad_input import one_error_line
from test_cli import cli

import nnfw

EPOCHS, PATIENCE = 150, 6
# a big hidden layer, Adam at a high rate and 60 training rows of mostly noise: the validation
# loss falls for a few epochs, then rises as the model learns the training rows by heart
OPTIONS = {"hidden": "64", "optimizer": "adam", "lr": 0.01, "xla": False, "seed": 4}


def write_noisy_csv(folder: Path, rows: int = 100) -> Path:
    """Two classes that overlap: only the first of three features tells them apart, weakly."""
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 2, rows)
    features = rng.normal(size=(rows, 3)) + np.outer(labels, [0.8, 0.0, 0.0])
    path = folder / "noisy.csv"
    lines = ["a,b,c,label"] + [",".join(f"{v:.5f}" for v in x) + f",{y}"
                               for x, y in zip(features, labels, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def params(path: Path, validation: float = 0.2) -> dict[str, dict[str, object]]:
    return {"dataset": {"path": str(path), "validation_fraction": validation}}


def keras_rule(val_loss: list[float], patience: int) -> tuple[int | None, int]:
    """(the epoch training stops after or None, the best epoch), as the documentation of
    Keras' EarlyStopping(monitor="val_loss", patience, restore_best_weights=True) says it."""
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, value in enumerate(val_loss):
        wait += 1
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        elif wait >= patience and epoch > 0:
            return epoch, best_epoch
    return None, best_epoch


def keras_callback(val_loss: list[float], patience: int) -> tuple[int | None, int]:
    """The same from Keras' own callback, fed the run's values epoch by epoch."""
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                             restore_best_weights=True)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    for epoch, value in enumerate(val_loss):
        callback.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            return epoch, callback.best_epoch
    return None, callback.best_epoch


def weights(result: nnfw.training.runner.RunResult) -> list[np.ndarray]:
    return [w.numpy() for w in result.model.weights]


def same_weights(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_noisy_csv(tmp_path_factory.mktemp("early"))


@pytest.fixture(scope="module")
def stopped(csv_path: Path) -> nnfw.training.runner.RunResult:
    """An uninterrupted run that patience stops."""
    return nnfw.train(dataset="csv", params=params(csv_path), epochs=EPOCHS, patience=PATIENCE,
                      **OPTIONS)


def test_stops_after_the_epoch_keras_early_stopping_would(stopped: nnfw.training.runner.RunResult) -> None:
    val_loss = stopped.history.column("val_loss")
    expected = keras_rule(val_loss, PATIENCE)
    assert keras_callback(val_loss, PATIENCE) == expected  # the plain rule is Keras' own
    stop, best = expected
    assert stop is not None and stop < EPOCHS - 1, val_loss  # it stopped, and not at the end
    assert best > 0 and stop - best == PATIENCE  # the loss fell for a while, then rose
    assert stopped.history.epochs_run == stop + 1  # no epoch past the stop, whatever the chunks
    summary = stopped.summary()
    assert (summary["stopped_early"], summary["best_epoch"], summary["kept_epoch"]) == (
        stop, best, best)
    assert stopped.history.column("val_loss")[best] == min(val_loss)
    # the final metrics are the kept weights': the best epoch's, evaluated again
    row = stopped.history.rows()[best]
    for name, value in summary["final"].items():
        assert value == pytest.approx(row[name], rel=1e-6), name
    assert summary["final"]["val_loss"] != val_loss[-1]


def test_kept_weights_are_those_of_a_run_of_best_epoch_plus_one_epochs(
        csv_path: Path, stopped: nnfw.training.runner.RunResult) -> None:
    best = stopped.best_epoch
    assert best is not None
    short = nnfw.train(dataset="csv", params=params(csv_path), epochs=best + 1, patience=0,
                       restore_best=False, **OPTIONS)
    assert short.kept_epoch is None and short.stopped_early is None
    same_weights(weights(stopped), weights(short))
    assert stopped.history.loss[:best + 1] == short.history.loss
    # and restore-best false keeps the last epoch's weights, which differ
    last = nnfw.train(dataset="csv", params=params(csv_path), epochs=EPOCHS, patience=PATIENCE,
                      restore_best=False, **OPTIONS)
    assert last.history.loss == stopped.history.loss and last.kept_epoch is None
    assert last.summary()["final"] == last.history.final()
    assert not all(np.array_equal(a, b) for a, b in zip(weights(last), weights(stopped),
                                                        strict=True))


def test_a_resumed_run_ends_as_the_uninterrupted_one(
        tmp_path: Path, csv_path: Path, stopped: nnfw.training.runner.RunResult) -> None:
    stop, best = stopped.stopped_early, stopped.best_epoch
    assert stop is not None and best is not None
    cut = best + 2  # after the best epoch and before the stop: both must survive the resume
    first = nnfw.train(dataset="csv", params=params(csv_path), epochs=cut, patience=PATIENCE,
                       out=str(tmp_path), **OPTIONS)
    assert first.stopped_early is None and first.kept_epoch == best
    resumed = nnfw.train(resume=str(first.run_dir), epochs=EPOCHS)
    same_weights(weights(resumed), weights(stopped))
    assert resumed.history.columns() == stopped.history.columns()
    assert (resumed.best_epoch, resumed.stopped_early, resumed.kept_epoch) == (best, stop, best)
    summary = json.loads((first.run_dir / "summary.json").read_text())
    assert summary["stopped_early"] == stop and summary["final"] == stopped.summary()["final"]
    # a run that stopped early is done: resumed again, with more epochs, it trains no more
    again = nnfw.train(resume=str(first.run_dir), epochs=EPOCHS + 50)
    assert again.history.epochs_run == stop + 1 and again.stopped_early == stop
    same_weights(weights(again), weights(stopped))


def test_the_report_says_where_it_stopped_and_whose_weights_it_kept(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, csv_path: Path,
        stopped: nnfw.training.runner.RunResult) -> None:
    code, out, err = cli(capsys, "train", "--dataset", "csv", "--dataset.path", str(csv_path),
                         "--dataset.validation_fraction", "0.2", "--epochs", str(EPOCHS),
                         "--patience", str(PATIENCE), "--hidden", "64", "--optimizer", "adam",
                         "--lr", "0.01", "--xla", "false", "--seed", "4",
                         "--out", str(tmp_path))
    assert code == 0, err
    stop, best = stopped.stopped_early, stopped.best_epoch
    assert (f"stopped early at epoch {stop} (no better val_loss for {PATIENCE} epochs); "
            f"weights of epoch {best} kept") in out.splitlines()


def test_patience_needs_a_validation_part(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          csv_path: Path) -> None:
    out = tmp_path / "runs"
    result = cli(capsys, "train", "--dataset", "csv", "--dataset.path", str(csv_path),
                 "--patience", "7", "--epochs", "3", "--out", str(out))
    one_error_line(result, "patience: 7", "no validation part", "--dataset.validation_fraction")
    assert not out.exists()
    # restore-best (the default) without a validation part does nothing
    plain = nnfw.train(dataset="csv", params=params(csv_path, 0.0), epochs=3, **OPTIONS)
    assert plain.kept_epoch is None and plain.best_epoch is None
    summary = plain.summary()
    assert "best_epoch" not in summary and "stopped_early" not in summary
    assert summary["final"] == plain.history.final()
