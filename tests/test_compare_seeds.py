"""nnfw compare --seeds / --tune: log ranges, statistics against the individual runs, tuning on
constructed cases, the figures, and TensorBoard's HParams dashboard."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_compare import run_cli, strict_json

import nnfw
from nnfw.compare.plan import log_range, plan_comparison, split_values
from nnfw.compare.spreads import METRICS, GroupSummary, overlaps, quantiles, spread, summarize
from nnfw.compare.tuning import tune
from nnfw.config.config_file import find_config, read_config
from nnfw.errors import UsageError
from nnfw.figures.spreads import plot_bands, plot_sensitivity
from nnfw.training.history import History

FAST = ("--epochs", "3", "--xla", "false")


@pytest.fixture(scope="module")
def iris_config() -> dict[str, Any]:
    return read_config(find_config("iris", nnfw.registry()))


# ---------------------------------------------------------------- log ranges


def test_a_log_range_is_evenly_spaced_in_log_with_both_ends() -> None:
    values = [float(v) for v in log_range("lr", "1e-3:1:7")]
    assert values[0] == 1e-3 and values[-1] == 1.0 and len(values) == 7
    expected = [10 ** (-3 + 0.5 * i) for i in range(7)]
    assert values == pytest.approx(expected, rel=1e-6)  # written with 6 significant digits
    assert split_values("lr", "1e-3:1:7") == log_range("lr", "1e-3:1:7")
    assert split_values("epochs", "10:1000:3") == ["10", "100", "1000"]  # whole ends, whole values


@pytest.mark.parametrize(("text", "expected"), [
    ("1:0.1:3", "needs 0 < LOW < HIGH"), ("0:1:3", "needs 0 < LOW < HIGH"),
    ("1e-3:1:1", "needs COUNT >= 2"), ("1:3:50", "gives the same value twice"),
    ("1e-3e:1:3", "is not a log range"),
])
def test_bad_log_ranges_are_one_line(text: str, expected: str) -> None:
    with pytest.raises(UsageError) as error:
        split_values("lr", text)
    assert expected in str(error.value) and repr(text) in str(error.value) and "\n" not in str(error.value)


def test_plugin_names_with_a_colon_are_not_ranges() -> None:
    assert split_values("optimizer", "lion:lion,sgd") == ["lion:lion", "sgd"]


# ---------------------------------------------------------------- statistics (no training)


def test_spread_agrees_with_numpy_on_finite_values() -> None:
    rng = np.random.default_rng(3)
    for size in (1, 2, 5, 10):
        values = list(rng.normal(size=size))
        s = spread(values)
        assert s.runs == size
        assert s.median == pytest.approx(np.median(values), abs=1e-15)
        assert (s.q1, s.q3) == pytest.approx(tuple(np.percentile(values, [25, 75])), abs=1e-15)
        assert s.mean == pytest.approx(np.mean(values), abs=1e-15)
        if size > 1:
            assert s.sd == pytest.approx(np.std(values, ddof=1), abs=1e-15)
        else:
            assert math.isnan(s.sd)


def test_infinite_values_keep_the_quartiles_defined() -> None:
    # numpy's interpolation gives nan between two infinities; a diverged run must stay 'worst'
    with np.errstate(invalid="ignore"):
        assert math.isnan(np.percentile([1.0, math.inf, math.inf], 75))
    s = spread([1.0, math.inf, math.inf])
    assert s.median == math.inf and s.q3 == math.inf and s.mean == math.inf
    assert s.q1 == math.inf  # halfway between 1 and inf
    assert quantiles(np.array([[1.0, 2.0], [3.0, math.inf], [math.inf, math.inf]]), 0.5).tolist() == [
        3.0, math.inf]


def test_a_diverged_run_counts_as_the_worst_result() -> None:
    row = {"diverged": True, "final_loss": 0.01, "final_test_accuracy": 0.9, "train_seconds": 2.0}
    assert METRICS["loss"].value(row) == math.inf
    assert METRICS["test_accuracy"].value(row) == 0.0
    assert METRICS["train_seconds"].value(row) == 2.0  # a diverged run is not slower for it
    assert METRICS["test_loss"].value(row) is None  # the row has no test loss at all
    assert METRICS["target_epoch"].value({"target_epoch": None}) == math.inf  # never reached
    assert METRICS["loss"].value({"final_loss": math.nan}) == math.inf


def _summary(group: str, lr: float, losses: list[float], diverged: int = 0) -> GroupSummary:
    rows = [{"final_loss": v, "diverged": i < diverged} for i, v in enumerate(losses)]
    return summarize({group: rows}, {group: {"optimizer": group.split(",")[0], "lr": lr}})[0]


def test_tune_picks_the_best_median_per_optimizer() -> None:
    summaries = [
        _summary("sgd,0.01", 0.01, [0.5, 0.6, 0.4]),
        _summary("sgd,0.1", 0.1, [0.2, 0.9, 0.1]),  # best median (0.2) though its mean is worse
        _summary("sgd,1", 1.0, [0.3, 0.05, 0.04], diverged=2),  # would be best, but diverged twice
        _summary("adam,0.01", 0.01, [0.3, 0.3, 0.3]),
        _summary("adam,0.1", 0.1, [0.3, 0.3, 0.3]),  # a tie: the value given first wins
    ]
    sgd, adam = tune(summaries, "lr", "loss")
    assert sgd.others == {"optimizer": "sgd"} and sgd.label == "optimizer=sgd"
    assert sgd.winner is not None and sgd.winner.value == 0.1 and sgd.winner.score == 0.2
    assert sgd.runner_up is not None and sgd.runner_up.value == 0.01
    assert sgd.margin == pytest.approx(0.3)
    assert [c.diverged for c in sgd.candidates] == [0, 0, 2]
    assert adam.winner is not None and adam.winner.value == 0.01 and adam.margin == 0.0
    by_accuracy = tune([summarize({g: [{"final_test_accuracy": a, "diverged": False}]},
                                  {g: {"lr": lr}})[0] for g, lr, a in
                        (("a", 0.1, 0.5), ("b", 0.2, 0.9), ("c", 0.3, 0.7))], "lr", "test_accuracy")
    assert by_accuracy[0].winner is not None and by_accuracy[0].winner.value == 0.2  # higher is better
    assert by_accuracy[0].label == "all runs"


def test_tune_names_no_winner_when_every_value_diverged() -> None:
    [result] = tune([_summary("sgd,1", 1.0, [0.1], diverged=1), _summary("sgd,2", 2.0, [0.1], 1)],
                    "lr", "loss")
    assert result.winner is None and result.as_dict()["best"] is None


def test_overlaps_are_of_interquartile_ranges() -> None:
    a, b, c = (_summary(name, 0.1, values) for name, values in
               (("a", [1.0, 2.0, 3.0]), ("b", [2.4, 2.6, 2.8]), ("c", [9.0, 9.5, 10.0])))
    assert overlaps([a, b, c], "loss") == {"a": ["b"], "b": ["a"], "c": []}


# ---------------------------------------------------------------- planning with seeds


def test_seeds_shift_the_weights_seed_and_the_data_sets_seed(iris_config: dict[str, Any]) -> None:
    plan = plan_comparison(nnfw.registry(), iris_config, {"optimizer": "sgd,adam"}, seeds=3)
    assert plan.groups == ["optimizer=sgd", "optimizer=adam"] and plan.seeds == 3
    assert [r.label for r in plan.runs[:3]] == [
        "optimizer=sgd, seed=116", "optimizer=sgd, seed=117", "optimizer=sgd, seed=118"]
    assert [(r.settings.scalars["seed"], r.settings.params["dataset"]["seed"]) for r in plan.runs] == [
        (116, 116), (117, 117), (118, 118)] * 2
    assert [r.repeat for r in plan.runs] == [0, 1, 2] * 2
    same = plan_comparison(nnfw.registry(), iris_config, {"seed": "7", "dataset": "dot"}, seeds=2,
                           same_split=True)
    assert [(r.label, r.settings.scalars["seed"], r.settings.params["dataset"]["seed"])
            for r in same.runs] == [("seed=7", 7, 2), ("seed=8", 8, 2)]


@pytest.mark.parametrize(("args", "expected"), [
    (("--seeds", "2", "--seed", "1,2"), "--seed: '1,2' lists seeds, but --seeds sets them"),
    (("--optimizer", "sgd,adam", "--tune", "lr"), "--tune: 'lr' is not varied in this comparison"),
    (("--lr", "0.1,1", "--tune", "lr", "--by", "target_epoch"), "give --target ACCURACY too"),
    (("--same-split",), "--same-split: give --seeds N too"),
    (("--seeds", "0"), "--seeds"),
    (("--lr", "1:0.1:3"), "needs 0 < LOW < HIGH"),
])
def test_usage_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          args: tuple[str, ...], expected: str) -> None:
    code, out, err = run_cli(capsys, monkeypatch, "--config", "iris", "--out", str(tmp_path), *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err, err
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------- training


def _final_losses(run_dirs: list[str]) -> list[float]:
    finals = []
    for run_dir in run_dirs:
        with open(Path(run_dir) / "history.csv", newline="") as f:
            finals.append(float(list(csv.DictReader(f))[-1]["loss"]))
    return finals


def test_statistics_are_those_of_the_individual_runs(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, monkeypatch, "--config", "iris", "--optimizer", "sgd,adam",
                             "--seeds", "2", *FAST, "--out", str(tmp_path), "--json")
    assert code == 0, err
    saved = strict_json(out)
    runs, groups = saved["runs"], saved["groups"]
    assert saved["seeds"] == 2 and saved["by"] == "test_loss"
    assert [g["group"] for g in groups] == ["optimizer=sgd", "optimizer=adam"]
    for group in groups:
        mine = [r for r in runs if r["group"] == group["group"]]
        assert [r["seed"] for r in mine] == [116, 117] == [r["dataset_seed"] for r in mine]
        finals = _final_losses([r["run_dir"] for r in mine])  # what each run wrote itself
        assert finals == pytest.approx([r["final_loss"] for r in mine], rel=1e-7)
        assert group["loss"]["median"] == pytest.approx(np.median(finals), rel=1e-7)
        assert (group["loss"]["q1"], group["loss"]["q3"]) == pytest.approx(
            tuple(np.percentile(finals, [25, 75])), rel=1e-7)
        assert group["loss"]["mean"] == pytest.approx(np.mean(finals), rel=1e-7)
        assert group["loss"]["sd"] == pytest.approx(np.std(finals, ddof=1), rel=1e-6)
        accuracies = [r["final_test_accuracy"] for r in mine]
        assert group["test_accuracy"]["median"] == pytest.approx(np.median(accuracies))
        assert len(set(finals)) == 2  # the seeds do change the runs
    directory = Path(runs[0]["run_dir"]).parent
    assert strict_json((directory / "comparison.json").read_text())["groups"] == groups
    for name in ("loss.png", "accuracy.png"):
        assert (directory / name).read_bytes().startswith(b"\x89PNG")
    # a run of the comparison is the run `nnfw train` makes with the same seeds
    alone = nnfw.train("iris", epochs=3, xla=False, optimizer="adam", seed=117,
                       params={"dataset": {"seed": 117}})
    [same] = [r for r in runs if r["run"] == "optimizer=adam, seed=117"]
    assert alone.history.loss[-1] == same["final_loss"]


def test_tune_on_a_known_case_with_a_diverged_value(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    # lr 1e-30 moves no weight, 1e38 diverges at once: 0.1 must win, 1e-30 be next, 1e38 last
    code, out, err = run_cli(capsys, monkeypatch, "--config", "iris", "--loss", "cross-entropy",
                             "--output-activation", "linear", "--lr", "1e-30,0.1,1e38", "--tune", "lr",
                             "--seeds", "2", "--by", "loss", *FAST, "--out", str(tmp_path))
    assert code == 0, err
    lines = out.splitlines()
    [line] = [line for line in lines if line.startswith("all runs: best lr=0.1")]
    assert "next lr=1e-30" in line and "diverged: lr=1e+38 (2/2)" in line
    assert "widen the range" not in line  # 0.1 lies between the other two
    assert [line.split()[:4] for line in lines if line.startswith("lr=1e38")] == [
        ["lr=1e38", "2", "(2", "diverged)"]]
    [directory] = [p for p in tmp_path.iterdir() if p.is_dir()]
    saved = strict_json((directory / "comparison.json").read_text())
    [tuned] = saved["tuned"]
    assert tuned["best"]["lr"] == 0.1 and tuned["runner_up"]["lr"] == 1e-30 and tuned["by"] == "loss"
    assert [g["loss"]["median"] for g in saved["groups"]][2] is None  # inf is not strict JSON
    assert (directory / "sensitivity.png").read_bytes().startswith(b"\x89PNG")


def test_hparams_dashboard_lists_every_run(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2
    from tensorboard.plugins.hparams.metrics import run_tag_from_session_and_metric
    from tensorboard.util import tensor_util

    code, out, err = run_cli(capsys, monkeypatch, "--config", "iris", "--optimizer", "sgd,sgdm",
                             "--optimizer.beta", "0.5,0.9", *FAST, "--out", str(tmp_path), "--json")
    assert code == 0, err
    rows = strict_json(out)
    assert "group" not in rows[0] and "final_test_loss" not in rows[0]  # one seed: the old table
    directory = Path(rows[0]["run_dir"]).parent
    events = EventMultiplexer()
    events.AddRunsFromDirectory(str(directory))
    events.Reload()
    found = events.PluginRunToTagToContent(metadata.PLUGIN_NAME)
    data = {run: plugin_data_pb2.HParamsPluginData.FromString(next(iter(tags.values())))
            for run, tags in found.items()}
    experiment = data.pop("hparams").experiment
    assert [h.name for h in experiment.hparam_infos] == ["optimizer", "optimizer.beta"]
    assert [m.name.tag for m in experiment.metric_infos] == ["loss", "test_loss", "test_accuracy"]
    assert {m.name.group for m in experiment.metric_infos} == {"tensorboard"}
    assert all("/" not in run for run in data)  # in the run directories, which --resume keeps
    sessions = {run: {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind"))
                                    for k, v in d.session_start_info.hparams.items()}
                for run, d in data.items()}
    assert sessions == {Path(r["run_dir"]).name: {"optimizer": r["optimizer"],
                                                  **({"optimizer.beta": r["optimizer.beta"]}
                                                     if r["optimizer.beta"] is not None else {})}
                        for r in rows}
    # the metrics the dashboard shows, found where TensorBoard looks: the scalars' last values
    [loss] = [m.name for m in experiment.metric_infos if m.name.tag == "loss"]
    for row in rows:
        run, tag = run_tag_from_session_and_metric(Path(row["run_dir"]).name, loss)
        last = events.Tensors(run, tag)[-1]
        assert last.step == 2 and float(tensor_util.make_ndarray(last.tensor_proto)) == pytest.approx(
            row["final_loss"], rel=1e-6)


# ---------------------------------------------------------------- figures (no training)


def test_band_and_sensitivity_figures(tmp_path: Path) -> None:
    histories = {"good": [History(loss=[1.0, 0.5, 0.25]), History(loss=[1.2, 0.6, 0.3])],
                 "diverging": [History(loss=[1.0, math.inf]), History(loss=[1.0, 0.9, 0.8])]}
    written = plot_bands(histories, tmp_path / "loss.png", tmp_path / "accuracy.png", "t")
    assert written == [tmp_path / "loss.png"]  # no run has test accuracy
    assert written[0].read_bytes().startswith(b"\x89PNG")
    named = tune([summarize({g: [{"final_loss": v, "diverged": False}]}, {g: {"loss": g}})[0]
                  for g, v in (("mse", 0.2), ("cross-entropy", 0.1))], "loss", "loss")
    path = plot_sensitivity(named, tmp_path / "sensitivity.svg", "t")  # names, not numbers, on x
    assert b"<svg" in path.read_bytes()


def test_a_winner_at_an_end_of_the_range_says_so() -> None:
    from nnfw.compare.spread_report import tuning_lines

    def tuned(best_at: int) -> str:
        losses = [0.5, 0.5, 0.5]
        losses[best_at] = 0.1
        [line] = tuning_lines(tune([summarize({f"g{i}": [{"final_loss": v, "diverged": False}]},
                                              {f"g{i}": {"lr": 10.0 ** i}})[0]
                                    for i, v in enumerate(losses)], "lr", "loss"))
        return line

    assert "widen the range" in tuned(0) and "widen the range" in tuned(2)
    assert "widen the range" not in tuned(1)


def test_a_resumed_run_keeps_its_hparams_record(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer
    from tensorboard.plugins.hparams import metadata

    code, out, err = run_cli(capsys, monkeypatch, "--config", "iris", "--optimizer", "sgd,adam",
                             *FAST, "--out", str(tmp_path), "--json")
    assert code == 0, err
    run_dir = Path(strict_json(out)[0]["run_dir"])
    nnfw.train(resume=str(run_dir), epochs=5)  # rewrites tensorboard/ with the whole history
    events = EventMultiplexer()
    events.AddRunsFromDirectory(str(run_dir))
    events.Reload()
    assert "." in events.PluginRunToTagToContent(metadata.PLUGIN_NAME)  # the session: the run itself
    assert events.Tensors("tensorboard", "loss")[-1].step == 4
