"""The csv data set on real files: scikit-learn's sets and a messy file, written as CSV.

No TensorFlow: these tests only read files into numpy.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from tabular_sets import (
    REGIONS,
    SKLEARN_SETS,
    sklearn_set,
    write_exact_numbers,
    write_messy,
    write_sklearn_set,
    write_table,
)

import nnfw
from nnfw_plugins.datasets import table_rows

pytestmark = pytest.mark.filterwarnings("error::nnfw.NnfwWarning")  # none expected here


def rows_of(x: np.ndarray, y: np.ndarray) -> Counter:
    """The rows of a part as a multiset of (feature bytes, target bytes): bit for bit."""
    return Counter((row.tobytes(), np.asarray(t).tobytes()) for row, t in zip(x, y, strict=True))


def every_row(data: nnfw.Dataset) -> Counter:
    """The rows of all three parts of ``data``."""
    return (rows_of(data.x_train, data.y_train) + rows_of(data.x_test, data.y_test)
            + rows_of(data.x_val, data.y_val))


@pytest.mark.parametrize("name", SKLEARN_SETS)
def test_each_sklearn_set_reads_with_defaults(tmp_path: Path, name: str) -> None:
    x, _, features, classes = sklearn_set(name)
    data = nnfw.dataset("csv", path=str(write_sklearn_set(tmp_path, name)))
    assert data.name == name
    assert data.feature_names == tuple(features)
    test_rows = int(np.floor(len(x) * 0.2 + 0.5))
    assert (len(data.x_train), len(data.x_test), len(data.x_val)) == (len(x) - test_rows,
                                                                       test_rows, 0)
    assert data.x_train.shape[1] == x.shape[1]
    json.dumps(data.preprocessing, allow_nan=False)
    if name == "diabetes":
        assert data.task == "regression" and data.class_names == ()
        return
    assert data.task == "classification"
    expected = sorted(classes) if name == "breast_cancer" else [str(i) for i in range(len(classes))]
    assert data.class_names == tuple(expected)
    counts = np.bincount(np.concatenate([data.y_train, data.y_test]))
    for part in (data.y_train, data.y_test):  # stratified: each class's share, within one row
        share = counts * len(part) / len(x)
        assert np.all(np.abs(np.bincount(part, minlength=len(counts)) - share) <= 1), name


def test_breast_cancer_labels_keep_their_names(tmp_path: Path) -> None:
    _, y, _, classes = sklearn_set("breast_cancer")
    data = nnfw.dataset("csv", path=str(write_sklearn_set(tmp_path, "breast_cancer")))
    assert data.class_names == ("benign", "malignant")
    malignant = np.count_nonzero(np.array(classes)[y] == "malignant")
    ids = np.concatenate([data.y_train, data.y_test])
    assert np.count_nonzero(ids == data.class_names.index("malignant")) == malignant


def test_standardization_is_numpys_mean_and_std_of_the_training_part(tmp_path: Path) -> None:
    path = str(write_exact_numbers(tmp_path))  # float32 features equal the file's values
    raw = nnfw.dataset("csv", path=path, standardize=False, seed=5)
    data = nnfw.dataset("csv", path=path, seed=5)
    train = raw.x_train.astype(np.float64)
    mean, std = train.mean(axis=0), train.std(axis=0)
    specs = data.preprocessing["columns"]
    np.testing.assert_allclose([s["mean"] for s in specs], mean, rtol=1e-12)
    np.testing.assert_allclose([s["std"] for s in specs], std, rtol=1e-12)
    np.testing.assert_array_equal(data.y_train, raw.y_train)  # the same split
    np.testing.assert_allclose(data.x_train, (train - mean) / std, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(data.x_test, (raw.x_test - mean) / std, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-6)


def messy_rows(messy, data: nnfw.Dataset, part: str = "train") -> list[int]:
    """The file's row of each row of a part of ``data``, found by its unique income."""
    income = data.feature_names.index("income")
    where = {value: row for row, value in enumerate(messy.incomes)}
    return [where[int(v)] for v in getattr(data, f"x_{part}")[:, income]]


def test_messy_file_index_id_categories_and_labels(tmp_path: Path) -> None:
    messy = write_messy(tmp_path)
    data = nnfw.dataset("csv", path=str(messy.path), drop="id", missing="most-frequent",
                        standardize=False, test_fraction=0.25)
    assert data.name == "customers"
    categories = sorted(REGIONS)
    assert data.feature_names == (*(f"region={r}" for r in categories), "age", "income")
    assert data.class_names == ("buys", "leaves")
    assert data.preprocessing["columns"][0]["categories"] == categories
    for part in ("train", "test"):
        rows = messy_rows(messy, data, part)
        fill = data.preprocessing["columns"][0]["fill"]
        hand = np.array([[float((messy.regions[r] or fill) == c) for c in categories]
                         for r in rows], dtype=np.float32)
        np.testing.assert_array_equal(getattr(data, f"x_{part}")[:, :3], hand)
        labels = [data.class_names.index(messy.labels[r]) for r in rows]
        np.testing.assert_array_equal(getattr(data, f"y_{part}"), labels)


@pytest.mark.parametrize(("how", "statistic"), [
    ("mean", np.mean), ("median", np.median),
    ("most-frequent", lambda v: Counter(sorted(v)).most_common(1)[0][0])])
def test_imputation_is_the_training_columns_statistic(tmp_path: Path, how, statistic) -> None:
    messy = write_messy(tmp_path)
    data = nnfw.dataset("csv", path=str(messy.path), drop="id", missing=how, standardize=False,
                        seed=3)
    train = messy_rows(messy, data)
    ages = [messy.ages[r] for r in train if messy.ages[r] is not None]
    fill = data.preprocessing["columns"][1]["fill"]
    assert fill == float(statistic(ages))
    regions = Counter(sorted(messy.regions[r] for r in train if messy.regions[r]))
    assert data.preprocessing["columns"][0]["fill"] == regions.most_common(1)[0][0]
    age = data.feature_names.index("age")
    filled = [i for i, r in enumerate(train) if messy.ages[r] is None]
    assert filled  # the seed puts missing ages in the training part
    np.testing.assert_array_equal(data.x_train[filled, age], np.float32(fill))


@pytest.mark.parametrize("name", ["wine", "breast_cancer", "digits", "diabetes"])
def test_read_rows_gives_the_rows_build_gave_bit_for_bit(tmp_path: Path, name: str) -> None:
    path = write_sklearn_set(tmp_path, name)
    entry = nnfw.registry().get("dataset", "csv")
    params = entry.resolve({"path": str(path), "validation_fraction": 0.1})
    data = entry.build(**params)
    # as predict calls it: the run's hyperparameters, the training file's path among them
    x, y = entry.extras["read_rows"](str(path), data.preprocessing, **params)
    assert x.dtype == np.float32 and y.dtype == data.y_train.dtype
    assert rows_of(x, y) == every_row(data)
    # the held-out (test) rows alone, in a file of their own, without the target column
    header, *lines = path.read_text().splitlines()
    held = rows_of(data.x_test, data.y_test)
    kept = []
    for line, row in zip(lines, rows_of_each(x, y), strict=True):
        if held[row] > 0:  # a row that is in the test part (digits has equal rows)
            held[row] -= 1
            kept.append(line)
    no_target = [",".join(line.split(",")[:-1]) for line in kept]
    new = tmp_path / "new.csv"
    new.write_text("\n".join([header.rsplit(",", 1)[0], *no_target]) + "\n")
    x_new, y_new = table_rows.read_rows(str(new), data.preprocessing)
    assert y_new is None
    assert Counter(row.tobytes() for row in x_new) == Counter(row.tobytes() for row in data.x_test)


def rows_of_each(x: np.ndarray, y: np.ndarray) -> list[tuple[bytes, bytes]]:
    """Each row's (feature bytes, target bytes), in order."""
    return [(row.tobytes(), np.asarray(t).tobytes()) for row, t in zip(x, y, strict=True)]


def test_read_rows_of_the_messy_file_reordered_and_without_the_dropped_column(
        tmp_path: Path) -> None:
    messy = write_messy(tmp_path)
    data = nnfw.dataset("csv", path=str(messy.path), drop="id", missing="median")
    x, y = table_rows.read_rows(str(messy.path), data.preprocessing, separator="auto")
    assert rows_of(x, y) == every_row(data)
    rows = [[messy.labels[i], messy.ids[i], messy.incomes[i],
             "" if messy.ages[i] is None else messy.ages[i], messy.regions[i] or "NA"]
            for i in range(len(messy.ids))]
    # other column order, no index column, empty ages and NA regions
    other = write_table(tmp_path / "other.csv", ["label", "id", "income", "age", "region"], rows)
    x_other, y_other = table_rows.read_rows(str(other), data.preprocessing)
    np.testing.assert_array_equal(x_other, x)
    np.testing.assert_array_equal(y_other, y)


def test_validation_part_and_seed(tmp_path: Path) -> None:
    path = str(write_sklearn_set(tmp_path, "wine"))
    data = nnfw.dataset("csv", path=path, validation_fraction=0.15, seed=7)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (115, 27, 36)
    assert data == nnfw.dataset("csv", path=path, validation_fraction=0.15, seed=7)
    assert data != nnfw.dataset("csv", path=path, validation_fraction=0.15, seed=8)
    share = np.bincount(np.concatenate([data.y_train, data.y_val, data.y_test])) / 178
    assert np.all(np.abs(np.bincount(data.y_val, minlength=3) - share * 27) <= 1)


def test_a_separate_test_file(tmp_path: Path) -> None:
    x, y, features, _ = sklearn_set("wine")
    train = write_table(tmp_path / "train.csv", [*features, "target"],
                        [[*row, int(t)] for row, t in zip(x[:150].tolist(), y[:150], strict=True)])
    test = write_table(tmp_path / "test.csv", ["target", *features],
                       [[int(t), *row] for row, t in zip(x[150:].tolist(), y[150:], strict=True)])
    data = nnfw.dataset("csv", path=str(train), test_path=str(test))
    assert (len(data.x_train), len(data.x_test)) == (150, 28)  # test_fraction is not used
    x_test, y_test = table_rows.read_rows(str(test), data.preprocessing)
    np.testing.assert_array_equal(data.x_test, x_test)
    np.testing.assert_array_equal(data.y_test, y_test)
    np.testing.assert_array_equal(data.y_test, y[150:])


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_separators_are_guessed_or_given(tmp_path: Path, separator: str) -> None:
    x, y, features, _ = sklearn_set("wine")
    rows = [[*row, int(t)] for row, t in zip(x.tolist(), y, strict=True)]
    comma = nnfw.dataset("csv", path=str(write_table(tmp_path / "a.csv", [*features, "t"], rows)))
    other = write_table(tmp_path / "b.csv", [*features, "t"], rows, separator=separator)
    assert nnfw.dataset("csv", path=str(other)).x_train.tobytes() == comma.x_train.tobytes()
    given = {";": "semicolon", "\t": "tab", "|": "pipe"}[separator]
    assert nnfw.dataset("csv", path=str(other), separator=given) == nnfw.dataset(
        "csv", path=str(other))


def test_no_header_names_columns_by_position(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("".join(f"{i},{i % 4 * 2.5},{'ab'[i % 2]}\n" for i in range(20)))
    data = nnfw.dataset("csv", path=str(path), header=False, drop="c1", standardize=False,
                        test_fraction=0)
    assert data.feature_names == ("c2",) and data.class_names == ("a", "b")
    x, y = table_rows.read_rows(str(path), data.preprocessing, header=False)
    assert rows_of(x, y) == every_row(data)


def test_forced_categorical_numbers_and_a_chosen_feature_list(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("zone,size,noise,y\n" + "".join(f"{i % 3 + 1},{i},{i * 7 % 5},{i % 2}\n"
                                                      for i in range(30)))
    data = nnfw.dataset("csv", path=str(path), categorical="zone", features="zone,size",
                        standardize=False)
    assert data.feature_names == ("zone=1", "zone=2", "zone=3", "size")
    zones = data.x_train[:, :3].argmax(axis=1) + 1
    np.testing.assert_array_equal(zones, data.x_train[:, 3].astype(int) % 3 + 1)
