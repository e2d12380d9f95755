"""The command line: listing without TensorFlow, training, settings from options and files, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import nnfw
from conftest import heavy_imports, plant_distribution, run_nnfw
from nnfw.cli import main

BUILT_INS = {
    "optimizer": {"sgd", "sgdm", "adagrad", "rmsprop", "adam"},
    "schedule": {"constant", "exponential"},
    "activation": {"sigmoid", "tanh", "relu", "leaky-relu", "linear", "softmax"},
    "loss": {"mse", "cost-profit", "cross-entropy"},
    "regularizer": {"l2", "l1"},
    "initializer": {"he-normal", "normal", "truncated-normal", "zeros", "constant"},
    "dataset": {"iris", "yogurt", "dot", "csv"},
    "experiment": {"iris", "yogurt-mse", "yogurt-cost-profit", "dot-plain", "dot-l2"},
    "strategy": {"default", "mirrored", "multi-worker"},
    "function": {"lecture-square", "rosenbrock", "beale", "saddle", "rastrigin"},
    "model": {"dense"},
    "metric": {"accuracy", "precision", "recall", "f1", "confusion-matrix", "mae", "r2"},
}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.mark.parametrize("args", [["--help"], ["list-plugins"], ["list", "optimizers"],
                                  ["describe", "rmsprop"]])
def test_listing_never_imports_tensorflow(args: list[str]) -> None:
    _, heavy = heavy_imports(*args)
    assert not heavy & {"tensorflow", "keras", "sklearn", "matplotlib"}
    if args == ["--help"]:  # it loads no plugin, so nothing it imports needs numpy either
        assert "numpy" not in heavy


def test_import_nnfw_does_not_import_tensorflow() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, nnfw; nnfw.registry();"
                           "print('tensorflow' in sys.modules, 'keras' in sys.modules)"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"


def test_list_plugins_json_shows_every_built_in(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "list-plugins", "--json")
    assert code == 0
    plugins = json.loads(out)
    assert {"name", "distribution", "version", "status", "error", "provides"} <= set(plugins[0])
    provided: dict[str, set[str]] = {}
    for plugin in plugins:
        if plugin["distribution"] == "nnfw":
            assert plugin["status"] == "ok", plugin
            for kind, names in plugin["provides"].items():
                provided.setdefault(kind, set()).update(names)
    assert provided == BUILT_INS
    # one concept per plugin: no built-in plugin provides more than one entry (but experiments)
    assert all(len(names) == 1 for p in plugins if p["distribution"] == "nnfw"
               for kind, names in p["provides"].items() if kind != "experiment")


def test_list_and_describe(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "list", "optimizers")
    assert code == 0 and all(name in out for name in BUILT_INS["optimizer"])
    code, out, _ = cli(capsys, "describe", "sgdm")
    assert code == 0 and "beta" in out and "default 0.9" in out and "[0, 1)" in out
    code, out, _ = cli(capsys, "describe", "constant")  # a schedule and an initializer
    assert "(schedule" in out and "(initializer" in out


@pytest.mark.parametrize(("args", "expected"), [
    (["train", "--optimizer", "rmsprp"], "unknown optimizer 'rmsprp'; did you mean 'rmsprop'?"),
    (["train", "--optimizer", "sgdm", "--optimizer.bta", "0.5"], "did you mean 'beta'"),
    (["train", "--optimizer", "sgdm", "--optimizer.beta", "2"], "optimizer 'sgdm'.beta: 2.0 is out"),
    (["train", "--lr", "-1"],
     "lr: -1.0 is out of range; accepted: a number in [1.1754943508222875e-38, 3.4028234663852886e+38]"),
    (["train", "--epochs", "0"], "epochs: 0 is out of range"),
    (["train", "--epochs", "many"], "epochs: 'many' is not a whole number"),
    (["train", "--hidden", "4,x"], "hidden: '4,x' is not a list of positive layer sizes"),
    (["train", "--config", "no-such.toml"], "config file 'no-such.toml': no such file"),
    (["train", "--optimzer.beta", "1"], "unknown plugin setting '--optimzer.beta'"),
    (["list", "optimisers"], "did you mean 'optimizers'"),
    (["describe", "rmsprob"], "did you mean 'rmsprop'"),
])
def test_bad_input_is_one_line_with_exit_code_2(capsys: pytest.CaptureFixture[str],
                                                args: list[str], expected: str) -> None:
    code, _, err = cli(capsys, *args)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_train_json_and_run_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "train", "--epochs", "3", "--out", str(tmp_path), "--json",
                       "--optimizer", "sgdm", "--optimizer.beta", "0.5")
    assert code == 0
    summary = json.loads(out)
    assert summary["epochs_run"] == 3 and summary["diverged"] is False
    assert set(summary["final"]) >= {"loss", "test_accuracy"}
    assert summary["train_seconds"] > 0
    assert set(summary["weights"]) == {"nnfw/output/kernel", "nnfw/output/bias"}
    run = Path(summary["run_dir"])
    assert run.parent == tmp_path
    assert {p.name for p in run.iterdir()} == {"settings.toml", "history.csv", "summary.json",
                                               "model.keras", "curves.png", "tensorboard",
                                               "checkpoint.npz", "checkpoint-history.f64",
                                               "provenance.json", "preprocessing.json", ".lock"}
    made_by = json.loads((run / "provenance.json").read_text())
    assert made_by["plugins"]["optimizer"] == {"entry": "sgdm", "plugin": "sgdm", "distribution": "nnfw",
                                               "version": nnfw.__version__}
    assert made_by["versions"]["nnfw"] == nnfw.__version__
    settings = tomllib.loads((run / "settings.toml").read_text())
    assert settings["optimizer"] == {"name": "sgdm", "beta": 0.5}
    assert len((run / "history.csv").read_text().splitlines()) == 1 + 3
    # the saved settings are a config file that gives the same run again
    code, out, _ = cli(capsys, "train", "--config", str(run / "settings.toml"), "--json")
    again = json.loads(out)
    assert again["final"] == summary["final"] and again["run_dir"] != summary["run_dir"]


def test_options_override_the_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'epochs = 2\nout = "{tmp_path}"\nlr = 0.05\n[optimizer]\nname = "sgdm"\nbeta = 0.8\n')
    code, out, _ = cli(capsys, "train", "--config", str(config), "--epochs", "1", "--json")
    assert code == 0 and json.loads(out)["epochs_run"] == 1
    run = Path(json.loads(out)["run_dir"])
    saved = tomllib.loads((run / "settings.toml").read_text())
    assert saved["lr"] == 0.05 and saved["optimizer"] == {"name": "sgdm", "beta": 0.8}
    # choosing another optimizer drops the file's sgdm hyperparameters
    code, out, _ = cli(capsys, "train", "--config", str(config), "--optimizer", "adam", "--json")
    saved = tomllib.loads((Path(json.loads(out)["run_dir"]) / "settings.toml").read_text())
    assert saved["optimizer"]["name"] == "adam" and "beta" not in saved["optimizer"]


def test_bad_config_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = = 3\n")
    code, _, err = cli(capsys, "train", "--config", str(bad))
    assert code == 2 and "is not valid TOML" in err
    bad.write_text("epocs = 3\n")
    code, _, err = cli(capsys, "train", "--config", str(bad))
    assert code == 2 and "unknown setting 'epocs'; did you mean 'epochs'" in err


def test_loss_that_does_not_fit_the_data(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "train", "--dataset", "yogurt", "--loss", "cross-entropy")
    assert code == 2 and "is regression; losses that fit: cost-profit, mse" in err


def test_python_dash_m_and_a_broken_plugin(tmp_path: Path, broken_plugin_env: dict[str, str]) -> None:
    listing = run_nnfw("list-plugins", env=broken_plugin_env)
    assert listing.returncode == 0
    assert "broken-lion" in listing.stdout and "RuntimeError: this plugin is broken on purpose" in (
        listing.stdout)
    trained = run_nnfw("train", "--epochs", "2", "--out", str(tmp_path), "--json",
                       env=broken_plugin_env)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["epochs_run"] == 2
    assert "plugin 'broken-lion' (nnfw-broken-lion 0.1) error" in trained.stderr
    asked = run_nnfw("train", "--optimizer", "broken-lion", env=broken_plugin_env)
    assert asked.returncode == 2 and "it may come from plugin 'broken-lion'" in asked.stderr
    disabled = run_nnfw("list-plugins", env={**broken_plugin_env,
                                             "NNFW_DISABLE_PLUGINS": "broken-lion"})
    assert "disabled" in disabled.stdout and "RuntimeError" not in disabled.stdout
    strict = run_nnfw("list-plugins", env={**broken_plugin_env, "NNFW_STRICT_PLUGINS": "1"})
    assert strict.returncode != 0 and "Traceback" in strict.stderr
    flagged = run_nnfw("--strict-plugins", "list-plugins", env=broken_plugin_env)
    assert flagged.returncode != 0 and "broken on purpose" in flagged.stderr
    off = run_nnfw("--disable-plugins", "nnfw-broken-lion", "list-plugins", env=broken_plugin_env)
    assert off.returncode == 0 and "disabled" in off.stdout
    only_ours = run_nnfw("--plugins", "nnfw", "list-plugins", "--json", env=broken_plugin_env)
    statuses = {p["name"]: p["status"] for p in json.loads(only_ours.stdout)}
    assert statuses["broken-lion"] == "disabled" and statuses["sgd"] == "ok"


def test_saved_model_loads_in_a_fresh_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "train", "--config", "dot-l2", "--epochs", "2", "--out", str(tmp_path),
                       "--json", "--activation", "leaky-relu", "--optimizer", "adam")
    assert code == 0
    run = Path(json.loads(out)["run_dir"])
    script = ("import sys, numpy as np, nnfw\n"
              "model = nnfw.load_model(sys.argv[1])\n"
              "x = np.array([[0.5, -1.0], [2.0, 0.1]], dtype='float32')\n"
              "print(type(model.optimizer).__name__, model(x).numpy().ravel().tolist())")
    done = subprocess.run([sys.executable, "-c", script, str(run / "model.keras")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    here = nnfw.load_model(str(run / "model.keras"))
    expected = here(np.array([[0.5, -1.0], [2.0, 0.1]], dtype="float32")).numpy().ravel().tolist()
    name, values = done.stdout.strip().split(" ", 1)
    assert name == "LectureAdam" and json.loads(values) == pytest.approx(expected, rel=1e-6)


def test_a_third_party_adam_leaves_the_built_in_adam_alone(tmp_path: Path) -> None:
    root = plant_distribution(tmp_path / "site", "nnfw-other-adam", {"other_adam": """
        from nnfw import hookimpl

        def build(learning_rate):
            import keras

            return keras.optimizers.SGD(learning_rate)

        @hookimpl
        def register_optimizers(register):
            register("adam", build, description="Keras' SGD under a name nnfw already uses.")
        """}, {"other-adam": "other_adam"})
    env = {"PYTHONPATH": str(root)}
    described = run_nnfw("describe", "adam", env=env)
    assert described.returncode == 0, described.stderr
    assert described.stdout.startswith("adam (optimizer, plugin adam, from nnfw ")
    warnings = [line for line in described.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "other-adam:adam" in warnings[0], warnings
    for name, origin in (("adam", f"adam, from nnfw {nnfw.__version__}"),
                         ("other-adam:adam", "other-adam, from nnfw-other-adam 0.1")):
        trained = run_nnfw("train", "--config", "iris", "--optimizer", name, "--epochs", "3",
                           "--json", "--out", str(tmp_path / "runs"), env=env)
        assert trained.returncode == 0, trained.stderr
        summary = json.loads(trained.stdout)
        assert summary["settings"]["optimizer"] == name
        shown = run_nnfw("show", summary["run_dir"], env=env)  # provenance: who made each part
        assert f"  optimizer: adam (plugin {origin})" in shown.stdout, shown.stdout
    other = run_nnfw("describe", "other-adam:adam", env=env)
    assert other.stdout.startswith("adam (optimizer, plugin other-adam, from nnfw-other-adam 0.1)")
    requirements = run_nnfw("list-plugins", "--requirements", env=env)
    assert requirements.stdout.splitlines() == ["nnfw-other-adam==0.1"]


def test_a_plugin_importing_tensorflow_when_loaded_is_named_by_list_plugins(tmp_path: Path) -> None:
    root = plant_distribution(tmp_path / "site", "nnfw-heavy", {"heavy_plugin": """
        import tensorflow  # at import time: what plugins must not do
        """}, {"heavy": "heavy_plugin"})
    listed = run_nnfw("list-plugins", env={"PYTHONPATH": str(root)})
    assert listed.returncode == 0, listed.stderr
    (line,) = [line for line in listed.stdout.splitlines() if line.startswith("plugin 'heavy'")]
    assert "imported tensorflow" in line and " s, which every nnfw command now waits for" in line


def test_a_model_with_a_plugin_activation_that_needs_a_value_loads_from_its_declared_class(
        tmp_path: Path) -> None:
    # 'slope' has no default, so the entry cannot be built with defaults: only its declared
    # keras_objects tell nnfw.load_model which class the saved model needs
    root = plant_distribution(tmp_path / "site", "nnfw-scaled-relu", {"scaled_relu": """
        import functools

        from nnfw import Param, hookimpl

        @functools.cache
        def keras_class():
            import keras

            @keras.saving.register_keras_serializable(package="scaled_relu")
            class ScaledRelu:
                def __init__(self, slope):
                    self.slope = slope

                def __call__(self, x):
                    return keras.ops.relu(x) * self.slope

                def get_config(self):
                    return {"slope": self.slope}

                @classmethod
                def from_config(cls, config):
                    return cls(**config)

            return ScaledRelu

        @hookimpl
        def register_activations(register):
            register("scaled-relu", lambda slope: keras_class()(slope), description="relu * slope",
                     params=[Param("slope", None, "the factor", type=float)], keras_objects=keras_class)
        """}, {"scaled-relu": "scaled_relu"})
    env = {"PYTHONPATH": str(root)}
    trained = run_nnfw("train", "--dataset", "iris", "--hidden", "3", "--activation", "scaled-relu",
                       "--activation.slope", "2", "--epochs", "2", "--json", "--out",
                       str(tmp_path / "runs"), env=env)
    assert trained.returncode == 0, trained.stderr
    model = Path(json.loads(trained.stdout)["run_dir"]) / "model.keras"
    code = ("import sys, nnfw; a = nnfw.load_model(sys.argv[1]).get_layer('hidden1').activation; "
            "print(type(a).__name__, a.slope)")
    loaded = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"},
                            check=False)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split() == ["ScaledRelu", "2.0"]


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["train", "--help"], ["runs", "--help"]])
def test_help_and_version_are_printed_on_stdout(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "nnfw", *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() and done.stderr == "", done.stderr
