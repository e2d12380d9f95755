"""Every bad input is one clear line (issue 6): ``nnfw: error: ...`` on stderr, exit code 2.

Each case checks the exit code, that stderr is exactly one line without a traceback,
that the message names the bad value and what is accepted (with a close match for
mistyped names), and, where the error is found before training, that nothing was
written: no run directory (not even the --out folder) exists afterwards.
test_cli.py holds the first few of these cases; this file covers the rest of the list.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_cli import BUILT_INS, cli

import nnfw
import nnfw.config.resolve

Run = tuple[int, str, str]


def one_error_line(result: Run, *words: str, exit_code: int = 2) -> str:
    """Assert ``result`` is one ``nnfw: error:`` line holding ``words``; return the message."""
    code, _, err = result
    lines = err.strip().splitlines()
    assert code == exit_code, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("nnfw: error: "), err
    message = lines[0].removeprefix("nnfw: error: ")
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


def train_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> Run:
    """``nnfw train ARGS --out tmp_path/runs``; asserts it wrote nothing there."""
    out = tmp_path / "runs"
    result = cli(capsys, "train", *args, "--out", str(out))
    assert not out.exists(), f"{out} was created: {list(out.iterdir())}"
    return result


# ---------------------------------------------------------------- unknown plugin names

SLOT_KINDS = {"dataset": "dataset", "model": "model", "optimizer": "optimizer", "loss": "loss",
              "schedule": "schedule", "activation": "activation",
              "output-activation": "activation", "init": "initializer",
              "bias-init": "initializer", "regularizer": "regularizer", "strategy": "strategy"}
TYPOS = [  # (slot, mistyped name, the close match nnfw should suggest)
    ("dataset", "irs", "iris"),
    ("model", "dens", "dense"),
    ("optimizer", "adamm", "adam"),
    ("loss", "cross_entropy", "cross-entropy"),
    ("schedule", "exponental", "exponential"),
    ("activation", "rlu", "relu"),
    ("output-activation", "softmx", "softmax"),
    ("init", "he_normal", "he-normal"),
    ("bias-init", "zero", "zeros"),
    ("regularizer", "l22", "l2"),
    ("strategy", "mirored", "mirrored"),
]


def test_every_slot_has_a_typo_case() -> None:
    assert {slot for slot, _, _ in TYPOS} == set(SLOT_KINDS) == set(nnfw.config.settings.SLOTS)


@pytest.mark.parametrize(("slot", "typo", "guess"), TYPOS, ids=[t[0] for t in TYPOS])
def test_unknown_plugin_name_suggests_the_closest(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path, slot: str, typo: str,
                                                  guess: str) -> None:
    kind = SLOT_KINDS[slot]
    message = one_error_line(train_fails(capsys, tmp_path, f"--{slot}", typo),
                             f"unknown {kind} {typo!r}", f"did you mean {guess!r}?",
                             "Accepted: " + ", ".join(sorted(BUILT_INS[kind])))
    if slot != kind:  # --init and --bias-init both choose initializers: say which one is wrong
        assert message.startswith(f"{slot}: ")


def test_unknown_plugin_name_in_a_config_table(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[bias-init]\nname = "zero"\n')
    one_error_line(train_fails(capsys, tmp_path, "--config", str(config)),
                   "bias-init: unknown initializer 'zero'; did you mean 'zeros'?")


# ---------------------------------------------------------------- unknown hyperparameters

KEY_TYPOS = [  # (plugin choice, mistyped --slot.key, the owner named, the close match)
    (["--optimizer", "adam"], "--optimizer.beta_1", "optimizer 'adam'", "beta1"),
    (["--schedule", "exponential"], "--schedule.decy", "schedule 'exponential'", "decay"),
    (["--dataset", "yogurt", "--loss", "cost-profit"], "--loss.cots", "loss 'cost-profit'", "cost"),
    (["--activation", "leaky-relu"], "--activation.slop", "activation 'leaky-relu'", "slope"),
    (["--output-activation", "leaky-relu"], "--output-activation.slop",
     "output-activation 'leaky-relu'", "slope"),
    (["--init", "normal"], "--init.stdev", "init 'normal'", "stddev"),
    (["--bias-init", "constant"], "--bias-init.valu", "bias-init 'constant'", "value"),
    (["--regularizer", "l2"], "--regularizer.scal", "regularizer 'l2'", "scale"),
    (["--dataset", "yogurt"], "--dataset.row", "dataset 'yogurt'", "rows"),
]


@pytest.mark.parametrize(("choice", "option", "owner", "guess"), KEY_TYPOS,
                         ids=[k[1] for k in KEY_TYPOS])
def test_mistyped_hyperparameter_key(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     choice: list[str], option: str, owner: str,
                                     guess: str) -> None:
    key = option.split(".", 1)[1]
    one_error_line(train_fails(capsys, tmp_path, *choice, option, "1"),
                   f"{owner} has no hyperparameter {key!r}", f"did you mean {guess!r}?",
                   "Accepted: ")


@pytest.mark.parametrize("args", [
    ["--optimizer.beta", "0.9"],  # the default optimizer, sgd, has no hyperparameters
    ["--schedule.decay", "0.5"],  # the default schedule, constant, has none either
], ids=["sgd", "constant-schedule"])
def test_hyperparameter_of_a_plugin_without_any(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path, args: list[str]) -> None:
    key = args[0].split(".")[1]
    one_error_line(train_fails(capsys, tmp_path, *args), f"has no hyperparameters (got {key!r})")


def test_hyperparameter_for_no_regularizer(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    one_error_line(train_fails(capsys, tmp_path, "--regularizer.scale", "0.1"),
                   "regularizer: hyperparameters ['scale'] given but no regularizer chosen")


def test_unknown_slot_and_stray_argument(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    one_error_line(train_fails(capsys, tmp_path, "--bias_init.value", "1"),
                   "unknown plugin setting '--bias_init.value'; did you mean '--bias-init.KEY'?")
    one_error_line(train_fails(capsys, tmp_path, "--learning-rate", "0.1"),
                   "unexpected argument '--learning-rate'")
    one_error_line(train_fails(capsys, tmp_path, "--optimizer", "sgdm", "--optimizer.beta"),
                   "--optimizer.beta needs a value")


# ---------------------------------------------------------------- values out of type or range

LR_RANGE = "[1.1754943508222875e-38, 3.4028234663852886e+38]"  # float32's normal numbers
BAD_VALUES = [  # (args, words of the message: the bad value and what is accepted)
    (["--lr", "0"], ["lr: 0.0 is out of range", f"accepted: a number in {LR_RANGE}"]),
    (["--lr", "fast"], [f"lr: 'fast' is not a number in {LR_RANGE}"]),
    (["--lr", "nan"], [f"lr: nan is not a number in {LR_RANGE}"]),
    (["--lr", "1e999"], ["lr: inf is out of range", LR_RANGE]),
    # float32 turns these into 0 and infinity
    (["--lr", "1e-46"], ["lr: 1e-46 is out of range", LR_RANGE]),
    (["--lr", "1e308"], ["lr: 1e+308 is out of range", LR_RANGE]),
    (["--epochs", "1.5"], ["epochs: '1.5' is not a whole number in [1, 2147483647]"]),
    (["--epochs", "-3"], ["epochs: -3 is out of range", "[1, 2147483647]"]),
    # the training loop counts epochs in int32: more used to crash with OverflowError
    (["--epochs", "99999999999"], ["epochs: 99999999999 is out of range", "[1, 2147483647]"]),
    (["--batch-size", "0"], ["batch-size: 0 is out of range", "a whole number in [1, inf)"]),
    (["--batch-size", "ten"], ["batch-size: 'ten' is not a whole number"]),
    (["--schedule", "exponential", "--schedule.decay", "1.5"],
     ["schedule 'exponential'.decay: 1.5 is out of range", "accepted: a number in (0, 1]"]),
    (["--schedule", "exponential", "--schedule.decay", "0"],
     ["schedule 'exponential'.decay: 0.0 is out of range", "accepted: a number in (0, 1]"]),
    (["--regularizer", "l2", "--regularizer.scale", "-1"],
     ["regularizer 'l2'.scale: -1.0 is out of range", "accepted: a number in [0, inf)"]),
    (["--optimizer", "adam", "--optimizer.beta1", "1"],
     ["optimizer 'adam'.beta1: 1.0 is out of range", "[0, 1)"]),
    (["--seed", "random"], ["seed: 'random' is not a whole number"]),
    (["--bias", "maybe"], ["bias: 'maybe' is not true or false"]),
    (["--xla", "2"], ["xla: '2' is not true or false"]),
    (["--on-nan", "halt"], ["on-nan: 'halt' is not one of stop, continue"]),
    (["--checkpoint-seconds", "-1"], ["checkpoint-seconds: -1.0 is out of range", "[0, inf)"]),
    (["--hidden", "16,0"], ["hidden: '16,0' is not a list of positive layer sizes like '16,8'"]),
    (["--hidden", "4.5"], ["hidden: '4.5' is not a list of positive layer sizes"]),
    (["--loss", "cross-entropy", "--loss.from_logits", "perhaps"],
     ["loss 'cross-entropy'.from_logits: 'perhaps' is not true or false"]),
    # a number without declared bounds must still be finite (inf weights used to "diverge")
    (["--init", "constant", "--init.value", "inf"],
     ["init 'constant'.value: inf is out of range", "accepted: a finite number"]),
    (["--bias-init", "normal", "--bias-init.stddev", "0"],
     ["bias-init 'normal'.stddev: 0.0 is out of range", "(0, inf)"]),
    (["--dataset", "yogurt", "--dataset.rows", "0"],
     ["dataset 'yogurt'.rows: 0 is out of range", "[1, inf)"]),
    (["--dataset", "csv"], ["dataset 'csv' needs path (the CSV file to read)"]),
    (["--dataset", "csv", "--dataset.path", "x.csv", "--dataset.task", "cluster"],
     ["dataset 'csv'.task: 'cluster' is not one of auto, classification, regression"]),
    (["--dataset", "csv", "--dataset.path", "x.csv", "--dataset.test_fraction", "1"],
     ["dataset 'csv'.test_fraction: 1.0 is out of range", "[0, 1)"]),
]


@pytest.mark.parametrize(("args", "words"), BAD_VALUES, ids=[" ".join(a) for a, _ in BAD_VALUES])
def test_bad_value(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
                   words: list[str]) -> None:
    # a dataset's path that does not exist would be reported later: the value check comes first
    one_error_line(train_fails(capsys, tmp_path, *args), *words)


@pytest.mark.parametrize(("args", "rows", "name"), [
    (["--batch-size", "121"], 120, "iris"),
    (["--dataset", "yogurt", "--loss", "mse", "--batch-size", "33"], 32, "yogurt"),
    (["--dataset", "dot", "--dataset.rows", "10", "--dataset.test_rows", "4",
      "--batch-size", "7"], 6, "dot"),
], ids=["iris", "yogurt", "dot"])
def test_batch_size_larger_than_the_data(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         args: list[str], rows: int, name: str) -> None:
    size = args[-1]
    one_error_line(train_fails(capsys, tmp_path, *args),
                   f"batch-size: {size} is larger than the {rows} training rows of {name!r}",
                   f"accepted: 1..{rows}")


@pytest.mark.parametrize(("args", "words"), [
    (["--dataset", "yogurt", "--loss", "cross-entropy"],
     ["loss 'cross-entropy' fits classification data", "'yogurt' is regression",
      "losses that fit: cost-profit, mse"]),
    (["--loss", "cost-profit"],
     ["loss 'cost-profit' fits regression data", "'iris' is classification",
      "losses that fit: cross-entropy, mse"]),
], ids=["cross-entropy-on-regression", "cost-profit-on-classes"])
def test_loss_that_does_not_fit_the_data_writes_nothing(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path, args: list[str],
                                                        words: list[str]) -> None:
    one_error_line(train_fails(capsys, tmp_path, *args), *words)


# ---------------------------------------------------------------- config files

BAD_CONFIGS = [  # (id, file text, words of the message)
    ("unclosed-table", "[optimizer\nname = 'sgd'\n", ["is not valid TOML", "line 1"]),
    ("duplicate-key", "epochs = 3\nepochs = 4\n", ["is not valid TOML"]),
    ("unknown-key", "learning_rate = 0.1\n", ["unknown setting 'learning_rate'", "Accepted: "]),
    ("unknown-key-in-plugin-table", '[optimizer]\nname = "sgdm"\nbetta = 0.9\n',
     ["optimizer 'sgdm' has no hyperparameter 'betta'; did you mean 'beta'?"]),
    ("text-for-epochs", 'epochs = "ten"\n', ["epochs: 'ten' is not a whole number"]),
    ("float-for-epochs", "epochs = 2.5\n", ["epochs: 2.5 is not a whole number"]),
    ("bool-for-lr", "lr = true\n", [f"lr: True is not a number in {LR_RANGE}"]),
    ("nan-lr", "lr = nan\n", ["lr: nan is not a number"]),
    ("int-for-hidden", "hidden = 4\n", ["hidden: 4 is not a list of positive layer sizes",
                                        "[16, 8]"]),
    ("zero-in-hidden", "hidden = [4, 0]\n", ["hidden: [4, 0] is not a list of positive"]),
    ("number-for-plugin", "optimizer = 3\n", ["optimizer: 3 is not a plugin name or a table"]),
    ("number-for-plugin-name", "[optimizer]\nname = 3\n", ["optimizer.name: 3 is not a plugin"]),
    ("number-for-path", '[dataset]\nname = "csv"\npath = 5\n',
     ["dataset 'csv'.path: 5 is not text"]),
    ("decay-out-of-range", '[schedule]\nname = "exponential"\ndecay = 1.5\n',
     ["schedule 'exponential'.decay: 1.5 is out of range", "(0, 1]"]),
    # numbers beyond float's range or Python's 4300-digit limit used to raise tracebacks
    ("int-beyond-float", "lr = 1" + "0" * 400 + "\n",
     ["lr: a whole number of about 401 digits is out of range", LR_RANGE]),
    ("int-beyond-python", "epochs = 1" + "0" * 5000 + "\n", ["holds a number too long to read"]),
    ("not-utf8", b"epochs = 3 # \xff\xfe\n", ["is not UTF-8 text"]),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str | bytes,
                         words: list[str]) -> None:
    config = tmp_path / "bad.toml"
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text)
    one_error_line(train_fails(capsys, tmp_path, "--config", str(config)), *words)


def test_missing_config_file_or_a_directory(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "c.toml"
    one_error_line(train_fails(capsys, tmp_path, "--config", str(missing)),
                   f"config file {str(missing)!r}: no such file")
    one_error_line(train_fails(capsys, tmp_path, "--config", str(tmp_path)),
                   f"config file {str(tmp_path)!r}: is a directory")
    one_error_line(train_fails(capsys, tmp_path, "--config", "yogurt_mse"),
                   "unknown experiment 'yogurt_mse'; did you mean 'yogurt-mse'?")


def test_numbers_in_quotes_read_like_options() -> None:
    # a config file's "0.5" is read as the command line's 0.5 is: plugin tables always did so
    registry = nnfw.registry()
    quoted = nnfw.config.resolve.resolve_settings(registry, {"epochs": "3", "lr": "0.5", "bias": "no",
                                                       "optimizer": {"name": "sgdm",
                                                                     "beta": "0.5"}})
    plain = nnfw.config.resolve.resolve_settings(registry, {"epochs": 3, "lr": 0.5, "bias": False,
                                                      "optimizer": {"name": "sgdm", "beta": 0.5}})
    assert quoted == plain
    assert quoted.scalars["epochs"] == 3 and quoted.scalars["bias"] is False


# ---------------------------------------------------------------- CSV files

def csv_case(tmp_path: Path, text: str | None) -> Path:
    path = tmp_path / "data.csv"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    return path


BAD_CSVS = [  # (id, file text or None: no file, extra args, words of the message)
    ("missing", None, [], ["no such file"]),
    ("empty", "", [], ["the file is empty", "header line"]),
    ("no-header", "1,2,0\n3,4,1\n", [], ["holds numbers, not column names", "'x1,x2,label'"]),
    ("ragged", "x1,x2,label\n1,2,0\n3,4\n", [], ["line 3: 2 values", "names 3 columns"]),
    ("text-feature", "x1,x2,label\n1,two,0\n3,4,1\n", [],
     ["line 2, column 'x2': 'two' is not a number", "feature columns must hold numbers"]),
    # NaN is a missing value (#14), refused unless the data set imputes it
    ("nan", "x1,x2,label\n1,2,0\nnan,4,1\n", [],
     ["line 3, column 'x1': 'nan' is a missing value", "missing=refuse", "set missing to mean"]),
    ("inf", "x1,x2,label\n1,inf,0\n3,4,1\n", [], ["line 2, column 'x2': 'inf'", "NaN and infinite"]),
    # beyond float32 used to become inf with a RuntimeWarning, a 3-line stderr without line/column
    ("beyond-float32", "x1,x2,label\n1,2,0\n3,1e39,1\n", [],
     ["line 3, column 'x2': '1e39' is too large", "float32"]),
    ("target-beyond-float32", "x1,x2,y\n1,2,0.5\n3,4,-1e39\n5,6,0.25\n", ["--loss", "mse"],
     ["line 3, column 'y': '-1e39' is too large"]),
    ("too-few-rows", "x1,x2,label\n1,2,0\n", [],
     ["1 data row(s) are too few for test_fraction 0.2", "at least 1 training row and 1 test"]),
    ("missing-target", "x1,x2,label\n1,2,0\n3,4,1\n", ["--dataset.target", "class"],
     ["no column 'class'", "Accepted: label, x1, x2"]),
    ("mistyped-target", "x1,x2,label\n1,2,0\n3,4,1\n", ["--dataset.target", "lable"],
     ["no column 'lable'; did you mean 'label'?"]),
    # "one-hot labels with the wrong number of classes" cannot happen: the csv plugin turns any
    # label column into class ids 0..n-1 itself; the nearest real case is a single class
    ("one-class", "x1,x2,label\n1,2,a\n3,4,a\n5,6,a\n7,8,a\n9,0,a\n", [],
     ["column 'label': every row has the same class ('a')", "at least 2 classes"]),
    ("text-regression-target", "x1,x2,y\n1,2,0.5\n3,4,high\n", ["--dataset.task", "regression"],
     ["line 3, column 'y': 'high' is not a number", "regression targets must be numbers"]),
]


@pytest.mark.parametrize(("text", "extra", "words"), [c[1:] for c in BAD_CSVS],
                         ids=[c[0] for c in BAD_CSVS])
def test_bad_csv_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str | None,
                      extra: list[str], words: list[str]) -> None:
    path = csv_case(tmp_path, text)
    message = one_error_line(train_fails(capsys, tmp_path, "--dataset", "csv", "--dataset.path",
                                         str(path), *extra), *words)
    assert message.startswith(str(path))


def test_csv_that_is_a_directory_or_binary(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    one_error_line(train_fails(capsys, tmp_path, "--dataset", "csv", "--dataset.path", str(folder)),
                   f"{folder}: is a directory")
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff")
    one_error_line(train_fails(capsys, tmp_path, "--dataset", "csv", "--dataset.path", str(binary)),
                   f"{binary}: not a text file")


def test_csv_path_with_a_newline_stays_one_line(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    path = tmp_path / "two\nlines.csv"
    one_error_line(train_fails(capsys, tmp_path, "--dataset", "csv", "--dataset.path", str(path)),
                   f"{str(path)!r}: no such file")


def test_csv_path_with_a_nul_character_is_a_usage_error(tmp_path: Path) -> None:
    # no command line can hold NUL, but a TOML file ("a\u0000b") or Python can
    with pytest.raises(nnfw.UsageError, match="cannot be read") as caught:
        nnfw.dataset("csv", path=f"{tmp_path}/a\0b.csv")
    assert "\n" not in str(caught.value)


# ---------------------------------------------------------------- nnfw.Dataset given bad arrays

X3 = np.zeros((3, 2))


@pytest.mark.parametrize(("given", "words"), [
    # class ids out of range: what "labels with the wrong number of classes" becomes here
    ({"y_train": [0, 1, 2], "num_classes": 2}, ["training labels", "class ids must lie in 0..1"]),
    ({"y_train": [0, -1, 1], "num_classes": 2}, ["class ids must lie in 0..1"]),
    ({"y_train": [0, 0, 0], "num_classes": 1}, ["classes in 2..", "num_classes=1"]),
    ({"y_train": [0, 0.5, 1], "num_classes": 2}, ["expected whole-number class ids in 0..1"]),
    ({"y_train": [0, np.inf, 1], "num_classes": 2}, ["expected whole-number class ids"]),
    ({"y_train": np.eye(2)[[0, 1, 0]], "num_classes": 2}, ["of shape (rows,)"]),
    # these three used to raise TypeError or wrap around silently
    ({"y_train": ["a", "b", "a"], "num_classes": 2}, ["expected whole-number class ids"]),
    ({"y_train": [None, 1, 0], "num_classes": 2}, ["expected whole-number class ids"]),
    ({"y_train": [0, 2**40, 1], "num_classes": 2**41}, ["classes in 2..2147483647"]),
], ids=["id-too-big", "negative-id", "one-class", "fraction", "inf", "one-hot", "text",
        "none", "int32-overflow"])
def test_dataset_rejects_bad_class_ids(given: dict, words: list[str]) -> None:
    with pytest.raises(nnfw.UsageError) as caught:
        nnfw.Dataset(X3, given["y_train"], np.zeros((0, 2)), np.zeros(0, int),
                     task="classification", num_classes=given["num_classes"], name="mine")
    message = str(caught.value)
    assert message.startswith("mine: ") and "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(("x", "words"), [
    ([[1.0, 2.0], [3.0]], ["training features: not a table of numbers"]),
    ([["a", "b"], ["c", "d"]], ["training features: not a table of numbers"]),
    (np.zeros((2, 0)), ["training features: no columns"]),
    ([[1.0, 1e39], [0.0, 0.0]], ["beyond float32's range"]),
], ids=["ragged", "text", "no-columns", "beyond-float32"])
def test_dataset_rejects_bad_features_without_warnings(x: object, words: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would be a second line on stderr
        with pytest.raises(nnfw.UsageError) as caught:
            nnfw.Dataset(x, np.zeros((2, 1)), np.zeros((0, 2)), np.zeros((0, 1)),
                         task="regression", name="mine")
    assert "\n" not in str(caught.value)
    for word in words:
        assert word in str(caught.value)


# ---------------------------------------------------------------- where runs go

def test_empty_out(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    # an empty --out used to put run directories in the current folder
    monkeypatch.chdir(tmp_path)
    one_error_line(cli(capsys, "train", "--out", " "), "out: the folder for run directories is empty")
    assert list(tmp_path.iterdir()) == []


def test_out_below_a_regular_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # tests run as root, whom a read-only folder does not stop; a file in the way does
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    out = blocker / "runs"
    one_error_line(cli(capsys, "train", "--dataset", "yogurt", "--loss", "mse", "--out", str(out)),
                   f"out: cannot create {str(out)!r}", "Not a directory")
    one_error_line(cli(capsys, "train", "--dataset", "yogurt", "--loss", "mse",
                       "--out", str(blocker)), f"out: {str(blocker)!r} is a file, not a folder")
    assert blocker.read_text() == "not a folder\n"
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


# ---------------------------------------------------------------- --resume

@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-epoch run directory; tests resume copies of it."""
    out = tmp_path_factory.mktemp("runs")
    return nnfw.train(epochs=2, out=str(out), dataset="yogurt", loss="mse", xla=False).run_dir


def copy_of(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    return copy


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_resume_a_folder_that_is_not_a_run(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    one_error_line(cli(capsys, "train", "--resume", str(tmp_path)),
                   f"--resume: {str(tmp_path)!r} is not a run directory (it has no settings.toml)")
    missing = tmp_path / "nothing-here"
    one_error_line(cli(capsys, "train", "--resume", str(missing)), "is not a run directory")
    assert not missing.exists() and list(tmp_path.iterdir()) == []


def test_resume_a_run_whose_settings_were_edited(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path, finished_run: Path) -> None:
    run = copy_of(finished_run, tmp_path)
    settings = run / "settings.toml"
    settings.write_text(settings.read_text().replace('hidden = ""', 'hidden = "7"'))
    before = snapshot(run)
    one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "4"),
                   f"--resume: {str(run / 'checkpoint.npz')!r} belongs to a different model")
    assert snapshot(run) == before


@pytest.mark.parametrize(("args", "words"), [
    (["--lr", "0.5"], ["only --epochs and --strategy may change, not --lr"]),
    (["--epochs", "4", "--optimizer", "adam"],
     ["only --epochs and --strategy may change, not --optimizer"]),
    (["--optimizer.beta", "0.5"], ["only --epochs and --strategy may change, not --optimizer.*"]),
    (["--config", "yogurt-mse"], ["--resume continues a run with its own settings; drop --config"]),
    (["--epochs", "0"], ["epochs: 0 is out of range"]),
], ids=["lr", "optimizer", "plugin-key", "config", "epochs-0"])
def test_resume_with_another_option(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                    finished_run: Path, args: list[str], words: list[str]) -> None:
    run = copy_of(finished_run, tmp_path)
    before = snapshot(run)
    one_error_line(cli(capsys, "train", "--resume", str(run), *args), *words)
    assert snapshot(run) == before


def test_resume_with_a_broken_settings_file_or_checkpoint(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path,
                                                          finished_run: Path) -> None:
    run = copy_of(finished_run, tmp_path)
    settings = run / "settings.toml"
    settings.write_text(settings.read_text().replace('name = "yogurt"', 'name = "iris"'))
    one_error_line(cli(capsys, "train", "--resume", str(run)),  # the error names the file
                   f"--resume: {str(settings)!r}: dataset 'iris' has no hyperparameter 'rows'")
    settings.write_text("epochs = = 2\n")
    one_error_line(cli(capsys, "train", "--resume", str(run)), "is not valid TOML")
    shutil.rmtree(run)
    run = copy_of(finished_run, tmp_path)
    (run / "checkpoint.npz").write_bytes(b"\x00junk" * 20)
    one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "3"),
                   f"--resume: {str(run / 'checkpoint.npz')!r} cannot be read")


def test_resume_with_a_truncated_zip_checkpoint(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path, finished_run: Path) -> None:
    run = copy_of(finished_run, tmp_path)
    (run / "checkpoint.npz").write_bytes(b"PK\x03\x04 cut short")
    one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "3"), "cannot be read")
