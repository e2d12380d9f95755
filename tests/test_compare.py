"""nnfw compare: the runs it plans, fairness, the table and files, divergence, --json, --jobs."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

import nnfw
from nnfw.cli import cli as cli_group
from nnfw.cli import main
from nnfw.cli.compare import compare as compare_command
from nnfw.compare.plan import plan_comparison, split_values
from nnfw.compare.table import first_epoch_reaching
from nnfw.config.config_file import find_config, read_config
from nnfw.errors import UsageError

FAST = ("--epochs", "5", "--xla", "false")


@pytest.fixture(scope="module")
def iris_config() -> dict[str, Any]:
    return read_config(find_config("iris", nnfw.registry()))


def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
            ) -> tuple[int, str, str]:
    """``nnfw compare ARGS`` through nnfw's main (one-line errors, exit codes); (code, out, err)."""
    monkeypatch.setitem(cli_group.commands, "compare", compare_command)
    with pytest.raises(SystemExit) as done:
        main(["compare", *args])
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def strict_json(text: str) -> Any:
    def reject(constant: str) -> None:
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=reject)


def history(run_dir: str) -> list[dict[str, float]]:
    with open(Path(run_dir) / "history.csv", newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


# ---------------------------------------------------------------- planning (no training)


def test_product_of_two_varied_options(iris_config: dict[str, Any]) -> None:
    plan = plan_comparison(nnfw.registry(), iris_config, {"optimizer": "sgd, adam", "lr": "0.1,0.01"})
    assert [run.label for run in plan.runs] == [
        "optimizer=sgd, lr=0.1", "optimizer=sgd, lr=0.01",
        "optimizer=adam, lr=0.1", "optimizer=adam, lr=0.01"]
    assert [(r.settings.choices["optimizer"], r.settings.scalars["lr"]) for r in plan.runs] == [
        ("sgd", 0.1), ("sgd", 0.01), ("adam", 0.1), ("adam", 0.01)]
    assert plan.varied == {"optimizer": ["sgd", "adam"], "lr": ["0.1", "0.01"]}
    # everything not varied comes from the config file, the same for every run
    assert {r.settings.choices["loss"] for r in plan.runs} == {"mse"}
    assert {r.settings.scalars["epochs"] for r in plan.runs} == {500}
    assert plan.title == "iris, mse, 500 epochs"


def test_hidden_alternatives_are_separated_by_semicolons() -> None:
    plan = plan_comparison(nnfw.registry(), {}, {"hidden": "4;16,8", "epochs": "3"})
    assert [run.settings.hidden for run in plan.runs] == [[4], [16, 8]]
    assert [run.label for run in plan.runs] == ["hidden=4", "hidden=16,8"]
    single = plan_comparison(nnfw.registry(), {}, {"hidden": "16,8"})
    assert len(single.runs) == 1 and single.runs[0].settings.hidden == [16, 8]


def test_hyperparameters_go_to_the_runs_whose_plugin_declares_them(iris_config: dict[str, Any]) -> None:
    plan = plan_comparison(nnfw.registry(), iris_config, {"optimizer": "sgd,sgdm,adam"},
                           {"optimizer": {"beta": "0.5"}})
    params = {r.settings.choices["optimizer"]: r.settings.params["optimizer"] for r in plan.runs}
    assert params["sgd"] == {}
    assert params["sgdm"]["beta"] == 0.5
    assert "beta" not in params["adam"]
    # a varied hyperparameter multiplies only the runs it applies to
    plan = plan_comparison(nnfw.registry(), iris_config, {"optimizer": "sgd,sgdm"},
                           {"optimizer": {"beta": "0.5,0.9"}})
    assert [r.label for r in plan.runs] == [
        "optimizer=sgd", "optimizer=sgdm, optimizer.beta=0.5", "optimizer=sgdm, optimizer.beta=0.9"]
    assert [r.varied.get("optimizer.beta") for r in plan.runs] == [None, 0.5, 0.9]
    # also across 'none': no regularizer, no scale
    plan = plan_comparison(nnfw.registry(), {}, {"regularizer": "none,l2"},
                           {"regularizer": {"scale": "0.25"}})
    assert [(r.settings.choices["regularizer"], r.settings.params.get("regularizer")) for r in plan.runs
            ] == [(None, None), ("l2", {"scale": 0.25})]


def test_a_hyperparameter_no_compared_plugin_declares_is_an_error(iris_config: dict[str, Any]) -> None:
    with pytest.raises(UsageError) as error:
        plan_comparison(nnfw.registry(), iris_config, {"optimizer": "sgd,adam"},
                        {"optimizer": {"epsilom": "1e-7"}})
    message = str(error.value)
    assert "\n" not in message
    assert "'epsilom'" in message and "did you mean 'epsilon'?" in message and "sgd, adam" in message


@pytest.mark.parametrize(("option", "text", "expected"), [
    ("optimizer", "sgd,adam", ["sgd", "adam"]),
    ("lr", " 0.1 , 0.01 ", ["0.1", "0.01"]),
    ("hidden", "4;16,8", ["4", "16,8"]),
    ("hidden", ";4", ["", "4"]),  # '' is no hidden layer
])
def test_split_values(option: str, text: str, expected: list[str]) -> None:
    assert split_values(option, text) == expected


@pytest.mark.parametrize(("text", "expected"), [("sgd,,adam", "has an empty item"),
                                                 ("sgd,adam,sgd", "'sgd' is listed more than once")])
def test_split_values_rejects_empty_and_repeated_items(text: str, expected: str) -> None:
    with pytest.raises(UsageError) as error:
        split_values("optimizer", text)
    assert expected in str(error.value)


@pytest.mark.parametrize(("args", "expected"), [
    (("--optimizer", "sgd,adma"), "unknown optimizer 'adma'; did you mean 'adam'?"),
    (("--optimizer", "sgd,adam", "--optimizer.betta", "0.9"),
     "no optimizer in this comparison (sgd, adam) has the hyperparameter 'betta'; did you mean"),
    (("--lr", "0.1,-1"), "lr"),
])
def test_usage_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          args: tuple[str, ...], expected: str) -> None:
    code, out, err = run_cli(capsys, monkeypatch, "--config", "iris", "--out", str(tmp_path), *args)
    assert code == 2 and out == ""
    assert err.startswith("nnfw: error: ") and err.count("\n") == 1 and expected in err
    assert not any(tmp_path.iterdir())  # checked before anything is created


def test_first_epoch_reaching() -> None:
    assert first_epoch_reaching([0.2, 0.5, 0.96666664, 0.9], 0.9666667) == 2  # float32 29/30
    assert first_epoch_reaching([0.2, 0.5], 0.6) is None


# ---------------------------------------------------------------- training


def test_every_run_starts_from_the_same_weights(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # At lr 1e-30 no optimizer moves a weight, so epoch 0's mean loss is the initial weights' loss;
    # varying the seed too shows that this loss does depend on the initial weights.
    code, out, _ = run_cli(capsys, monkeypatch, "--optimizer", "sgd,adam", "--seed", "116,7",
                           "--lr", "1e-30", "--epochs", "1", "--xla", "false", "--out", str(tmp_path),
                           "--json")
    assert code == 0
    loss = {(row["optimizer"], row["seed"]): row["final_loss"] for row in strict_json(out)}
    assert loss["sgd", 116] == loss["adam", 116] and loss["sgd", 7] == loss["adam", 7]
    assert loss["sgd", 116] != loss["sgd", 7]


def test_table_files_figures_and_target(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, monkeypatch, "--config", "iris", "--optimizer", "sgd,adam",
                             "--lr", "0.1,0.5", "--epochs", "12", "--xla", "false",
                             "--target", "0.9", "--out", str(tmp_path))
    assert code == 0
    [directory] = [p for p in tmp_path.iterdir() if "compare-iris-optimizer-lr" in p.name]
    for name in ("loss.png", "accuracy.png"):
        data = (directory / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
    saved = strict_json((directory / "comparison.json").read_text())
    rows = saved["runs"]
    assert [r["run"] for r in rows] == ["optimizer=sgd, lr=0.1", "optimizer=sgd, lr=0.5",
                                        "optimizer=adam, lr=0.1", "optimizer=adam, lr=0.5"]
    with open(directory / "table.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["run"] for r in table] == [r["run"] for r in rows]
    assert set(table[0]) >= {"optimizer", "lr", "final_loss", "final_test_accuracy",
                             "best_test_accuracy", "target_epoch", "train_seconds", "diverged"}
    markdown = (directory / "table.md").read_text().splitlines()
    assert markdown[0].startswith("| run | final loss |") and len(markdown) == 2 + len(rows)
    reached = []
    for row in rows:  # every number checked against the run's own history.csv
        run_dir = Path(row["run_dir"])
        assert run_dir.parent == directory
        epochs = history(row["run_dir"])
        accuracy = [e["test_accuracy"] for e in epochs]
        assert len(epochs) == row["epochs_run"] == 12
        assert row["final_loss"] == pytest.approx(epochs[-1]["loss"], rel=1e-12)
        assert row["final_test_accuracy"] == pytest.approx(accuracy[-1], rel=1e-12)
        assert row["best_test_accuracy"] == pytest.approx(max(accuracy), rel=1e-12)
        first = next((i for i, a in enumerate(accuracy) if a >= 0.9 - 1e-6), None)
        assert row["target_epoch"] == first
        reached.append(first)
    assert any(r is None for r in reached) or len(set(reached)) > 1  # the column tells runs apart
    # the printed table, and one progress line per finished run on stderr
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["RUN", "FINAL", "LOSS"] and "EPOCH TO 0.9" in lines[0]
    assert len(lines) == 1 + len(rows) + 1 and lines[-1] == f"comparison saved in {directory}"
    assert sum(line.startswith("[") for line in err.splitlines()) == len(rows)


def test_a_diverged_run_stays_in_the_table(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, monkeypatch, "--config", "iris", "--loss", "cross-entropy",
                           "--output-activation", "linear", "--lr", "1e38,0.1", *FAST,
                           "--out", str(tmp_path), "--json")
    assert code == 0
    rows = strict_json(out)
    assert [r["run"] for r in rows] == ["lr=1e38", "lr=0.1"]
    diverged, fine = rows
    assert diverged["diverged"] is True and diverged["divergence_epoch"] == 0
    assert diverged["epochs_run"] < 5
    assert fine["diverged"] is False and fine["epochs_run"] == 5 and fine["divergence_epoch"] is None
    directory = Path(fine["run_dir"]).parent
    assert strict_json((directory / "comparison.json").read_text())["runs"] == rows
    assert "| yes (epoch 0, step" in (directory / "table.md").read_text()


def test_jobs_do_not_change_the_numbers(iris_config: dict[str, Any], tmp_path: Path) -> None:
    from nnfw.compare import compare

    options = {"optimizer": "sgd,adam", "epochs": "5", "xla": "false", "out": str(tmp_path)}
    one = compare(nnfw.registry(), iris_config, options, jobs=1)
    two = compare(nnfw.registry(), iris_config, options, jobs=2)
    assert two.jobs == 2
    assert [o.history.loss for o in one.outcomes] == [o.history.loss for o in two.outcomes]
    assert [o.history.test_accuracy for o in one.outcomes] == [o.history.test_accuracy
                                                               for o in two.outcomes]
    assert one.outcomes[0].history.loss != one.outcomes[1].history.loss
