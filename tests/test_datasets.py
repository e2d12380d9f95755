"""The data set plugins: the lecture's iris, yogurt and dot set-ups, and the CSV loader."""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import nnfw
from nnfw_plugins.datasets import dot

DOT_CSV = Path(__file__).parent / "data" / "dot.csv"


@pytest.fixture
def global_rng():
    """Restore numpy's global RNG after a test that has to use it (the lecture's form)."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


# ---------------------------------------------------------------- iris


def lecture_iris() -> tuple[np.ndarray, np.ndarray]:
    """The lecture's own shuffle: numpy's global seed 116, x and y shuffled separately."""
    from sklearn.datasets import load_iris

    x_data = load_iris().data
    y_data = load_iris().target
    np.random.seed(116)
    np.random.shuffle(x_data)
    np.random.seed(116)
    np.random.shuffle(y_data)
    return x_data, y_data


def test_iris_equals_the_lectures_global_seed_shuffle_and_split(global_rng):
    data = nnfw.dataset("iris")
    x_data, y_data = lecture_iris()
    np.testing.assert_array_equal(data.x_train, x_data[:-30].astype(np.float32))
    np.testing.assert_array_equal(data.y_train, y_data[:-30])
    np.testing.assert_array_equal(data.x_test, x_data[-30:].astype(np.float32))
    np.testing.assert_array_equal(data.y_test, y_data[-30:])
    assert (len(data.x_train), len(data.x_test)) == (120, 30)


def test_iris_through_the_registry_describes_itself():
    from sklearn.datasets import load_iris

    data = nnfw.dataset("iris")
    assert data.task == "classification"
    assert data.num_classes == 3
    assert data.name == "iris"
    assert data.feature_names == tuple(load_iris().feature_names)
    assert data.x_train.dtype == np.float32
    assert sorted(np.bincount(np.concatenate([data.y_train, data.y_test]))) == [50, 50, 50]


def test_iris_leaves_numpys_global_rng_alone(global_rng):
    np.random.seed(7)
    expected = np.random.RandomState(7).rand(3)
    nnfw.dataset("iris", seed=3)
    np.testing.assert_array_equal(np.random.rand(3), expected)


def test_iris_seed_and_test_rows(global_rng):
    data = nnfw.dataset("iris", seed=5, test_rows=0)
    assert (len(data.x_train), len(data.x_test)) == (150, 0)
    assert data.x_test.shape == (0, 4)
    x_data, _ = lecture_iris()
    assert not np.array_equal(data.x_train, x_data.astype(np.float32))
    with pytest.raises(nnfw.UsageError, match="test_rows"):
        nnfw.dataset("iris", test_rows=150)


def test_iris_standardize_uses_the_training_parts_mean_and_std(global_rng):
    data = nnfw.dataset("iris", standardize=True)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1.0, rtol=1e-6)
    x_data, _ = lecture_iris()
    train, test = x_data[:120], x_data[120:]
    expected = (test - train.mean(axis=0)) / train.std(axis=0)
    np.testing.assert_allclose(data.x_test, expected.astype(np.float32), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- yogurt


def test_yogurt_equals_the_lectures_generator():
    rdm = np.random.RandomState(23455)
    X = rdm.rand(32, 2)
    Y_ = [[x1 + x2 + (rdm.rand() / 10.0 - 0.05)] for (x1, x2) in X]
    data = nnfw.dataset("yogurt")
    np.testing.assert_array_equal(data.x_train, X.astype(np.float32))
    np.testing.assert_array_equal(data.y_train, np.array(Y_, dtype=np.float32))
    assert data.task == "regression"
    assert data.x_test.shape == (0, 2)
    assert data.y_test.shape == (0, 1)


def test_yogurt_rows_and_seed():
    rdm = np.random.RandomState(1)
    X = rdm.rand(5, 2)
    Y_ = [[x1 + x2 + (rdm.rand() / 10.0 - 0.05)] for (x1, x2) in X]
    data = nnfw.dataset("yogurt", seed=1, rows=5)
    np.testing.assert_array_equal(data.y_train, np.array(Y_, dtype=np.float32))
    with pytest.raises(nnfw.UsageError, match="rows"):
        nnfw.dataset("yogurt", rows=0)


# ---------------------------------------------------------------- dot


def agrees(value: float, text: str) -> bool:
    """True when ``value`` equals the file's ``text`` to the digits the file writes.

    Plain numbers are written to 9 decimals (trailing zeros dropped). A value in
    spreadsheet notation (``9.76E-06``) keeps only its significant digits.
    """
    written = Decimal(text)
    exponent = written.as_tuple().exponent if "e" in text.lower() else -9
    quantum = Decimal(1).scaleb(exponent)
    return Decimal(value).quantize(quantum) == written.quantize(quantum)


def test_dot_equals_the_lectures_csv_copy():
    with DOT_CSV.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["x1", "x2", "y_c"]
    cells = [row[:2] for row in rows[1:]]
    labels = np.array([int(row[2]) for row in rows[1:]])
    x, y_c = dot.points()
    assert x.shape == (300, 2)
    mismatched = [(i, j, x[i, j], text) for i, row in enumerate(cells)
                  for j, text in enumerate(row) if not agrees(x[i, j], text)]
    assert mismatched == []
    assert all(Decimal(repr(float(v))).as_tuple().exponent >= -9 for v in x.ravel())  # rounded
    assert sum("e" in text.lower() for row in cells for text in row) == 1  # one spreadsheet cell
    np.testing.assert_array_equal(y_c, labels)
    assert (int((labels == 1).sum()), int((labels == 0).sum())) == (188, 112)

    data = nnfw.dataset("dot")
    np.testing.assert_array_equal(data.x_train, x.astype(np.float32))
    np.testing.assert_array_equal(data.y_train, labels)
    assert data.num_classes == 2
    assert data.x_test.shape == (0, 2)


def test_dot_labels_follow_the_circle_rule_and_split():
    data = nnfw.dataset("dot", seed=4, rows=50, test_rows=10)
    assert (len(data.x_train), len(data.x_test)) == (40, 10)
    x = np.random.RandomState(4).randn(50, 2)
    np.testing.assert_allclose(np.concatenate([data.x_train, data.x_test]), x, atol=1e-6)
    inside = (x[:, 0] ** 2 + x[:, 1] ** 2 < 2).astype(int)
    np.testing.assert_array_equal(np.concatenate([data.y_train, data.y_test]), inside)
    with pytest.raises(nnfw.UsageError, match="test_rows"):
        nnfw.dataset("dot", rows=5, test_rows=5)


def test_importing_the_plugins_imports_no_heavy_library():
    code = ("import sys\n"
            "import nnfw_plugins.datasets.iris, nnfw_plugins.datasets.yogurt\n"
            "import nnfw_plugins.datasets.dot, nnfw_plugins.datasets.csv_file\n"
            "heavy = {'sklearn', 'tensorflow', 'keras', 'numpy'} & set(sys.modules)\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- csv: good files


def write(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    """Write ``text`` to a file in ``tmp_path``; return its path as a string."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def table(rows: list[list[object]], header: str = "x1,x2,label") -> str:
    """CSV text: the header line, then one line per row."""
    return header + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def test_csv_rows_are_split_by_the_seed_alone(tmp_path):
    rows = [[i, 10 * i, i % 3] for i in range(30)]
    path = write(tmp_path, table(rows))
    data = nnfw.dataset("csv", path=path, test_fraction=0.2, seed=3, standardize=False)
    assert data.task == "classification"
    assert data.num_classes == 3
    assert data.feature_names == ("x1", "x2")
    assert data.name == "data"  # the file's stem
    parts = [np.concatenate([x, y[:, None]], axis=1) for x, y in
             ((data.x_train, data.y_train), (data.x_test, data.y_test))]
    assert (len(parts[0]), len(parts[1])) == (24, 6)
    found = sorted(tuple(row) for row in np.concatenate(parts).tolist())
    assert found == sorted(tuple(float(v) for v in row) for row in rows)  # each row once
    assert data == nnfw.dataset("csv", path=path, test_fraction=0.2, seed=3, standardize=False)
    other = nnfw.dataset("csv", path=path, test_fraction=0.2, seed=4, standardize=False)
    assert not np.array_equal(other.x_test, data.x_test)


def test_csv_text_labels_map_to_ids_in_sorted_order(tmp_path):
    names = ["virginica", "setosa", "versicolor", "setosa", "virginica", "versicolor"]
    path = write(tmp_path, table([[i, i, name] for i, name in enumerate(names)],
                                 header="a,b,species"))
    data = nnfw.dataset("csv", path=path, test_fraction=0, standardize=False)
    assert data.num_classes == 3
    ids = {"setosa": 0, "versicolor": 1, "virginica": 2}
    for features, label in zip(data.x_train, data.y_train, strict=True):
        assert label == ids[names[int(features[0])]]


def test_csv_numeric_labels_sort_by_value_not_text(tmp_path):
    path = write(tmp_path, table([[1, 1, 10], [2, 2, 9], [3, 3, 10], [4, 4, 9]]))
    data = nnfw.dataset("csv", path=path, test_fraction=0, standardize=False)
    assert data.num_classes == 2
    for features, label in zip(data.x_train, data.y_train, strict=True):
        assert label == (0 if features[0] % 2 == 0 else 1)  # 9 -> 0, 10 -> 1


def test_csv_regression_target_by_name_in_the_middle(tmp_path):
    rows = [[i, i * 0.5 + 0.25, -i] for i in range(6)]
    path = write(tmp_path, table(rows, header="a,price,b"))
    data = nnfw.dataset("csv", path=path, target="price", test_fraction=0, standardize=False)
    assert data.task == "regression"
    assert data.feature_names == ("a", "b")
    assert data.y_train.shape == (6, 1)
    by_row = {int(f[0]): (f[1], t[0]) for f, t in zip(data.x_train, data.y_train, strict=True)}
    assert by_row == {i: (-i, i * 0.5 + 0.25) for i in range(6)}


def test_csv_auto_task_many_whole_numbers_is_regression_and_task_can_be_forced(tmp_path):
    many = write(tmp_path, table([[i, i, i] for i in range(21)]), "many.csv")
    assert nnfw.dataset("csv", path=many).task == "regression"
    few = write(tmp_path, table([[i, i, i] for i in range(20)]), "few.csv")
    assert nnfw.dataset("csv", path=few).task == "classification"
    forced = nnfw.dataset("csv", path=few, task="regression", test_fraction=0)
    assert forced.task == "regression"
    assert forced.y_train.shape == (20, 1)


def test_csv_split_sizes_round_and_keep_one_test_row(tmp_path):
    path = write(tmp_path, table([[i, i, i % 2] for i in range(10)]))
    sizes = {f: len(nnfw.dataset("csv", path=path, test_fraction=f).x_test)
             for f in (0.0, 0.01, 0.2, 0.25, 0.5)}
    assert sizes == {0.0: 0, 0.01: 1, 0.2: 2, 0.25: 3, 0.5: 5}


def test_csv_standardize_uses_the_training_part(tmp_path):
    rng = np.random.RandomState(0)
    values = rng.rand(20, 2) * [3.0, 50.0] + [1.0, -7.0]
    path = write(tmp_path, table([[a, b, i % 2] for i, (a, b) in enumerate(values.tolist())]))
    raw = nnfw.dataset("csv", path=path, test_fraction=0.25, standardize=False)
    data = nnfw.dataset("csv", path=path, test_fraction=0.25)  # standardized by default
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1.0, rtol=1e-6)
    train = raw.x_train.astype(np.float64)
    expected = (raw.x_test - train.mean(axis=0)) / train.std(axis=0)
    np.testing.assert_allclose(data.x_test, expected, rtol=1e-5, atol=1e-6)


def test_csv_accepts_quotes_spaces_bom_and_blank_lines(tmp_path):
    text = '\ufeff"x 1", x2 ,"label"\n1, 2 ,"a, b"\n\n3,4,c\n,,\n5,6,"a, b"\n\n'
    data = nnfw.dataset("csv", path=write(tmp_path, text), test_fraction=0)
    assert data.feature_names == ("x 1", "x2")
    assert len(data.x_train) == 3
    assert sorted(data.y_train.tolist()) == [0, 0, 1]


# ---------------------------------------------------------------- csv: bad files

BAD_FILES = [
    # (id, file text or None for no file, extra hyperparameters, words the message must hold)
    ("missing", None, {}, ["no such file"]),
    ("empty", "", {}, ["is empty", "header"]),
    ("blank-lines-only", "\n\n  \n", {}, ["is empty"]),
    ("header-only", "x1,x2,label\n", {}, ["no data rows"]),
    ("no-header", "1,2,0\n3,4,1\n5,6,0\n", {}, ["holds numbers, not column names", "header"]),
    ("one-column", "label\n0\n1\n", {}, ["one column"]),
    ("nameless-column", "x1,,label\n1,2,0\n3,4,1\n", {}, ["column 2 has no name"]),
    ("duplicate-column", "x,x,label\n1,2,0\n3,4,1\n", {}, ["'x' twice"]),
    ("ragged", "x1,x2,label\n1,2,0\n3,4\n5,6,1\n", {}, ["line 3", "2 values", "3 columns"]),
    ("text-feature", "x1,x2,label\n1,2,0\n3,abc,1\n", {},
     ["line 3", "column 'x2'", "'abc' is not a number"]),
    ("empty-feature", "x1,x2,label\n1,,0\n3,4,1\n", {}, ["line 2", "column 'x2'", "empty"]),
    ("nan-feature", "x1,x2,label\n1,2,0\nnan,4,1\n", {},
     ["line 3", "column 'x1'", "'nan' is a missing value", "missing=refuse"]),
    ("inf-feature", "x1,x2,label\n1,-inf,0\n3,4,1\n", {},
     ["line 2", "column 'x2'", "NaN and infinite"]),
    ("nan-target", "x1,x2,label\n1,2,0\n3,4,NaN\n", {}, ["line 3", "column 'label'", "NaN"]),
    ("empty-target", "x1,x2,label\n1,2,0\n3,4,\n", {}, ["line 3", "column 'label'", "empty"]),
    ("missing-target", "x1,x2,label\n1,2,0\n3,4,1\n", {"target": "lable"},
     ["no column 'lable'", "did you mean 'label'", "x1, x2"]),
    ("too-few-rows", "x1,x2,label\n1,2,0\n", {"test_fraction": 0.2},
     ["1 data row", "at least 1 training row and 1 test row"]),
    ("no-train-row", "x1,x2,label\n1,2,0\n3,4,1\n", {"test_fraction": 0.9},
     ["2 data row", "at least 1 training row"]),
    ("single-class", "x1,x2,label\n1,2,a\n3,4,a\n5,6,a\n", {"test_fraction": 0.0},
     ["column 'label'", "same class", "at least 2 classes"]),
    ("text-regression-target", "x1,x2,y\n1,2,0.5\n3,4,high\n", {"task": "regression"},
     ["line 3", "'high' is not a number", "regression targets"]),
]


@pytest.mark.parametrize(("text", "given", "words"), [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_csv_bad_file_is_one_clear_usage_error(tmp_path, text, given, words):
    path = str(tmp_path / "bad.csv") if text is None else write(tmp_path, text, "bad.csv")
    with pytest.raises(nnfw.UsageError) as caught:
        nnfw.dataset("csv", path=path, **given)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(path)
    for word in words:
        assert word in message


def test_csv_directory_binary_and_empty_path_are_usage_errors(tmp_path):
    with pytest.raises(nnfw.UsageError, match="is a directory"):
        nnfw.dataset("csv", path=str(tmp_path))
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81\x90 not text")
    with pytest.raises(nnfw.UsageError, match="not a text file"):
        nnfw.dataset("csv", path=str(binary))
    with pytest.raises(nnfw.UsageError, match="path is empty"):
        nnfw.dataset("csv", path="")
    with pytest.raises(nnfw.UsageError, match="needs path"):
        nnfw.dataset("csv")


def test_data_sets_compare_by_their_arrays() -> None:
    dot = nnfw.dataset("dot")
    assert dot == nnfw.dataset("dot")
    assert dot != nnfw.dataset("dot", seed=3)
    assert dot != nnfw.dataset("dot", test_rows=10)  # same rows, split elsewhere
    assert dot != "dot"
