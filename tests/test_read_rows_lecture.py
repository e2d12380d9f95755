"""The lecture's data sets read new rows (a CSV naming their features) as they made their own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tabular_sets import write_table

import nnfw
from nnfw_plugins.datasets import dot, prepare


def read_rows(name: str, path: Path, data: nnfw.Dataset, **params):
    """``read_rows`` of the registered data set ``name``, as predict will call it."""
    entry = nnfw.registry().get("dataset", name)
    return entry.extras["read_rows"](str(path), data.preprocessing, **params)


@pytest.mark.parametrize("standardize", [False, True])
def test_iris_test_rows_read_back_bit_for_bit(tmp_path: Path, standardize: bool) -> None:
    from sklearn.datasets import load_iris

    iris = load_iris()
    data = nnfw.dataset("iris", standardize=standardize)
    held = prepare.permutation(150, 116)[-30:]  # the lecture's split: the last 30 shuffled rows
    rows = [[*row, int(t)] for row, t in zip(iris.data[held].tolist(), iris.target[held],
                                             strict=True)]
    path = write_table(tmp_path / "new.csv", [*data.feature_names, "target"], rows)
    x, y = read_rows("iris", path, data, seed=116, test_rows=30, standardize=standardize)
    assert x.tobytes() == data.x_test.tobytes()
    np.testing.assert_array_equal(y, data.y_test)
    assert ("mean" in data.preprocessing["columns"][0]) is standardize
    unlabelled = write_table(tmp_path / "x.csv", list(data.feature_names),
                             [row[:-1] for row in rows])
    x, y = read_rows("iris", unlabelled, data, standardize=standardize)
    assert y is None and x.tobytes() == data.x_test.tobytes()


def test_dot_reads_the_lectures_csv_file_and_columns_in_any_order(tmp_path: Path) -> None:
    data = nnfw.dataset("dot")
    x, y = read_rows("dot", Path(__file__).parent / "data" / "dot.csv", data)
    # the lecture's file has 9 decimals, and one cell in spreadsheet notation with fewer
    np.testing.assert_allclose(x, data.x_train, atol=1e-9)
    np.testing.assert_array_equal(y, data.y_train)
    points, labels = dot.points()
    path = write_table(tmp_path / "new.csv", ["x2", "x1"], [[b, a] for a, b in points.tolist()])
    x, y = read_rows("dot", path, data)
    assert y is None and x.tobytes() == data.x_train.tobytes()
    assert labels.tolist() == data.y_train.tolist()


def test_yogurt_rows_and_sales_read_back(tmp_path: Path) -> None:
    data = nnfw.dataset("yogurt")
    x64 = np.random.RandomState(23455).rand(32, 2)
    rows = [[*row, float(t)] for row, t in zip(x64.tolist(), data.y_train[:, 0], strict=True)]
    path = write_table(tmp_path / "new.csv", ["x1", "x2", "y_"], rows)
    x, y = read_rows("yogurt", path, data)
    assert x.tobytes() == data.x_train.tobytes()
    assert y.dtype == np.float32 and y.tobytes() == data.y_train.tobytes()
    path.write_text("x1,y_\n0.5,1.0\n")
    with pytest.raises(nnfw.UsageError, match=r"no column 'x2'.*feature columns are 'x1', 'x2'"):
        read_rows("yogurt", path, data)
