"""Models and metrics are plugin kinds: the built-in ones against closed forms and scikit-learn,
a third party's convolutional model and metric end to end (train, compare, resume, mirrored)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nnfw_tiny_conv
import numpy as np
import pytest
from sklearn import metrics as sk

import nnfw
from nnfw.cli import main
from nnfw.testing import check_plugin, plugin_registry
from nnfw.training.complexity import dense_complexity, model_complexity


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def scores_and_targets(rows: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    return rng.randn(rows, classes).astype("float32"), rng.randint(0, classes, rows).astype("int32")


def metric(name: str, targets: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    return np.asarray(nnfw.metric(name)(targets, outputs))


@pytest.mark.parametrize(("rows", "classes", "seed"), [(50, 3, 0), (7, 4, 1), (200, 2, 2), (5, 6, 3)])
def test_classification_metrics_equal_scikit_learns(rows: int, classes: int, seed: int) -> None:
    scores, targets = scores_and_targets(rows, classes, seed)
    predicted = scores.argmax(axis=1)
    expected = {"accuracy": sk.accuracy_score(targets, predicted),
                "precision": sk.precision_score(targets, predicted, average="macro", zero_division=0),
                "recall": sk.recall_score(targets, predicted, average="macro", zero_division=0),
                "f1": sk.f1_score(targets, predicted, average="macro", zero_division=0)}
    for name, value in expected.items():
        assert metric(name, targets, scores) == pytest.approx(value, abs=1e-6), name
    matrix = sk.confusion_matrix(targets, predicted, labels=range(classes))
    assert np.array_equal(metric("confusion-matrix", targets, scores), matrix)


def test_accuracy_counts_nan_scores_as_class_0() -> None:
    scores = np.array([[np.nan, np.nan], [0.0, 1.0], [np.nan, 0.0]], "float32")
    # row 1: all NaN -> class 0 (right); row 3: NaN lowest -> class 1 (wrong)
    assert metric("accuracy", np.array([0, 1, 0], "int32"), scores) == pytest.approx(2 / 3)


@pytest.mark.parametrize("outputs", [1, 3])
def test_regression_metrics_equal_scikit_learns(outputs: int) -> None:
    rng = np.random.RandomState(outputs)
    targets = rng.randn(40, outputs).astype("float32")
    predicted = (targets + 0.3 * rng.randn(40, outputs)).astype("float32")
    assert metric("mae", targets, predicted) == pytest.approx(
        sk.mean_absolute_error(targets, predicted), rel=1e-5)
    assert metric("r2", targets, predicted) == pytest.approx(sk.r2_score(targets, predicted), rel=1e-5)
    constant = np.ones((5, 1), "float32")
    assert metric("r2", constant, constant) == sk.r2_score(constant, constant) == 1.0
    assert metric("r2", constant, constant + 1) == sk.r2_score(constant, constant + 1) == 0.0


def test_chosen_metrics_are_recorded_and_equal_the_final_models(tmp_path: Path) -> None:
    run = nnfw.train(epochs=30, hidden="8", metrics="accuracy,f1,recall,confusion-matrix",
                     out=str(tmp_path))
    data = run.data
    predicted = run.model(data.x_test).numpy().argmax(axis=1)
    final = run.history.final()
    assert final["test_accuracy"] == pytest.approx(sk.accuracy_score(data.y_test, predicted))
    assert final["test_f1"] == pytest.approx(sk.f1_score(data.y_test, predicted, average="macro"))
    assert final["test_recall"] == pytest.approx(
        sk.recall_score(data.y_test, predicted, average="macro"))
    assert "test_precision" not in final
    summary = json.loads((run.run_dir / "summary.json").read_text())
    assert summary["final_metrics"]["confusion-matrix"] == sk.confusion_matrix(
        data.y_test, predicted, labels=range(3)).tolist()
    with (run.run_dir / "history.csv").open() as file:
        header = next(csv.reader(file))
    assert header == ["epoch", "loss", "lr", "test_loss", "test_accuracy", "test_f1", "test_recall"]
    assert (run.run_dir / "confusion-matrix.png").stat().st_size > 0


def test_regression_runs_have_no_metric_unless_asked(tmp_path: Path) -> None:
    rng = np.random.RandomState(0)
    x = rng.randn(60, 2)
    file = tmp_path / "line.csv"
    np.savetxt(file, np.column_stack([x, x @ [1.5, -2.0] + 0.5]), delimiter=",",
               header="a,b,y", comments="")
    options = {"dataset": "csv", "loss": "mse", "epochs": 3,
               "params": {"dataset": {"path": str(file), "task": "regression"}}}
    assert set(nnfw.train(**options).history.columns()) == {"loss", "lr", "test_loss"}
    asked = nnfw.train(metrics="mae,r2", **options)
    assert set(asked.history.columns()) == {"loss", "lr", "test_loss", "test_mae", "test_r2"}
    outputs = asked.model(asked.data.x_test).numpy()
    assert asked.history.extra["test_mae"][-1] == pytest.approx(
        sk.mean_absolute_error(asked.data.y_test, outputs), rel=1e-5)


def test_a_metric_that_does_not_fit_the_task_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "train", "--config", "yogurt-mse", "--metrics", "f1", "--epochs", "1")
    assert code == 2 and "metrics: 'f1' fits classification data, but this data set is " \
        "regression; metrics that fit: mae, r2" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "train", "--metrics", "f2", "--epochs", "1")
    assert code == 2 and "'f2'" in err and "f1" in err and len(err.strip().splitlines()) == 1


def test_dense_model_dropout_and_batch_norm() -> None:
    plain = nnfw.train(epochs=2, hidden="8,4")
    counted = dense_complexity([4, 8, 4, 3])
    assert plain.complexity.parameters == counted.parameters
    assert plain.complexity.multiply_adds == counted.multiply_adds
    assert [layer.name for layer in plain.model.layers] == ["hidden1", "hidden2", "output"]
    both = nnfw.train(epochs=20, hidden="8,4", model="dense",
                      params={"model": {"dropout": 0.25, "batch_norm": True}})
    names = [layer.name for layer in both.model.layers]
    assert names == ["hidden1", "batch_norm1", "activation1", "dropout1",
                     "hidden2", "batch_norm2", "activation2", "dropout2", "output"]
    assert both.complexity.parameters == counted.parameters + 2 * (8 + 4)  # scale and offset
    assert both.complexity.uncounted == ("batch_norm1", "batch_norm2")
    # batch norm's moving statistics moved while training: they are part of what it learnt
    moving = both.model.get_layer("batch_norm1").moving_mean.numpy()
    assert np.all(np.isfinite(moving)) and np.any(moving != 0)
    assert np.all(np.isfinite(both.history.loss))


def test_complexity_of_a_convolution_is_counted_from_its_shapes() -> None:
    with plugin_registry(nnfw_tiny_conv):
        model = nnfw.model("tiny-conv", nnfw.ModelContext(input_shape=(8, 8, 1), outputs=2),
                           filters=4)
    counted = model_complexity(model)
    conv = 6 * 6 * (3 * 3 * 1 * 4)  # output positions x kernel x channels x filters
    assert counted.multiply_adds == conv + 6 * 6 * 4 * 2
    assert counted.weights == 3 * 3 * 4 + 144 * 2 and counted.biases == 4 + 2
    assert counted.parameters == model.count_params() and counted.layers == 2


def test_a_third_party_model_and_metric_train_compare_and_resume(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = {"dataset": "bars", "model": "tiny-conv", "optimizer": "adam", "lr": 0.01,
               "metrics": "accuracy,top-two", "output_activation": "linear"}
    with plugin_registry(nnfw_tiny_conv):
        whole = nnfw.train(epochs=8, out=str(tmp_path / "whole"), **options)
        majority = max(np.mean(whole.data.y_test), 1 - np.mean(whole.data.y_test))
        assert whole.history.test_accuracy[-1] > majority
        assert whole.history.extra["test_top_two"][-1] == 1.0  # two classes: always in the top two
        assert whole.complexity.multiply_adds == 6 * 6 * 9 * 4 + 144 * 2
        half = nnfw.train(epochs=4, out=str(tmp_path / "half"), **options)
        resumed = nnfw.train(resume=str(half.run_dir), epochs=8)
        for a, b in zip(whole.model.weights, resumed.model.weights, strict=True):
            assert np.array_equal(a.numpy(), b.numpy()), a.path
        assert resumed.history.extra["test_top_two"] == whole.history.extra["test_top_two"]
        loaded = nnfw.load_model(whole.run_dir / "model.keras")
        assert np.array_equal(loaded(whole.data.x_test).numpy(), whole.model(whole.data.x_test).numpy())
        code, out, err = cli(capsys, "compare", "--dataset", "bars", "--model", "tiny-conv",
                             "--optimizer", "sgd,adam", "--epochs", "3", "--metrics", "top-two",
                             "--out", str(tmp_path / "compare"))
        assert code == 0, err
        assert "sgd" in out and "adam" in out


def test_a_third_party_model_trains_the_same_under_mirrored() -> None:
    options = {"dataset": "bars", "model": "tiny-conv", "optimizer": "sgd", "epochs": 3,
               "batch_size": 7, "xla": False}
    with plugin_registry(nnfw_tiny_conv):
        single = nnfw.train(**options)
        replicated = nnfw.train(strategy="mirrored", **options)
    for a, b in zip(single.model.weights, replicated.model.weights, strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=2e-5, atol=2e-5, err_msg=a.path)
    np.testing.assert_allclose(replicated.history.test_accuracy, single.history.test_accuracy)


def test_the_testing_kit_checks_models_and_metrics() -> None:
    notes = check_plugin(nnfw_tiny_conv)
    assert not [note for note in notes if "tiny-conv" in note or "top-two" in note], notes
