"""A finished run put to use, end to end, on scikit-learn's sets and a messy CSV (generated,
nothing downloaded): nnfw train with its defaults against plain Keras with the same
network, then nnfw predict on rows the run never saw against the model in Python (features
made here from the run's preprocessing record), nnfw evaluate against the run's own test
metrics, and nnfw export reloaded by TensorFlow."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nnfw_tiny_conv
import numpy as np
import pytest
import tensorflow as tf
from tabular_sets import write_messy, write_sklearn_set

import nnfw
from nnfw.cli import main
from nnfw.testing import plugin_registry

EPOCHS, HIDDEN = 40, 16
HELD_OUT = 15  # rows moved out of the training file, for predict and evaluate
# name -> the options beyond the data file (the csv data set's defaults otherwise: the target
# is the last column, features standardized; no loss: the task's default); diabetes' targets
# (25 to 346) make plain SGD at lr 0.1 overflow, in Keras too, so it uses Adam
SETS = {
    "wine": (),
    "breast_cancer": (),
    "digits": (),
    "diabetes": ("--optimizer", "adam"),  # mse: the loss for regression when none is given
    "customers": ("--dataset.missing", "median", "--dataset.drop", "id"),
}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def split_file(path: Path, held_out: int) -> tuple[Path, Path]:
    """Move the first ``held_out`` rows of the CSV file into a new file beside it."""
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    new = path.with_name(f"new-{path.name}")
    new.write_text("".join([text[0], *text[1:held_out + 1]]), encoding="utf-8")
    path.write_text("".join([text[0], *text[held_out + 1:]]), encoding="utf-8")
    return path, new


def features_from_record(path: Path, record: dict) -> np.ndarray:
    """The features of the rows in ``path``, made from the run's preprocessing record as its
    layout says (fill a missing cell, one column per category, then standardize)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines, delimiter=";" if ";" in lines[0] else ","))
    header, body = rows[0], rows[1:]
    columns = []
    for spec in record["preprocessing"]["columns"]:
        cells = [row[header.index(spec["name"])] for row in body]
        if spec["kind"] == "category":
            cells = [cell if cell not in ("", "NA") else spec["fill"] for cell in cells]
            columns.extend([float(cell == c) for cell in cells] for c in spec["categories"])
            continue
        values = np.array([float(c) if c not in ("", "NA", "?") else spec["fill"] for c in cells])
        if "mean" in spec:
            values = (values - spec["mean"]) / spec["std"]
        columns.append(values.tolist())
    return np.array(columns, dtype=np.float64).T.astype(np.float32)


def keras_reference(data: nnfw.Dataset, regression: bool, optimizer: str) -> float:
    """Test accuracy (or MSE) of the same network, optimizer and learning rate in plain Keras
    (Model.fit, shuffling, on the same split)."""
    import keras

    keras.utils.set_random_seed(0)
    outputs = 1 if regression else data.num_classes
    model = keras.Sequential([keras.Input((data.num_features,)),
                              keras.layers.Dense(HIDDEN, "relu", kernel_initializer="he_normal"),
                              keras.layers.Dense(outputs)])
    loss = "mse" if regression else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    chosen = keras.optimizers.Adam(0.1) if optimizer == "adam" else keras.optimizers.SGD(0.1)
    model.compile(chosen, loss, metrics=[] if regression else ["accuracy"])
    model.fit(data.x_train, data.y_train, epochs=EPOCHS, batch_size=32, verbose=0)
    scores = model.evaluate(data.x_test, data.y_test, verbose=0)
    return float(scores if regression else scores[1])


@pytest.mark.parametrize("name", list(SETS))
def test_train_then_predict_evaluate_and_export(tmp_path: Path, name: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    source = (write_messy(tmp_path).path if name == "customers"
              else write_sklearn_set(tmp_path, name))
    train_file, new_file = split_file(source, HELD_OUT)
    extra = SETS[name]
    code, out, err = cli(capsys, "train", "--dataset", "csv", "--dataset.path", str(train_file),
                         "--epochs", str(EPOCHS), "--hidden", str(HIDDEN), "--out",
                         str(tmp_path / "runs"), *extra)
    assert code == 0, err
    [run] = list((tmp_path / "runs").iterdir())
    summary = json.loads((run / "summary.json").read_text())
    record = json.loads((run / "preprocessing.json").read_text())
    regression = record["task"] == "regression"
    optimizer = "adam" if "adam" in extra else "sgd"
    assert run.name.endswith(f"-{name.replace('_', '-')}-{optimizer}")

    # trains as well as plain Keras with the same network, within the noise of the split
    data = nnfw.dataset("csv", path=str(train_file), **dict(
        (key.split(".")[1], value) for key, value in zip(extra[::2], extra[1::2], strict=True)
        if key.startswith("--dataset.")))
    reference = keras_reference(data, regression, optimizer)
    final = summary["final"]
    if regression:
        assert final["test_loss"] <= 1.25 * reference, (final["test_loss"], reference)
    else:
        rows = len(data.y_test)
        assert final["test_accuracy"] >= reference - 2 / rows, (final, reference)
        assert final["test_accuracy"] > np.bincount(data.y_test).max() / rows

    # predict on rows never seen: the model in Python, on features made from the record
    model = nnfw.load_model(str(run / "model.keras"))
    x = features_from_record(new_file, record)
    expected = model(x, training=False).numpy()
    code, out, err = cli(capsys, "predict", str(run), str(new_file))
    assert code == 0, err
    table = list(csv.reader(out.splitlines()))
    header, rows = table[0], table[1:]
    assert len(rows) == HELD_OUT
    values = np.array([row[0 if regression else 1:] for row in rows], dtype=np.float32)
    if regression:
        assert header == ["predicted"]
        np.testing.assert_array_equal(values, expected)
    else:
        names = record["class_names"]
        assert header == ["predicted", *(f"p_{c}" for c in names)]
        np.testing.assert_allclose(values, tf.nn.softmax(expected).numpy(), rtol=1e-5, atol=1e-7)
        assert [row[0] for row in rows] == [names[i] for i in np.argmax(expected, axis=1)]

    # evaluate: the run's own test part gives its test metrics; the new rows, theirs
    code, out, err = cli(capsys, "evaluate", str(run), "--json")
    assert code == 0, err
    evaluated = json.loads(out)
    for column, value in final.items():
        if column.startswith("test_"):
            assert evaluated[column[len("test_"):]] == pytest.approx(value, rel=1e-5), column
    code, out, err = cli(capsys, "evaluate", str(run), str(new_file), "--json")
    assert code == 0, err
    on_new = json.loads(out)
    truth = np.array([row[-1] for row in csv.reader(new_file.read_text().splitlines()[1:],
                                                     delimiter=";" if name == "customers" else ",")])
    if regression:
        mse = np.mean((expected[:, 0] - truth.astype(np.float64)) ** 2)
        assert on_new["loss"] == pytest.approx(mse, rel=1e-5)
    else:
        labels = record["class_names"]
        ids = np.array([labels.index(t) if t in labels else int(float(t)) for t in truth])
        assert on_new["accuracy"] == pytest.approx(np.mean(np.argmax(expected, 1) == ids))

    # export: TensorFlow loads the SavedModel back and it computes what the model does
    code, out, err = cli(capsys, "export", str(run))
    assert code == 0, err
    exported = Path(out.strip())
    assert exported == run / "saved-model"
    loaded = tf.saved_model.load(str(exported))
    np.testing.assert_allclose(loaded.serve(tf.constant(x)).numpy(), expected, rtol=1e-6, atol=1e-6)
    assert json.loads((exported / "assets.extra" / "nnfw-preprocessing.json").read_text()) == record
    code, _, err = cli(capsys, "export", str(run))  # never over an existing export
    assert code == 2 and "already exists" in err and len(err.strip().splitlines()) == 1


def test_a_third_party_model_and_data_set_without_read_rows(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """bars registers no read_rows: new rows are its feature columns by name, and a target."""
    with plugin_registry(nnfw_tiny_conv):
        result = nnfw.train(dataset="bars", model="tiny-conv", optimizer="adam", lr=0.01,
                            epochs=5, metrics="accuracy,top-two", out=str(tmp_path))
        run, data = result.run_dir, result.data
        new_file = tmp_path / "bars-new.csv"
        with new_file.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*data.feature_names, "target"])
            writer.writerows([[*map(repr, map(float, row)), data.class_names[label]]
                              for row, label in zip(data.x_test, data.y_test, strict=True)])
        code, out, err = cli(capsys, "predict", str(run), str(new_file))
        assert code == 0, err
        table = list(csv.reader(out.splitlines()))
        assert table[0] == ["predicted", "p_horizontal", "p_vertical"]
        expected = tf.nn.softmax(result.model(data.x_test)).numpy()
        np.testing.assert_allclose(np.array([row[1:] for row in table[1:]], dtype=np.float32),
                                   expected, rtol=1e-5, atol=1e-7)
        # the file's rows are the run's test part: both give the run's test metrics
        final = json.loads((run / "summary.json").read_text())["final"]
        for source in ((), (str(new_file),)):
            code, out, err = cli(capsys, "evaluate", str(run), *source, "--json")
            assert code == 0, err
            evaluated = json.loads(out)
            assert set(evaluated) == {"loss", "accuracy", "top_two"}
            for name, value in evaluated.items():
                assert value == pytest.approx(final[f"test_{name}"], rel=1e-5), (source, name)
        code, out, err = cli(capsys, "export", str(run), "-o", str(tmp_path / "served"))
        assert code == 0, err
        served = tf.saved_model.load(str(tmp_path / "served"))
        np.testing.assert_allclose(served.serve(tf.constant(data.x_test)).numpy(),
                                   result.model(data.x_test).numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("args", "expected"), [
    (("predict", "{run}", "{missing}"), "nope.csv: no such file"),
    (("predict", "{run}", "{wrong}"), "no column 'sepal length (cm)'"),
    (("predict", "{empty}", "{wrong}"), "no preprocessing.json"),
    (("evaluate", "{run}", "{unlabelled}"), "no target column"),
    (("evaluate", "{run}", "--part", "validation"), "has no validation rows; parts with rows: test, train"),
    (("evaluate", "{run}", "{unlabelled}", "--dataset", "dot"), "INPUT.csv or --dataset, not both"),
    (("evaluate", "{run}", "--dataset", "dot", "--part", "train"),
     "the data gives 2 features a row; the run's model takes 4"),
])
def test_using_a_run_badly_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       args: tuple[str, ...], expected: str) -> None:
    run = nnfw.train(epochs=2, out=str(tmp_path)).run_dir
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "settings.toml").write_text((run / "settings.toml").read_text())
    (tmp_path / "empty" / "model.keras").write_bytes((run / "model.keras").read_bytes())
    (tmp_path / "wrong.csv").write_text("a,b\n1,2\n")
    (tmp_path / "unlabelled.csv").write_text(
        "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n5.1,3.5,1.4,0.2\n")
    paths = {"run": str(run), "missing": str(tmp_path / "nope.csv"),
             "wrong": str(tmp_path / "wrong.csv"),
             "empty": str(tmp_path / "empty"),
             "unlabelled": str(tmp_path / "unlabelled.csv")}
    code, _, err = cli(capsys, *(arg.format(**paths) for arg in args))
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("text", ["[]", '{"format": 1}', '{"format": 1, "dataset": 3}', "{"])
def test_a_hostile_preprocessing_record_is_one_line(tmp_path: Path, text: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    run = nnfw.train(epochs=1, out=str(tmp_path)).run_dir
    good = json.loads((run / "preprocessing.json").read_text())
    (tmp_path / "new.csv").write_text(",".join(good["feature_names"]) + "\n1,2,3,4\n")
    code, out, _ = cli(capsys, "predict", str(run), str(tmp_path / "new.csv"))
    assert code == 0 and out.startswith("predicted,p_setosa,")
    (run / "preprocessing.json").write_text(text)
    code, _, err = cli(capsys, "predict", str(run), str(tmp_path / "new.csv"))
    assert code == 2 and "preprocessing.json: not" in err and len(err.strip().splitlines()) == 1


def test_a_record_whose_layout_a_data_set_cannot_read_names_the_plugin(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = nnfw.train(epochs=1, out=str(tmp_path)).run_dir
    record = json.loads((run / "preprocessing.json").read_text())
    record["preprocessing"] = {"columns": "not a list"}
    (run / "preprocessing.json").write_text(json.dumps(record))
    (tmp_path / "new.csv").write_text(",".join(record["feature_names"]) + "\n1,2,3,4\n")
    code, _, err = cli(capsys, "predict", str(run), str(tmp_path / "new.csv"))
    assert code != 0 and "iris" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_evaluate_gives_the_kept_weights_metrics_of_a_run_that_stopped_early(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_sklearn_set(tmp_path, "wine")
    code, _, err = cli(capsys, "train", "--dataset", "csv", "--dataset.path", str(path),
                       "--dataset.validation_fraction", "0.2", "--patience", "3", "--epochs",
                       "300", "--optimizer", "adam", "--lr", "0.05", "--out", str(tmp_path / "runs"))
    assert code == 0, err
    [run] = list((tmp_path / "runs").iterdir())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stopped_early"] is not None and summary["kept_epoch"] == summary["best_epoch"]
    for part, prefix in (("test", "test_"), ("validation", "val_")):
        code, out, err = cli(capsys, "evaluate", str(run), "--part", part, "--json")
        assert code == 0, err
        evaluated = json.loads(out)
        recorded = {k[len(prefix):]: v for k, v in summary["final"].items() if k.startswith(prefix)}
        assert set(recorded) == set(evaluated)
        for name, value in recorded.items():
            assert evaluated[name] == pytest.approx(value, rel=1e-5), (part, name)
