"""Every bad input of the csv data set and of read_rows is one line naming what is wrong."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import nnfw
from nnfw_plugins.datasets import table_rows

ROWS = "".join(f"{i},{i % 5},{'nsew'[i % 4]},{i % 2}\n" for i in range(12))
GOOD = "id,size,region,label\n" + ROWS  # region: text, one-hot encoded

BAD_BUILDS = [  # (id, file text, hyperparameters, words of the message after the path)
    ("unknown-drop", GOOD, {"drop": "idd"}, ["drop: no column 'idd'", "did you mean 'id'?"]),
    ("unknown-feature", GOOD, {"features": "size,sise"},
     ["features: no column 'sise'", "did you mean 'size'?", "Accepted: id, label, region, size"]),
    ("unknown-categorical", GOOD, {"categorical": "zone"}, ["categorical: no column 'zone'"]),
    ("categorical-target", GOOD, {"categorical": "label"},
     ["categorical names 'label', which is not a feature column"]),
    ("dropped-target", GOOD, {"drop": "label", "target": "label"},
     ["drop names the target column 'label'"]),
    ("nothing-left", GOOD, {"features": "id", "drop": "id"}, ["no feature column is left"]),
    ("missing-refused", "a,b,y\n1,2,0\n3,NA,1\n4,,0\n5,6,1\n", {"test_fraction": 0},
     ["line 3, column 'b': 'NA' is a missing value (and 1 more in this column)",
      "missing=refuse", "set missing to mean, median or most-frequent"]),
    ("missing-text-refused", "a,b,y\n1,x,0\n3,?,1\n4,y,0\n5,x,1\n", {"test_fraction": 0},
     ["line 3, column 'b': '?' is a missing value"]),
    ("missing-target", "a,y\n1,0\n2,NA\n3,1\n", {"missing": "mean", "test_fraction": 0},
     ["line 3, column 'y': the target is missing ('NA')", "every row needs a target"]),
    ("nothing-to-impute", "a,b,y\n1,NA,0\n2,NA,1\n3,,0\n4,?,1\n", {"missing": "median",
                                                                   "test_fraction": 0},
     ["column 'b': every training row misses this value", "drop"]),
    ("wrong-separator", "a;b;y\n1;2;0\n3;4;1\n", {"separator": "comma"},
     ["the file has one column, split by ','", "set separator to comma, semicolon, tab or pipe"]),
    ("empty", "", {}, ["the file is empty", "header line"]),
    ("blank", "\n \n\n", {}, ["the file is empty"]),
    ("header-only", "a,b,y\n", {}, ["no data rows"]),
    ("numbers-then-text", "a,b,y\n1,2,0\n3,4,1\n5,six,0\n7,8,1\n", {},
     ["line 4, column 'b': 'six' is not a number", "categorical"]),
    ("text-then-a-number", "a,b,y\n1,x,0\n3,y,1\n5,3,0\n7,x,1\n", {},
     ["line 4, column 'b': '3' is a number in a column of text", "categorical"]),
    ("decimal-commas", "a;b;y\n1,5;2;0\n2,25;3;1\n", {},
     ["line 2, column 'a': '1,5' is a number written with a decimal comma", "decimal point"]),
    ("too-many-categories", GOOD, {"max_categories": 3},
     ["column 'region': 4 different text values, more than max_categories (3)", "drop"]),
    ("nameless-column", "a,,y\n1,2,0\n3,4,1\n", {}, ["column 2 has no name"]),
    ("nameless-after-index", ",a,,y\n0,1,2,0\n1,3,4,1\n", {}, ["column 3 has no name"]),
    ("too-few-for-three-parts", "a,y\n1,0\n2,1\n3,0\n", {"validation_fraction": 0.4,
                                                        "test_fraction": 0.5},
     ["3 data row(s) are too few for test_fraction 0.5 and validation_fraction 0.4",
      "1 training row and 1 test row and 1 validation row"]),
    ("infinite", "a,y\n1,0\n-inf,1\n", {}, ["line 3, column 'a': '-inf' is not a finite number"]),
    ("no-header", "1,2,0\n3,4,1\n", {}, ["holds numbers, not column names", "header to false"]),
]


def one_line(call, path: Path, words: list[str]) -> str:
    """Call; assert it raises one UsageError line starting with ``path`` and holding ``words``."""
    with pytest.raises(nnfw.UsageError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path)), message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


@pytest.mark.parametrize(("text", "given", "words"), [c[1:] for c in BAD_BUILDS],
                         ids=[c[0] for c in BAD_BUILDS])
def test_bad_file_or_parameter_is_one_line(tmp_path: Path, text: str, given: dict,
                                           words: list[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    one_line(lambda: nnfw.dataset("csv", path=str(path), **given), path, words)


def learnt(tmp_path: Path, **given) -> dict:
    """The preprocessing of the data set of :data:`GOOD`."""
    path = tmp_path / "good.csv"
    path.write_text(GOOD)
    return nnfw.dataset("csv", path=str(path), test_fraction=0, **given).preprocessing


BAD_NEW_ROWS = [  # (id, file text, words)
    ("unseen-category", "size,region\n1,n\n2,west\n",
     ["line 3, column 'region': 'west' is a category not seen in training",
      "known categories: 'e', 'n', 's', 'w'"]),
    ("missing-feature-column", "sise,region,label\n1,n,0\n",
     ["no column 'size' (did you mean 'sise'?)", "feature columns are 'size', 'region'",
      "the file has 'sise', 'region', 'label'"]),
    ("missing-value", "size,region\n1,n\nNA,s\n", ["line 3, column 'size': 'NA' is a missing value"]),
    ("text-in-a-number-column", "size,region\n1,n\nbig,s\n",
     ["line 3, column 'size': 'big' is not a number", "held numbers in the training data"]),
    ("unknown-class", "size,region,label\n1,n,0\n2,s,2\n",
     ["line 3, column 'label': '2' is not a class of the training data",
      "known classes: '0', '1'"]),
    ("text-class", "size,region,label\n1,n,yes\n", ["line 2, column 'label': 'yes' is not a number"]),
    ("empty", "", ["the file is empty"]),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in BAD_NEW_ROWS],
                         ids=[c[0] for c in BAD_NEW_ROWS])
def test_bad_new_rows_are_one_line(tmp_path: Path, text: str, words: list[str]) -> None:
    preprocessing = learnt(tmp_path, drop="id")
    path = tmp_path / "new.csv"
    path.write_text(text)
    one_line(lambda: table_rows.read_rows(str(path), preprocessing), path, words)


def test_imputed_new_rows_are_filled_and_an_unseen_category_still_refused(tmp_path: Path) -> None:
    preprocessing = learnt(tmp_path, drop="id", missing="mean", standardize=False)
    path = tmp_path / "new.csv"
    path.write_text("region,size\n,NA\nn,4\n")
    x, y = table_rows.read_rows(str(path), preprocessing)
    assert y is None
    fills = [spec["fill"] for spec in preprocessing["columns"]]
    assert x[0].tolist() == [fills[0], *(float(fills[1] == c) for c in "ensw")]
    path.write_text("region,size\nx,1\n")
    one_line(lambda: table_rows.read_rows(str(path), preprocessing), path,
             ["line 2, column 'region': 'x' is a category not seen in training"])


def test_a_test_file_needs_the_target_and_known_categories(tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD)
    test = tmp_path / "test.csv"
    test.write_text("id,size,region\n1,2,n\n")
    one_line(lambda: nnfw.dataset("csv", path=str(path), test_path=str(test)), test,
             ["no target column 'label'", "test_path"])
    test.write_text("id,size,region,label\n1,2,n,0\n1,2,up,1\n")
    one_line(lambda: nnfw.dataset("csv", path=str(path), test_path=str(test)), test,
             ["line 3, column 'region': 'up' is a category not seen in training"])


def test_a_class_too_small_to_stratify_is_one_warning_and_a_plain_split(tmp_path: Path) -> None:
    path = tmp_path / "rare.csv"
    path.write_text("a,y\n" + "".join(f"{i},{'r' if i == 0 else 'ab'[i % 2]}\n" for i in range(20)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = nnfw.dataset("csv", path=str(path))
    messages = [str(w.message) for w in caught if issubclass(w.category, nnfw.NnfwWarning)]
    assert len(messages) == 1 and "\n" not in messages[0], messages
    assert "not stratified (a class has only 1 row)" in messages[0]
    assert (len(data.x_train), len(data.x_test), data.num_classes) == (16, 4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nnfw.dataset("csv", path=str(path), stratify=False)
