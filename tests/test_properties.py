"""Property-based tests of bad input (issue 6): whatever a person types or feeds in,
nnfw either accepts it, with values inside their declared bounds, or says why in
one line (a UsageError naming the option or file); it never fails otherwise.

Settings and data are checked without training; one small test runs ``nnfw train``.
"""

from __future__ import annotations

import math
import tomllib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli import cli

import nnfw
from nnfw.cli.common import parse_plugin_options
from nnfw.config.config_file import read_config
from nnfw.config.resolve import resolve_settings
from nnfw.config.scalars import INT32_MAX, SCALAR_BY_NAME
from nnfw.config.settings import SLOTS
from nnfw_plugins.datasets import csv_file

FEW = settings(max_examples=50, deadline=None, database=None)
TRUE, FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def registry() -> Any:
    return nnfw.registry()


def one_line(error: nnfw.UsageError) -> str:
    """The error's message, asserted to be one non-empty line."""
    message = str(error)
    assert message and len(message.splitlines()) == 1 and "\n" not in message, message
    return message


# ---------------------------------------------------------------- 1. option values

OPTIONS = ("lr", "epochs", "batch-size", "seed", "hidden", "bias", "on-nan", "checkpoint-seconds")
TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0", "-1", "1", "2", "0.5", "1e309", "-1e309", "nan", "inf", "-inf", " 7 ",
                     "1_000", "+3", "2147483647", "2147483648", "true", "No", "ON", "stop",
                     " continue", "16,8", "4,,2", "4,-2", "", "0x10", "1e3", "\u0661\u0662",
                     "5\n", "a\u2028b"]),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _number(kind: type, text: str) -> Any:
    """``kind(text)`` as Python reads it, or None."""
    try:
        return kind(text.strip())
    except ValueError:
        return None


def expected_value(name: str, text: str) -> Any:
    """What option ``name`` must become from ``text``, by the option's documented rule; None: refused."""
    raw = text.strip()
    if name in ("lr", "checkpoint-seconds"):
        number = _number(float, text)
        # lr: a normal float32 (float32 would turn smaller rates into 0, larger ones into inf)
        fits = number is not None and math.isfinite(number) and (
            float(np.finfo(np.float32).tiny) <= number <= float(np.finfo(np.float32).max)
            if name == "lr" else number >= 0)
        return number if fits else None
    if name in ("epochs", "batch-size", "seed"):
        number = _number(int, text)
        low, high = {"epochs": (1, INT32_MAX), "batch-size": (1, math.inf),
                     "seed": (-math.inf, math.inf)}[name]
        return number if number is not None and low <= number <= high else None
    if name == "bias":
        return raw.lower() in TRUE if raw.lower() in TRUE | FALSE else None
    if name == "on-nan":  # text settings are taken as given, spaces too
        return text if text in ("stop", "continue") else None
    sizes = [_number(int, part) for part in text.split(",") if part.strip()]
    if any(size is None or size < 1 for size in sizes):
        return None
    return ",".join(str(size) for size in sizes)


@FEW
@given(name=st.sampled_from(OPTIONS), text=TEXT)
def test_one_option_is_its_documented_value_or_one_line_naming_it(name: str, text: str) -> None:
    want = expected_value(name, text)
    try:
        got = resolve_settings(registry(), {}, {name: text}).scalars[name]
    except nnfw.UsageError as error:
        message = one_line(error)
        assert want is None, f"{text!r} refused: {message}"
        assert message.startswith(f"{name}: ")
        shown = {repr(text), repr(text.strip()), repr(_number(float, text)),
                 repr(_number(int, text))}
        assert any(s in message for s in shown), message
        return
    assert want is not None, f"{text!r} accepted as {got!r}"
    assert got == want and type(got) is type(want)


OPTIMIZERS = ["sgd", "sgdm", "adagrad", "rmsprop", "adam"]
DECLARED_KEYS = sorted({p.name for name in OPTIMIZERS for p in
                        nnfw.registry().get("optimizer", name).params})
KEYS = st.one_of(st.sampled_from(DECLARED_KEYS),
                 st.text(st.characters(blacklist_characters="=", blacklist_categories=("Cs",)),
                         max_size=8))


@FEW
@given(scalars=st.dictionaries(st.sampled_from(OPTIONS), TEXT, max_size=4),
       optimizer=st.sampled_from([None, *OPTIMIZERS]),
       pairs=st.lists(st.tuples(KEYS, TEXT), max_size=3))
def test_options_and_optimizer_keys_give_valid_settings_or_one_line(
        scalars: dict[str, str], optimizer: str | None, pairs: list[tuple[str, str]]) -> None:
    args = [item for key, value in pairs for item in (f"--optimizer.{key}", value)]
    options: dict[str, Any] = {**scalars, "optimizer": optimizer}
    chosen = optimizer or "sgd"
    declared = {p.name: p for p in registry().get("optimizer", chosen).params}
    given_keys = [key for key, _ in pairs]
    try:
        found = resolve_settings(registry(), {}, options, parse_plugin_options(args))
    except nnfw.UsageError as error:
        message = one_line(error)
        unknown = [key for key in given_keys if key not in declared]
        if unknown:  # plugin settings are checked first, and names before values
            assert (f"optimizer {chosen!r} has no hyperparameter {unknown[0]!r}" in message
                    or f"optimizer {chosen!r} has no hyperparameters (got {unknown[0]!r})" in message)
        else:
            owners = [f"{name}: " for name in scalars] + [f"optimizer {chosen!r}."]
            assert any(message.startswith(owner) for owner in owners), message
        return
    assert set(given_keys) <= set(declared)
    for name, value in found.params["optimizer"].items():
        assert declared[name].check(value) == value
    for name, value in found.scalars.items():
        SCALAR_BY_NAME[name].check(value)
        if name in scalars:
            assert value == expected_value(name, scalars[name])
    assert found.scalars["lr"] > 0 and 1 <= found.scalars["epochs"] <= INT32_MAX
    assert found.scalars["batch-size"] >= 1 and found.scalars["on-nan"] in ("stop", "continue")
    assert found.scalars["checkpoint-seconds"] >= 0
    assert all(size >= 1 for size in found.hidden)


# ---------------------------------------------------------------- 2. CSV files

WEIRD_CELLS = st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e309", "1e39", "-1e39",
                               "3.4e38", "abc", "\u00e9", "\U0001d7d9", '"1"', '"a,b"', '" 2 "',
                               '"', "x\ny", "1_0", "1e-50", "\x00", "\ufeff1"])
NUMBER_CELLS = st.one_of(st.integers(-5, 5).map(str),
                         st.floats(-1e6, 1e6, allow_nan=False).map(repr))
CELLS = st.one_of(NUMBER_CELLS, NUMBER_CELLS, NUMBER_CELLS, WEIRD_CELLS,
                  st.floats().map(repr), st.text(max_size=4))
NAMES = st.one_of(st.sampled_from(["x1", "x2", "x3", "label", "y", "", "1", "\u540d", '"q"', "a b"]),
                  st.text(max_size=4))


@st.composite
def near_tables(draw: st.DrawFn) -> bytes:
    """Text close to a CSV table: random names, cells, row lengths, newlines, BOM, encoding."""
    width = draw(st.integers(1, 4))
    header = draw(st.lists(NAMES, min_size=width, max_size=width))
    lengths = st.one_of(st.just(width), st.just(width), st.integers(0, 5))
    rows = draw(st.lists(lengths.flatmap(lambda n: st.lists(CELLS, min_size=n, max_size=n)),
                         max_size=10))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(",".join(row) for row in [header, *rows])
    text += draw(st.sampled_from(["", newline, newline * 2]))
    if draw(st.booleans()):
        text = "\ufeff" + text
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@st.composite
def one_bad_cell(draw: st.DrawFn) -> bytes:
    """A valid table of 3 columns and 6 rows with one cell replaced by an odd one."""
    rows = [["x1", "x2", "label"], *([repr(draw(NUMBER_CELLS.map(float))), str(i), str(i % 2)]
                                     for i in range(6))]
    row, column = draw(st.integers(0, 6)), draw(st.integers(0, 2))
    rows[row][column] = draw(WEIRD_CELLS)
    return "\n".join(",".join(cells) for cells in rows).encode()


CSV_BYTES = st.one_of(st.binary(max_size=120), st.text(max_size=120).map(str.encode),
                      near_tables(), near_tables(), one_bad_cell(), one_bad_cell())


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the files the examples write (one file, overwritten)."""
    return tmp_path_factory.mktemp("properties")


def check_dataset(data: nnfw.Dataset) -> None:
    """A loaded data set: finite float32 tables of one width, labels or targets that fit."""
    width = data.num_features
    assert width >= 1 and len(data.x_train) >= 1
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == width
        assert np.all(np.isfinite(x)) and len(y) == len(x)
        if data.task == "classification":
            assert y.ndim == 1 and y.dtype == np.int32
            assert np.all((y >= 0) & (y < data.num_classes))
        else:
            assert y.dtype == np.float32 and y.shape == (len(x), 1) and np.all(np.isfinite(y))
    if data.task == "classification":
        assert data.num_classes >= 2
    assert len(data.feature_names) == width


@FEW
@given(content=CSV_BYTES, task=st.sampled_from(csv_file.TASKS),
       test_fraction=st.sampled_from([0.0, 0.2, 0.5, 0.9]),
       target=st.sampled_from(["", "label", "y", "x1", "nope"]))
def test_any_csv_loads_a_valid_dataset_or_one_line_naming_the_file(
        scratch: Path, content: bytes, task: str, test_fraction: float, target: str) -> None:
    path = scratch / "data.csv"
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would be stray lines on stderr
        # nnfw's own one-line warnings are meant (a class too small to stratify the split)
        warnings.simplefilter("ignore", nnfw.NnfwWarning)
        try:
            data = csv_file.build(path=str(path), target=target, task=task,
                                  test_fraction=test_fraction)
        except nnfw.UsageError as error:
            assert str(path) in one_line(error)
            return
    check_dataset(data)


@st.composite
def valid_tables(draw: st.DrawFn) -> tuple[list[list[float]], list[int]]:
    """Finite float32-sized features and 2..4 integer classes, with every class present."""
    classes = draw(st.integers(2, 4))
    rows = draw(st.integers(classes + 1, 12))
    width = draw(st.integers(1, 3))
    value = st.floats(-3e38, 3e38, allow_nan=False, allow_infinity=False)
    x = draw(st.lists(st.lists(value, min_size=width, max_size=width), min_size=rows,
                      max_size=rows))
    y = [*range(classes), *draw(st.lists(st.integers(0, classes - 1), min_size=rows - classes,
                                         max_size=rows - classes))]
    return x, y


@FEW
@given(table=valid_tables(), crlf=st.booleans(), bom=st.booleans())
def test_a_valid_csv_always_loads_with_its_values(scratch: Path,
                                                  table: tuple[list[list[float]], list[int]],
                                                  crlf: bool, bom: bool) -> None:
    x, y = table
    names = [f"x{i + 1}" for i in range(len(x[0]))]
    newline = "\r\n" if crlf else "\n"
    lines = [",".join([*names, "label"]), *(",".join([*map(repr, row), str(label)])
                                            for row, label in zip(x, y, strict=True))]
    path = scratch / "valid.csv"
    path.write_text(("\ufeff" if bom else "") + newline.join(lines) + newline, encoding="utf-8",
                    newline="")
    data = csv_file.build(path=str(path), task="classification", test_fraction=0,
                          standardize=False)  # standardized by default since #14
    check_dataset(data)
    order = np.random.RandomState(0).permutation(len(x))
    np.testing.assert_array_equal(data.x_train, np.array(x, dtype=np.float32)[order])
    np.testing.assert_array_equal(data.y_train, np.array(y)[order])
    assert data.num_classes == len(set(y)) and data.feature_names == tuple(names)


# ---------------------------------------------------------------- 3. TOML config files

KNOWN_KEYS = [*SLOTS, *SCALAR_BY_NAME]
CONFIG_KEYS = st.one_of(st.sampled_from(KNOWN_KEYS), st.sampled_from(KNOWN_KEYS),
                        st.sampled_from(["epocs", "Epochs", "learning-rate", "batch_size", "name",
                                         ""]))
VALUES = st.sampled_from([
    "0", "1", "2", "-3", "32", "200", "99999999999999999999", "1" + "0" * 400, "9" * 5000,
    "0.1", "1e-3", "inf", "-inf", "nan", "1.5", "0.0", "1e400", '"sgdm"', '"adam"', '"none"',
    '"rmsprp"', '"16,8"', '""',
    '"ten"', '"0.5"', '"3"', '"stop"', '"true"', '"yogurt"', '"mse"', "true", "false",
    "[4, 2]", "[]", "[0]", '["4"]', "[1.5]", "[[1]]", '{name = "sgdm", beta = 0.5}',
    '{name = "sgdm", betta = 0.5}', '{name = "exponential", decay = 1.5}', "{name = 3}",
    "{beta = 0.9}", '{name = "l2", scale = -1}', '{name = "yogurt", rows = 5}',
    '{name = "csv"}', '{name = "normal", stddev = 0}', "1979-05-27T07:32:00Z", "2023-02-30",
    "= =", '"unterminated',
])
PLUGIN_KEYS = st.sampled_from(["name", "beta", "betta", "decay", "scale", "rows", "stddev",
                               "value", "slope", "from_logits", "epsilon"])


@st.composite
def config_texts(draw: st.DrawFn) -> str:
    """Key = value lines (valid and invalid), then plugin tables, sometimes a junk line."""
    lines = [f'"{key}" = {value}' for key, value in
             draw(st.lists(st.tuples(CONFIG_KEYS, VALUES), max_size=5))]
    for slot in draw(st.lists(st.sampled_from(list(SLOTS)), max_size=2)):
        lines.append(f"[{slot}]")
        lines += [f"{key} = {value}" for key, value in
                  draw(st.lists(st.tuples(PLUGIN_KEYS, VALUES), max_size=3))]
    if draw(st.integers(0, 4)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=10)))
    return "\n".join(lines) + "\n"


@FEW
@given(text=config_texts())
def test_any_config_file_gives_settings_or_one_line(scratch: Path, text: str) -> None:
    path = scratch / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        found = resolve_settings(registry(), read_config(path))
    except nnfw.UsageError as error:
        one_line(error)
        return
    assert set(tomllib.loads(text)) <= set(KNOWN_KEYS)
    for slot, name in found.choices.items():
        assert name is None or name in registry().names(SLOTS[slot].kind)
    for name, value in found.scalars.items():
        SCALAR_BY_NAME[name].check(value)
    assert found.scalars["lr"] > 0 and 1 <= found.scalars["epochs"] <= INT32_MAX


# ---------------------------------------------------------------- 4. the command line, end to end

@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(optimizer=st.sampled_from([*OPTIMIZERS, "adamm"]),
       lr=st.sampled_from(["0.01", "0.5", "1e30", "0", "x"]),
       batch_size=st.sampled_from(["1", "16", "32", "33", "0"]),
       hidden=st.sampled_from(["", "3", "2,2", "0"]))
def test_train_one_epoch_succeeds_diverges_or_says_why(
        capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory,
        optimizer: str, lr: str, batch_size: str, hidden: str) -> None:
    out = tmp_path_factory.mktemp("cli") / "runs"
    code, _, err = cli(capsys, "train", "--dataset", "yogurt", "--loss", "mse", "--epochs", "1",
                       "--xla", "false", "--optimizer", optimizer, "--lr", lr,
                       "--batch-size", batch_size, "--hidden", hidden, "--out", str(out))
    assert "Traceback" not in err
    assert code in (0, 2, 4), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("nnfw: error: ")
        assert not out.exists()
    else:
        runs = list(out.iterdir())
        assert len(runs) == 1 and (runs[0] / "summary.json").is_file()
