"""The csv reader's fast path for files of numbers only gives what reading cell by cell gives.

Every file here is read twice, with the fast path (numpy's parser) and with it turned off
(the csv module and per-column conversion), and the two data sets must match bit for bit:
features, targets, parts, class names and the recorded preprocessing. No TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnfw
from nnfw_plugins.datasets import table_read


def both_ways(monkeypatch: pytest.MonkeyPatch, **params: object) -> tuple[nnfw.Dataset, nnfw.Dataset, bool]:
    """The data set read with the fast path, read cell by cell, and whether the fast path took it."""
    took = []
    fast_reader = table_read._number_table

    def watched(*args: object) -> table_read.Table | None:
        table = fast_reader(*args)
        took.append(table is not None)
        return table

    with monkeypatch.context() as patch:
        patch.setattr(table_read, "_number_table", watched)
        fast = nnfw.dataset("csv", **params)
    with monkeypatch.context() as patch:
        patch.setattr(table_read, "_number_table", lambda *args: None)
        slow = nnfw.dataset("csv", **params)
    return fast, slow, any(took)


def assert_same(fast: nnfw.Dataset, slow: nnfw.Dataset) -> None:
    for part in ("x_train", "y_train", "x_test", "y_test", "x_val", "y_val"):
        a, b = getattr(fast, part), getattr(slow, part)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), part
    assert (fast.task, fast.num_classes, fast.class_names, fast.feature_names) == \
        (slow.task, slow.num_classes, slow.class_names, slow.feature_names)
    assert fast.preprocessing == slow.preprocessing


numbers = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e30, 1e30, allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.6e}"),
    st.floats(-10, 10, allow_nan=False).map(lambda v: f"{v:.3f}"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.integers(6, 30), features=st.integers(1, 4), data=st.data(),
       separator=st.sampled_from([",", ";", "\t"]), ending=st.sampled_from(["\n", "\r\n"]),
       index=st.booleans(), last_newline=st.booleans(), regression=st.booleans())
def test_a_file_of_numbers_reads_the_same_either_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int, features: int,
        data: st.DataObject, separator: str, ending: str, index: bool, last_newline: bool,
        regression: bool) -> None:
    cells = [[data.draw(numbers) for _ in range(features)] for _ in range(rows)]
    labels = [data.draw(numbers) if regression else str(row % 3) for row in range(rows)]
    header = ([""] if index else []) + [f"x{i}" for i in range(features)] + ["label"]
    lines = [separator.join(header)] + [
        separator.join(([str(row)] if index else []) + cells[row] + [labels[row]])
        for row in range(rows)]
    path = tmp_path / "numbers.csv"
    path.write_bytes((ending.join(lines) + (ending if last_newline else "")).encode())
    fast, slow, took = both_ways(monkeypatch, path=str(path), test_fraction=0.2,
                                 validation_fraction=0.2, stratify=False)
    assert took
    assert_same(fast, slow)


@pytest.mark.parametrize("change", [
    "a blank line", "a quoted cell", "a missing cell", "a text cell", "an infinite value",
    "a value beyond float32", "a short row", "a lone carriage return", "a form feed",
    "a carriage return in the header"])
def test_files_the_fast_path_cannot_read_are_read_cell_by_cell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    lines = ["a,b,label"] + [f"{row / 7:.4f},{row * 3},{row % 2}" for row in range(20)]
    lines[5] = {"a blank line": lines[5] + "\n", "a quoted cell": '"0.5",1,0',
                "a missing cell": "0.5,,0", "a text cell": "0.5,x,0",
                "an infinite value": "0.5,inf,0", "a value beyond float32": "0.5,1e39,0",
                "a short row": "0.5,1", "a lone carriage return": "0.5,1\r2,0",
                "a form feed": "0.5,1\x0c,0", "a carriage return in the header": lines[5]}[change]
    if change == "a carriage return in the header":
        lines[0] = "a,b\rx,label"
    path = tmp_path / "changed.csv"
    path.write_text("\n".join(lines) + "\n")
    params = {"path": str(path), "missing": "mean"}
    try:
        fast, slow, took = both_ways(monkeypatch, **params)
    except nnfw.UsageError as error:  # refused: the same message either way
        with monkeypatch.context() as patch, pytest.raises(nnfw.UsageError) as slow_error:
            patch.setattr(table_read, "_number_table", lambda *args: None)
            nnfw.dataset("csv", **params)
        assert str(error) == str(slow_error.value)
        assert change in ("a text cell", "an infinite value", "a value beyond float32",
                          "a short row", "a lone carriage return", "a form feed",
                          "a carriage return in the header")
        return
    assert not took
    assert_same(fast, slow)


def test_test_rows_of_a_file_of_numbers_read_the_same_either_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    for name, count in (("train.csv", 40), ("test.csv", 12)):
        x = rng.standard_normal((count, 3))
        body = "\n".join(",".join(f"{v:.5f}" for v in row) + f",{i % 4}" for i, row in enumerate(x))
        (tmp_path / name).write_text("a,b,c,label\n" + body + "\n")
    fast, slow, _ = both_ways(monkeypatch, path=str(tmp_path / "train.csv"),
                              test_path=str(tmp_path / "test.csv"))
    assert_same(fast, slow)


def test_an_unknown_class_in_test_rows_is_the_same_line_either_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train.csv").write_text("a,label\n" + "".join(f"{i / 3:.3f},{i % 2}\n" for i in range(20)))
    (tmp_path / "test.csv").write_text("a,label\n0.5,0\n0.25,3\n")
    params = {"path": str(tmp_path / "train.csv"), "test_path": str(tmp_path / "test.csv")}
    messages = []
    for fast in (True, False):
        with monkeypatch.context() as patch, pytest.raises(nnfw.UsageError) as refused:
            if not fast:
                patch.setattr(table_read, "_number_table", lambda *args: None)
            nnfw.dataset("csv", **params)
        messages.append(str(refused.value))
    assert messages[0] == messages[1]
    assert "line 3" in messages[0] and "'3' is not a class of the training data" in messages[0]
