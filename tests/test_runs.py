"""Run directories for a person: TensorBoard event files, ``nnfw runs`` and ``nnfw show``."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import nnfw
from nnfw.cli.runs import runs, show
from nnfw.rundirs.rundir import json_text
from nnfw.rundirs.tensorboard import TensorBoardLog, write_tensorboard
from nnfw.training.history import History
from nnfw.training.runner import RunResult

# ---------------------------------------------------------------- a folder of runs


@dataclass
class Runs:
    """A runs folder: real runs (iris, yogurt, a diverged one in a comparison) and odd folders."""

    root: Path
    iris: RunResult
    yogurt: RunResult
    diverged: RunResult
    broken: Path  # summary.json is not JSON
    interrupted: Path  # a summary with fewer epochs than the settings ask for, and a checkpoint
    half: Path  # settings.toml but no summary.json: training did not finish
    comparison: Path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("runs")
    iris = nnfw.train("iris", epochs=3, out=str(root))
    write_tensorboard(iris.run_dir / "tensorboard", iris.history)
    yogurt = nnfw.train("yogurt-mse", epochs=3, out=str(root))
    comparison = root / "compare-lr"
    # another optimizer, so its name differs from the yogurt run's even within the same second
    diverged = nnfw.train("yogurt-mse", epochs=5, lr=1e20, optimizer="adam", out=str(comparison))
    (comparison / "comparison.json").write_text("{}")
    broken = root / "20000101-000000-iris-sgd"
    broken.mkdir()
    (broken / "summary.json").write_text('{"epochs_run": 3, ')
    interrupted = root / "29991230-000000-yogurt-sgd"
    shutil.copytree(yogurt.run_dir, interrupted)
    settings = (interrupted / "settings.toml").read_text()
    (interrupted / "settings.toml").write_text(settings.replace("epochs = 3\n", "epochs = 10\n"))
    half = root / "29991231-235959-iris-adam"
    half.mkdir()
    shutil.copy(iris.run_dir / "settings.toml", half / "settings.toml")
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("not a run")
    (root / "empty").mkdir()
    return Runs(root, iris, yogurt, diverged, broken, interrupted, half, comparison)


def invoke(command: Any, *args: str) -> str:
    """Run a click command in this process; return its output (errors propagate)."""
    done = CliRunner().invoke(command, list(args), catch_exceptions=False, standalone_mode=False)
    return done.output


def as_json(value: Any) -> Any:
    """A value as summary.json holds it (NaN and infinities become null)."""
    return json.loads(json_text(value))


def test_the_fixture_really_has_a_diverged_run(folder: Runs) -> None:
    assert folder.diverged.divergence is not None
    assert folder.iris.divergence is None and folder.yogurt.divergence is None


# ---------------------------------------------------------------- nnfw runs


def test_runs_lists_runs_oldest_first_with_settings_and_metrics(folder: Runs) -> None:
    listed = json.loads(invoke(runs, "--out", str(folder.root), "--json"))
    names = [run["name"] for run in listed]
    diverged_name = f"compare-lr/{folder.diverged.run_dir.name}"
    assert names == [folder.broken.name, folder.iris.run_dir.name, folder.yogurt.run_dir.name,
                     diverged_name, folder.interrupted.name, folder.half.name]
    by_name = dict(zip(names, listed, strict=True))
    for result in (folder.iris, folder.yogurt, folder.diverged):
        name = result.run_dir.name if result is not folder.diverged else diverged_name
        record = by_name[name]
        summary = as_json(result.summary())
        assert record["final"] == summary["final"]
        assert record["epochs_run"] == result.history.epochs_run
        assert record["diverged"] is (result.divergence is not None)
        assert record["path"] == str(result.run_dir)
        for key in ("dataset", "optimizer", "loss"):
            assert record[key] == result.settings.choices[key]
        assert record["lr"] == result.settings.scalars["lr"]
        assert record["epochs"] == result.settings.scalars["epochs"]
    assert by_name[diverged_name]["status"] == "diverged"
    assert by_name[diverged_name]["comparison"] == "compare-lr"
    assert by_name[diverged_name]["divergence"] == vars(folder.diverged.divergence)
    assert by_name[folder.iris.run_dir.name]["status"] == "finished"
    assert by_name[folder.broken.name]["status"] == "unreadable"
    assert by_name[folder.interrupted.name]["status"] == "interrupted"
    assert by_name[folder.interrupted.name]["problem"] == \
        f"3 of 10 epochs run; resume with: nnfw train --resume {folder.interrupted}"
    assert by_name[folder.half.name]["status"] == "unfinished"
    # no checkpoint yet, but its settings: it resumes from its start
    assert f"resume with: nnfw train --resume {folder.half}" in by_name[folder.half.name]["problem"]
    assert by_name[folder.half.name]["dataset"] == "iris"  # read from its settings.toml
    assert by_name[folder.half.name]["final"] is None


def test_runs_table_marks_divergence_unfinished_and_comparisons(folder: Runs) -> None:
    out = invoke(runs, "--out", str(folder.root))
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["RUN", "DATASET", "OPTIMIZER"]
    assert "notes" not in out and "empty" not in out
    iris_line = next(line for line in lines if line.startswith(folder.iris.run_dir.name))
    final = folder.iris.history.final()
    choices = folder.iris.settings.choices
    assert iris_line.split()[1:] == ["iris", choices["optimizer"], choices["loss"], "0.1", "3",
                                     f"{final['loss']:.6g}", f"{final['test_accuracy']:.4g}",
                                     "finished"]
    yogurt_line = next(line for line in lines if line.startswith(folder.yogurt.run_dir.name))
    assert yogurt_line.split()[1:7] == ["yogurt", "sgd", "mse", "0.002", "3",
                                        f"{folder.yogurt.history.final()['loss']:.6g}"]
    assert yogurt_line.split()[7] == "-"  # no test rows, so no accuracy
    header = lines.index("compare-lr/")
    member = lines[header + 1]
    assert member.startswith(f"  {folder.diverged.run_dir.name}")
    where = folder.diverged.divergence
    epochs = f"{folder.diverged.history.epochs_run}/5"
    assert epochs in member.split() and f"diverged at epoch {where.epoch}" in member
    assert lines[-1].startswith(folder.half.name) and lines[-1].endswith("unfinished")
    assert lines[-2].startswith(folder.interrupted.name) and lines[-2].endswith("interrupted")
    assert "3/10" in lines[-2].split()
    assert "unreadable" in next(line for line in lines if line.startswith(folder.broken.name))


def test_runs_last_keeps_the_newest(folder: Runs) -> None:
    every = json.loads(invoke(runs, "--out", str(folder.root), "--json"))
    last = json.loads(invoke(runs, "--out", str(folder.root), "--json", "--last", "2"))
    assert last == every[-2:] and len(every) > 2


def test_runs_of_a_folder_without_runs(tmp_path: Path) -> None:
    assert "no runs" in invoke(runs, "--out", str(tmp_path))
    assert json.loads(invoke(runs, "--out", str(tmp_path), "--json")) == []
    with pytest.raises(nnfw.UsageError, match="not a folder"):
        invoke(runs, "--out", str(tmp_path / "missing"))


# ---------------------------------------------------------------- nnfw show


def test_show_finds_a_run_by_path_name_prefix_and_suffix(folder: Runs) -> None:
    name = folder.yogurt.run_dir.name
    shown = invoke(show, str(folder.yogurt.run_dir))
    assert shown.splitlines()[0] == f"run: {name}"
    for query in (name, name[:-1], name[len("20000101-"):]):
        assert invoke(show, query, "--out", str(folder.root)) == shown, query
    in_comparison = invoke(show, folder.diverged.run_dir.name[:-2], "--out", str(folder.root))
    assert in_comparison.splitlines()[0] == f"run: compare-lr/{folder.diverged.run_dir.name}"


def test_show_prints_settings_metrics_and_files(folder: Runs) -> None:
    out = invoke(show, str(folder.iris.run_dir))
    settings = tomllib.loads((folder.iris.run_dir / "settings.toml").read_text())
    dataset = ", ".join(f"{k} {json.dumps(v)}" for k, v in settings["dataset"].items() if k != "name")
    assert f"  dataset: iris ({dataset})" in out
    optimizer = settings["optimizer"]["name"]
    assert f"  optimizer: {optimizer}\n" in out and "  regularizer: none\n" in out
    assert "  epochs: 3\n" in out and "  lr: 0.1\n" in out
    assert f"parameters: {folder.iris.complexity.parameters} " in out
    final = folder.iris.history.final()
    assert f"final: loss {final['loss']:.7g}, lr {final['lr']:.7g}" in out
    assert f"test_accuracy {final['test_accuracy']:.7g}" in out
    assert f"training time: {folder.iris.summary()['train_seconds']:.3f} s" in out
    assert "status: finished" in out
    last = out.splitlines()[-1]
    assert last.startswith("files: ")
    files = last.removeprefix("files: ").split(", ")
    assert {"curves.png", "history.csv", "model.keras", "settings.toml", "summary.json",
            "tensorboard/"} <= set(files)
    assert files == sorted(files) and all((folder.iris.run_dir / name).exists() for name in files)


def test_show_says_where_a_run_diverged(folder: Runs) -> None:
    out = invoke(show, str(folder.diverged.run_dir))
    where = folder.diverged.divergence
    assert where.non_finite and where.cause  # the runner said what broke, and show repeats it
    assert (f"status: diverged at epoch {where.epoch}, step {where.step}: "
            f"{', '.join(where.non_finite)} went non-finite ({where.cause})\n") in out
    assert f"epochs run: {folder.diverged.history.epochs_run} of 5" in out


def test_show_json_is_the_summary_merged_with_the_settings(folder: Runs) -> None:
    shown = json.loads(invoke(show, str(folder.yogurt.run_dir), "--json"))
    summary = json.loads((folder.yogurt.run_dir / "summary.json").read_text())
    settings = tomllib.loads((folder.yogurt.run_dir / "settings.toml").read_text())
    assert shown["settings"] == settings
    assert {k: v for k, v in shown.items() if k in summary and k != "settings"} == \
        {k: v for k, v in summary.items() if k != "settings"}
    assert shown["settings"]["init"]["name"] == "normal" and shown["settings"]["init"]["stddev"] == 1.0
    assert shown["status"] == "finished" and "model.keras" in shown["files"]


def test_show_unfinished_and_unreadable_runs_without_a_traceback(folder: Runs) -> None:
    out = invoke(show, str(folder.half))
    assert "status: unfinished: no summary.json" in out and "  dataset: iris" in out
    assert "final:" not in out and out.splitlines()[-1] == "files: settings.toml"
    out = invoke(show, folder.interrupted.name, "--out", str(folder.root))
    resume = f"nnfw train --resume {folder.interrupted}"
    assert f"status: interrupted: 3 of 10 epochs run; resume with: {resume}\n" in out
    assert "epochs run: 3 of 10\n" in out
    out = invoke(show, folder.broken.name, "--out", str(folder.root))
    assert "status: unreadable: summary.json" in out


def test_show_ambiguous_and_unknown_names(folder: Runs) -> None:
    with pytest.raises(nnfw.UsageError, match=r"ambiguous.*give more of the name") as error:
        invoke(show, "2", "--out", str(folder.root))
    assert folder.iris.run_dir.name in str(error.value) and folder.half.name in str(error.value)
    with pytest.raises(nnfw.UsageError, match=rf"no run 'iris-sgdx'.*closest: .*{folder.iris.run_dir.name}"):
        invoke(show, "iris-sgdx", "--out", str(folder.root))
    with pytest.raises(nnfw.UsageError, match="is not a run directory"):
        invoke(show, str(folder.root / "notes"))
    with pytest.raises(nnfw.UsageError, match="comparison of 1 runs"):
        invoke(show, str(folder.comparison))
    with pytest.raises(nnfw.UsageError, match="no runs under"):
        invoke(show, "x", "--out", str(folder.root / "empty"))


def test_runs_and_show_never_import_tensorflow(folder: Runs) -> None:
    code = ("import sys\nfrom nnfw.cli.runs import runs, show\n"
            f"runs.main(['--out', {str(folder.root)!r}], standalone_mode=False)\n"
            f"show.main([{folder.iris.run_dir.name!r}, '--out', {str(folder.root)!r}], "
            "standalone_mode=False)\n"
            f"show.main([{str(folder.yogurt.run_dir)!r}, '--json'], standalone_mode=False)\n"
            "heavy = sorted(m for m in ('tensorflow', 'keras', 'sklearn', 'matplotlib')"
            " if m in sys.modules)\nprint('HEAVY', heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stdout and "files:" in done.stdout


# ---------------------------------------------------------------- TensorBoard


def read_events(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the event files: tag -> [(step, value)], checking TensorBoard's metadata."""
    import tensorflow as tf

    files = sorted(str(p) for p in log_dir.glob("events.out.tfevents.*"))
    assert files, f"no event files in {log_dir}"
    found: dict[str, list[tuple[int, float]]] = {}
    for record in tf.data.TFRecordDataset(files):
        event = tf.compat.v1.Event.FromString(record.numpy())
        for value in event.summary.value:
            assert value.metadata.plugin_data.plugin_name == "scalars"
            found.setdefault(value.tag, []).append((event.step, float(tf.make_ndarray(value.tensor))))
    return found


def expected_events(history: History) -> dict[str, list[tuple[int, float]]]:
    """The history's columns as float32, at step = epoch."""
    return {name: [(epoch, float(np.float32(v))) for epoch, v in enumerate(values)]
            for name, values in vars(history).items() if values}


def assert_same_events(found: dict, expected: dict) -> None:
    assert set(found) == set(expected)
    for tag, points in expected.items():
        assert [s for s, _ in found[tag]] == [s for s, _ in points], tag
        np.testing.assert_array_equal([v for _, v in found[tag]], [v for _, v in points], err_msg=tag)


def test_tensorboard_round_trip_of_a_real_run(folder: Runs) -> None:
    found = read_events(folder.iris.run_dir / "tensorboard")
    assert set(found) == {"loss", "lr", "test_loss", "test_accuracy"}
    assert_same_events(found, expected_events(folder.iris.history))


def test_tensorboard_without_test_metrics_and_left_complete(tmp_path: Path) -> None:
    history = History(loss=[3.0, 2.5, math.nan, math.inf], lr=[0.1, 0.09, 0.081, 0.0729])
    target = write_tensorboard(tmp_path / "tensorboard", history)
    found = read_events(target)
    assert set(found) == {"loss", "lr"}
    assert_same_events(found, expected_events(history))
    assert [p.name for p in tmp_path.iterdir()] == ["tensorboard"]  # no temporary folder left
    resumed = History(loss=[*history.loss, 1.5], lr=[*history.lr, 0.06561])
    assert write_tensorboard(target, resumed) == target  # replaces the log of the same run
    assert_same_events(read_events(target), expected_events(resumed))
    assert [p.name for p in tmp_path.iterdir()] == ["tensorboard"]


def test_tensorboard_log_of_a_run_in_progress_writes_each_epoch_once(tmp_path: Path) -> None:
    full = History(loss=[1.0, 0.5, 0.25, 0.125, 0.0625], lr=[0.1] * 5, test_loss=[2.0, 1.0, 0.7, 0.6, 0.5],
                   test_accuracy=[0.3, 0.5, 0.6, 0.9, 1.0])
    with TensorBoardLog(tmp_path) as log:
        for epochs in (2, 2, 5):
            partial = History(**{k: v[:epochs] for k, v in full.columns().items()})
            log.update(partial)
        assert log.written == 5
    assert_same_events(read_events(tmp_path), expected_events(full))


def test_terminal_escape_codes_in_run_files_are_shown_not_sent(tmp_path: Path) -> None:
    run = tmp_path / "20260101-000000-evil"
    run.mkdir()
    (run / "settings.toml").write_text('lr = 0.1\nepochs = 2\n[dataset]\nname = "\\u001b[2Jiris"\n')
    (run / "summary.json").write_text(json.dumps({"epochs_run": 2, "final": {"loss": 0.5},
                                                  "problem": "\u001b]0;pwned\u0007"}))
    listed = invoke(runs, "--out", str(tmp_path))
    shown = invoke(show, run.name, "--out", str(tmp_path))
    for out in (listed, shown):
        assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2Jiris" in listed and "\\x1b[2Jiris" in shown  # still readable, as text
