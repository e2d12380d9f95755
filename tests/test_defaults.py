"""Defaults for a user's own data, the lecture's experiments pinned to the lecture's choices,
run names that say what a run is, and the warning for a run that learnt nothing."""

from __future__ import annotations

import json
import re
import tomllib
import types
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from test_cli import cli

import nnfw
from nnfw.api import train_settings
from nnfw.cli.common import parse_plugin_options
from nnfw.compare.plan import plan_comparison
from nnfw.config.config_file import load_config
from nnfw.config.resolve import resolve_settings
from nnfw.rundirs.started import settings_text
from nnfw.testing import plugin_registry
from nnfw.training.checks import learnt_nothing

WITH_EPSILON = ("adagrad", "rmsprop", "adam")
STAMP = r"\d{8}-\d{6}"  # the start time that begins every run directory's name


def described_default(capsys: pytest.CaptureFixture[str], name: str, key: str) -> str:
    """The default ``nnfw describe NAME`` prints for hyperparameter ``key``."""
    code, out, _ = cli(capsys, "describe", name)
    assert code == 0
    found = re.search(rf"^    {key}: .*\(default ([^;]+);", out, re.MULTILINE)
    assert found, out
    return found.group(1)


# ---------------------------------------------------------------- epsilon

@pytest.mark.parametrize("name", WITH_EPSILON)
def test_the_default_epsilon_is_keras_own_described_and_used(
        capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert float(described_default(capsys, name, "epsilon")) == 1e-7
    optimizer = nnfw.optimizer(name, learning_rate=0.1)
    assert optimizer.get_config()["epsilon"] == 1e-7
    # a weight whose gradient is always 0 (a constant feature) stays finite with the default
    weights = tf.Variable([1.0, 1.0])
    for _ in range(3):
        optimizer.apply_gradients([(tf.constant([0.0, 0.5]), weights)])
    assert weights.numpy()[0] == 1.0 and 0.0 < weights.numpy()[1] < 1.0


# ---------------------------------------------------------------- the lecture, pinned

def experiments() -> list[str]:
    return [entry.name for entry in nnfw.registry().entries("experiment")]


@pytest.mark.parametrize("experiment", experiments())
@pytest.mark.parametrize("optimizer", WITH_EPSILON)
def test_a_lecture_config_gives_epsilon_0_to_the_optimizer_chosen_beside_it(
        experiment: str, optimizer: str) -> None:
    registry = nnfw.registry()
    pinned = resolve_settings(registry, load_config(registry, experiment), {"optimizer": optimizer})
    assert pinned.choices["optimizer"] == optimizer
    assert pinned.params["optimizer"]["epsilon"] == 0.0
    assert pinned.scalars["shuffle"] is False
    alone = resolve_settings(registry, {}, {"optimizer": optimizer})  # the user's defaults
    assert alone.params["optimizer"]["epsilon"] == 1e-7 and alone.scalars["shuffle"] is True


def test_the_command_line_the_api_and_compare_pin_the_lecture_alike() -> None:
    registry = nnfw.registry()
    # as nnfw train --config iris --optimizer rmsprop --optimizer.beta 0.8 resolves them
    given = train_settings("iris", parse_plugin_options(["--optimizer.beta", "0.8"]),
                           optimizer="rmsprop")
    assert given.params["optimizer"] == {"beta": 0.8, "epsilon": 0.0}
    run = nnfw.train("iris", optimizer="rmsprop", epochs=1)
    assert run.settings.params["optimizer"]["epsilon"] == 0.0
    plan = plan_comparison(registry, load_config(registry, "iris"),
                           {"optimizer": "sgd,sgdm,adagrad,rmsprop,adam"})
    params = {r.settings.choices["optimizer"]: r.settings.params["optimizer"] for r in plan.runs}
    assert params["sgd"] == {} and params["sgdm"] == {"beta": 0.9}  # they declare no epsilon
    assert all(params[name]["epsilon"] == 0.0 for name in WITH_EPSILON)


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_any_table_ranks_below_the_plugin_own_keys_and_the_command_line(tmp_path: Path) -> None:
    registry = nnfw.registry()
    config = load_config(registry, write(tmp_path / "mine.toml", (
        '[optimizer]\nname = "adam"\nbeta1 = 0.8\n[optimizer.any]\nepsilon = 0.5\nbeta1 = 0.7\n'
        "beta = 0.6\n")))
    own = resolve_settings(registry, config).params["optimizer"]
    assert own == {"beta1": 0.8, "beta2": 0.999, "epsilon": 0.5}  # adam declares no beta
    other = resolve_settings(registry, config, {"optimizer": "rmsprop"}).params["optimizer"]
    assert other == {"beta": 0.6, "epsilon": 0.5}  # adam's own beta1 is dropped, the table stays
    given = resolve_settings(registry, config, {"optimizer": "rmsprop"},
                             {"optimizer": {"epsilon": "1e-3"}}).params["optimizer"]
    assert given["epsilon"] == 1e-3


def test_the_resolved_settings_hold_plain_params_and_give_the_same_settings_again(
        tmp_path: Path) -> None:
    registry = nnfw.registry()
    settings = resolve_settings(registry, load_config(registry, "iris"), {"optimizer": "adam"})
    written = settings_text(settings)
    assert tomllib.loads(written)["optimizer"] == {"name": "adam", "beta1": 0.9, "beta2": 0.999,
                                                   "epsilon": 0.0}
    again = resolve_settings(registry, load_config(registry, write(tmp_path / "s.toml", written)))
    assert again == settings


@pytest.mark.parametrize(("table", "message"), [
    ("[optimizer.any]\nepsilom = 0.0\n",
     "optimizer.any: no installed optimizer declares the hyperparameter 'epsilom'; did you mean "
     "'epsilon'?"),
    ("[optimizer.any]\nepsilon = -1.0\n", "optimizer 'adam'.epsilon: -1.0 is out of range"),
    ("[optimizer]\nname = \"adam\"\nany = 3\n", "optimizer.any: 3 is not a table"),
])
def test_a_wrong_any_table_is_one_line(tmp_path: Path, table: str, message: str) -> None:
    registry = nnfw.registry()
    config = load_config(registry, write(tmp_path / "bad.toml", table))
    with pytest.raises(nnfw.UsageError) as caught:
        resolve_settings(registry, config, {"optimizer": "adam"})
    assert str(caught.value).startswith(message), caught.value


def test_a_value_for_an_optimizer_without_the_key_is_not_checked_against_another() -> None:
    registry = nnfw.registry()
    config = {"optimizer": {"name": "sgd", "any": {"epsilon": -1.0}}}
    assert resolve_settings(registry, config).params["optimizer"] == {}  # sgd takes no epsilon


# ---------------------------------------------------------------- run names

def run_dir_name(run: nnfw.training.runner.RunResult) -> str:
    assert run.run_dir is not None
    return run.run_dir.name


def saved_name(run_dir: Path) -> str:
    return tomllib.loads((run_dir / "settings.toml").read_text(encoding="utf-8"))["name"]


@pytest.mark.parametrize("experiment", ["dot-l2", "dot-plain"])
def test_an_experiment_names_its_runs(tmp_path: Path, experiment: str) -> None:
    run = nnfw.train(experiment, epochs=1, out=str(tmp_path))
    assert re.fullmatch(rf"{STAMP}-{experiment}-sgd", run_dir_name(run))
    assert run.title.startswith(f"{experiment}, sgd, mse")
    assert saved_name(run.run_dir) == experiment
    resumed = nnfw.train(resume=str(run.run_dir), epochs=2)
    assert resumed.title.startswith(f"{experiment}, sgd") and saved_name(run.run_dir) == experiment


def test_a_config_file_names_runs_by_its_stem(tmp_path: Path) -> None:
    config = write(tmp_path / "Small Iris.toml", 'dataset = "iris"\noptimizer = "sgd"\nepochs = 1\n')
    run = nnfw.train(config, out=str(tmp_path / "runs"))
    assert re.fullmatch(rf"{STAMP}-small-iris-sgd", run_dir_name(run))


def test_a_csv_run_is_named_by_its_data_set(tmp_path: Path) -> None:
    rows = [f"{i % 7 / 7},{i % 3},{i % 2}" for i in range(40)]
    path = write(tmp_path / "wine.csv", "\n".join(["a,b,kind", *rows]) + "\n")
    run = nnfw.train(dataset="csv", params={"dataset": {"path": path}}, optimizer="adam",
                     epochs=1, out=str(tmp_path / "runs"))
    # the data set's name: the file's stem once the csv data set names itself so, its file name
    # before; never the plugin's name 'csv'
    assert re.fullmatch(rf"{STAMP}-wine(\.csv)?-adam", run_dir_name(run))
    assert run.title.startswith(saved_name(run.run_dir) + ", adam")


def test_a_name_given_is_made_safe_for_a_folder(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    code, out, err = cli(capsys, "train", "--dataset", "iris", "--optimizer", "sgd", "--epochs", "1",
                         "--name", "My Run/../1", "--out", str(tmp_path), "--json")
    assert code == 0, err
    run_dir = Path(json.loads(out)["run_dir"])
    assert re.fullmatch(rf"{STAMP}-my-run-1-sgd", run_dir.name) and run_dir.parent == tmp_path
    assert saved_name(run_dir) == "my-run-1"
    code, out, _ = cli(capsys, "runs", "--out", str(tmp_path), "--json")
    assert code == 0 and [Path(r["path"]).name for r in json.loads(out)] == [run_dir.name]
    code, _, err = cli(capsys, "train", "--name", "../..", "--out", str(tmp_path))
    assert code == 2 and "name: '../..' has no ASCII letter or digit" in err


# ---------------------------------------------------------------- a run that learnt nothing

def test_the_check_compares_counts_of_test_rows() -> None:
    rows = np.zeros((30, 1), np.float32)
    labels = np.array([0] * 11 + [1] * 10 + [2] * 9)
    data = nnfw.Dataset(rows, labels, rows, labels, "classification", num_classes=3,
                        class_names=("a", "b", "c"))
    share = np.float32(11 / 30)  # as the training loop computes it: above 11/30 in float64
    warning = learnt_nothing(data, {"test_accuracy": float(share)})
    assert warning is not None and "0.3667" in warning and "'a'" in warning
    assert learnt_nothing(data, {"test_accuracy": float(np.float32(12 / 30))}) is None
    assert learnt_nothing(data, {"test_accuracy": float("nan")}) is None
    values = np.zeros((30, 1), np.float32)
    assert learnt_nothing(nnfw.Dataset(rows, values, rows, values, "regression"),
                          {"test_accuracy": 0.0}) is None


def majority_share(dataset: str) -> float:
    labels = nnfw.dataset(dataset).y_test
    return Counter(labels.tolist()).most_common(1)[0][1] / len(labels)


def test_a_run_that_learnt_nothing_says_so(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    # all-zero weights behind relu units: every row gets the same output, one class for all
    code, out, err = cli(capsys, "train", "--dataset", "iris", "--hidden", "4", "--activation",
                         "relu", "--init", "constant", "--init.value", "0", "--bias-init",
                         "constant", "--bias-init.value", "0", "--lr", "1e-6", "--epochs", "2",
                         "--out", str(tmp_path), "--json")
    assert code == 0, err
    summary = json.loads(out)
    accuracy, majority = summary["final"]["test_accuracy"], majority_share("iris")
    assert accuracy <= majority + 1e-6
    [warning] = summary["warnings"]
    assert f"majority-class rate {majority:.4g}" in warning and "standardize" in warning
    lines = [line for line in err.splitlines() if "learnt nothing" in line]
    assert lines == [f"nnfw: warning: {warning}"]


def test_a_run_that_learnt_says_nothing_of_the_kind(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    code, out, err = cli(capsys, "train", "--config", "iris", "--epochs", "100",
                         "--out", str(tmp_path), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["final"]["test_accuracy"] > majority_share("iris")
    assert summary["warnings"] == [] and "learnt nothing" not in err


# ---------------------------------------------------------------- the loss for the task

@nnfw.hookimpl
def _register_second_default(register):
    """A loss that also declares itself the default for regression."""
    register("huber-ish", lambda: tf.keras.losses.Huber(), default_for=("regression",),
             description="Huber loss.")


SECOND_DEFAULT = types.ModuleType("nnfw_second_regression_default")
SECOND_DEFAULT.register_losses = _register_second_default  # type: ignore[attr-defined]


def test_regression_data_without_a_loss_trains_with_the_regression_default(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    path = tmp_path / "line.csv"
    path.write_text("a,b,c,y\n" + "".join(f"{a!r},{b!r},{c!r},{a + 2 * b - c!r}\n"
                                         for a, b, c in x.tolist()))
    params = {"dataset": {"path": str(path)}}
    result = nnfw.train(dataset="csv", params=params, epochs=3)
    assert result.data.task == "regression", result.data
    assert result.settings.choices["loss"] == "mse"
    # named, the default loss is refused as before
    with pytest.raises(nnfw.UsageError, match="fits classification data, but data set 'line'"):
        nnfw.train(dataset="csv", params=params, epochs=3, loss="cross-entropy")
    # two losses that claim regression: nnfw does not pick one
    with plugin_registry(SECOND_DEFAULT, strict=False), \
            pytest.raises(nnfw.UsageError, match=r"losses that fit: .*huber-ish, mse"):
        nnfw.train(dataset="csv", params=params, epochs=3)
