"""Plugins that break at train time are named in one line; nothing else breaks."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_cli import cli

import nnfw
from nnfw import PluginError, hookimpl
from nnfw.api import use_registry
from nnfw.cli import main
from nnfw.errors import NnfwWarning
from nnfw.plugin.loading import Candidate, entry_point_candidates, load_registry


def error_lines(err: str) -> list[str]:
    """stderr's lines without the progress display's first one, which training shows before
    it compiles (the failures here happen while it compiles or trains)."""
    return [line for line in err.strip().splitlines()
            if not re.fullmatch(r"(resuming )?training \d+ epochs: compiling\.\.\.", line)]


def planted(**hooks: Any) -> types.ModuleType:
    module = types.ModuleType("planted")
    for name, function in hooks.items():
        setattr(module, name, hookimpl(function))
    return module


def raising_factory(learning_rate: Any) -> Any:
    raise RuntimeError("cannot build this optimizer")


def nan_optimizer(learning_rate: Any) -> Any:
    """A real Keras optimizer whose every update is NaN."""
    import keras

    class NanUpdates(keras.optimizers.Optimizer):
        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            self.assign(variable, keras.ops.full_like(variable, float("nan")))

    return NanUpdates(learning_rate=learning_rate)


def register_optimizers(register: Any) -> None:
    register("explodes", raising_factory, description="raises when built")
    register("nan-updates", nan_optimizer, description="returns NaN updates")


@pytest.fixture
def with_planted_plugin() -> Iterator[None]:
    module = planted(register_optimizers=register_optimizers)
    use_registry(load_registry([*entry_point_candidates(), Candidate("planted", lambda: module)]))
    yield
    use_registry(None)


def test_a_factory_that_raises_is_a_plugin_error_naming_the_plugin(with_planted_plugin: None) -> None:
    with pytest.raises(PluginError) as info:
        nnfw.train(optimizer="explodes", epochs=1)
    message = str(info.value)
    assert "optimizer 'explodes' of plugin 'planted' failed: RuntimeError: cannot build" in message
    assert "\n" not in message
    assert nnfw.train(optimizer="sgd", epochs=1).history.epochs_run == 1  # the rest still works


def test_an_optimizer_with_nan_updates_is_reported_as_divergence(with_planted_plugin: None) -> None:
    result = nnfw.train(optimizer="nan-updates", epochs=5)
    assert result.divergence is not None
    assert (result.divergence.epoch, result.divergence.step) == (0, 1)


# ---------------------------------------------------------------- issue 17: isolation

def use_planted(**hooks: Any) -> None:
    module = planted(**hooks)
    use_registry(load_registry([*entry_point_candidates(), Candidate("planted", lambda: module)]))


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    yield
    use_registry(None)
    import keras

    keras.config.set_floatx("float32")


def wrong(value: Any) -> Any:
    return lambda *args, **kwargs: value


WRONG_RESULTS = [  # (slot, kind's hook, what the factory returns, its type as reported)
    ("optimizer", "register_optimizers", "adam", "str"),
    ("loss", "register_losses", 3.0, "float"),
    ("schedule", "register_schedules", "fast", "str"),
    ("activation", "register_activations", None, "None"),
    ("init", "register_initializers", [0.1], "list"),
    ("regularizer", "register_regularizers", 0.01, "float"),
    ("dataset", "register_datasets", {"x": [1]}, "dict"),
    ("strategy", "register_strategies", object(), "object"),
]


@pytest.mark.parametrize(("slot", "hook", "value", "shown"), WRONG_RESULTS,
                         ids=[case[0] for case in WRONG_RESULTS])
def test_a_factory_returning_the_wrong_type_is_one_line_naming_it(
        capsys: pytest.CaptureFixture[str], fresh_registry: None, tmp_path: Path, slot: str,
        hook: str, value: Any, shown: str) -> None:
    def register(register: Any) -> None:
        register("odd", wrong(value), description="returns the wrong thing")

    use_planted(**{hook: register})
    code, _, err = cli(capsys, "train", f"--{slot}", "odd", "--hidden", "3", "--epochs", "1",
                       "--out", str(tmp_path))
    lines = err.strip().splitlines()
    assert code == 3 and len(lines) == 1 and "Traceback" not in err, err
    article = "an" if shown[0] in "aeiou" else "a"
    assert f"'odd' of plugin 'planted' returned {article} {shown}, not " in lines[0]


def test_a_schedule_that_breaks_when_asked_is_blamed_not_the_optimizer(
        capsys: pytest.CaptureFixture[str], fresh_registry: None, tmp_path: Path) -> None:
    def broken_schedule(learning_rate: float, steps_per_epoch: int) -> Any:
        import keras

        class Broken(keras.optimizers.schedules.LearningRateSchedule):
            def __call__(self, step: Any) -> Any:
                raise ZeroDivisionError("no rate today")

        return Broken()

    use_planted(register_schedules=lambda register: register(
        "broken", broken_schedule, description="fails when asked"))
    code, _, err = cli(capsys, "train", "--schedule", "broken", "--epochs", "1", "--out", str(tmp_path))
    assert code == 3 and len(err.strip().splitlines()) == 1, err
    assert "schedule 'broken' of plugin 'planted' returned a schedule that fails at step 0" in err
    assert "optimizer" not in err


def test_a_loss_that_fails_while_training_is_named(capsys: pytest.CaptureFixture[str],
                                                  fresh_registry: None, tmp_path: Path) -> None:
    def loss_factory() -> Any:
        def loss(targets: Any, outputs: Any) -> Any:
            raise ValueError("this loss cannot be computed")
        return loss

    use_planted(register_losses=lambda register: register("bad", loss_factory, description="raises"))
    code, _, err = cli(capsys, "train", "--loss", "bad", "--epochs", "1", "--out", str(tmp_path))
    lines = error_lines(err)
    assert code == 3 and len(lines) == 1 and "Traceback" not in err, err
    assert "training failed in loss 'bad' of plugin 'planted': ValueError: this loss cannot" in lines[0]


def test_keras_global_settings_changed_by_a_plugin_are_put_back(
        capsys: pytest.CaptureFixture[str], fresh_registry: None, tmp_path: Path) -> None:
    def register_optimizers(register: Any) -> None:
        import keras

        keras.config.set_floatx("float16")  # at registration: every run would be float16
        register("half", half_sgd, description="sets float64 when built")

    def half_sgd(learning_rate: Any) -> Any:
        import keras

        keras.config.set_epsilon(0.5)
        return keras.optimizers.SGD(learning_rate)

    with pytest.warns(NnfwWarning, match="plugin 'planted' changed Keras' floatx; nnfw put it back"):
        use_planted(register_optimizers=register_optimizers)
    code, out, err = cli(capsys, "train", "--optimizer", "half", "--epochs", "2", "--json",
                         "--out", str(tmp_path))
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("nnfw: warning:")]
    assert any("optimizer 'half' of plugin 'planted' changed Keras' epsilon" in line
               for line in warnings), err
    import keras

    assert keras.config.floatx() == "float32" and keras.config.epsilon() == 1e-7
    assert json.loads(out)["epochs_run"] == 2


def test_plugins_that_print_never_break_json_output(capfd: pytest.CaptureFixture[str],
                                                   fresh_registry: None, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def register_optimizers(register: Any) -> None:
        print("hello from a hook")
        register("chatty", chatty, description="prints when built")

    def chatty(learning_rate: Any) -> Any:
        import keras

        print("hello from a factory")
        os.write(1, b"native bytes on descriptor 1\n")
        return keras.optimizers.SGD(learning_rate)

    def load_chatty() -> object:
        print("hello from an import")
        return planted(register_optimizers=register_optimizers)

    installed = entry_point_candidates()
    monkeypatch.setattr(sys.modules["nnfw.plugin.loading"], "entry_point_candidates",
                        lambda: [*installed, Candidate("chatty", load_chatty)])
    for args in (["list-plugins", "--json"],
                 ["train", "--optimizer", "chatty", "--epochs", "1", "--json", "--out",
                  str(tmp_path)]):
        use_registry(None)  # the command loads the plugins itself
        with pytest.raises(SystemExit) as done:
            main(args)
        out, err = capfd.readouterr()
        assert done.value.code in (0, None), err
        json.loads(out)  # stdout is nnfw's JSON and nothing else
        assert "hello from an import" in err and "hello from a hook" in err
    assert "hello from a factory" in err and "native bytes" in err


def test_a_plugin_slow_to_import_is_named_while_it_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["nnfw.plugin.loading"], "SLOW_IMPORT_SECONDS", 0.2)

    def slow_import() -> object:
        time.sleep(1.0)
        return planted()

    with pytest.warns(NnfwWarning, match="loading plugin 'sleepy' is taking more than 0.2 s"):
        load_registry([Candidate("sleepy", slow_import)])


def test_chdir_in_plugin_code_does_not_move_the_run(capsys: pytest.CaptureFixture[str],
                                                   fresh_registry: None, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def wandering(learning_rate: Any) -> Any:
        import keras

        os.chdir(elsewhere)
        return keras.optimizers.SGD(learning_rate)

    use_planted(register_optimizers=lambda register: register(
        "wander", wandering, description="changes directory"))
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "train", "--optimizer", "wander", "--epochs", "1", "--out", "runs")
    assert code == 0, err
    assert "changed the working directory; nnfw put it back" in err
    assert list((tmp_path / "runs").iterdir()) and not list(elsewhere.iterdir())
    assert Path.cwd() == tmp_path


class Escape(BaseException):
    """Not an Exception: a plugin may still raise it."""


def test_base_exceptions_and_system_exit_from_plugins_are_contained(
        capsys: pytest.CaptureFixture[str], fresh_registry: None, tmp_path: Path) -> None:
    def escaping(learning_rate: Any) -> Any:
        raise Escape("out of here")

    def exiting(learning_rate: Any) -> Any:
        raise SystemExit(7)

    def register_optimizers(register: Any) -> None:
        register("escape", escaping, description="raises a BaseException")
        register("exit", exiting, description="calls sys.exit")

    def broken_hook(register: Any) -> None:
        raise Escape("in a hook")

    candidates = [Candidate("planted", lambda: planted(register_optimizers=register_optimizers)),
                  Candidate("broken", lambda: planted(register_losses=broken_hook))]
    use_registry(load_registry([*entry_point_candidates(), *candidates]))
    for name, words in (("escape", "Escape: out of here"), ("exit", "SystemExit: 7")):
        code, _, err = cli(capsys, "train", "--optimizer", name, "--epochs", "1",
                           "--out", str(tmp_path))
        assert code == 3 and len(err.strip().splitlines()) == 2, err  # the broken plugin's warning too
        assert f"optimizer {name!r} of plugin 'planted' failed: {words}" in err
    assert "plugin 'broken'" in err and "Escape: in a hook" in err


def activation_that_raises() -> Any:
    def activation(x: Any) -> Any:
        raise RuntimeError("activation broke")
    return activation


def initializer_that_raises() -> Any:
    def initializer(shape: Any, dtype: Any = None) -> Any:
        raise ArithmeticError("initializer broke")
    return initializer


def optimizer_whose_update_raises(learning_rate: Any) -> Any:
    import keras

    class Broken(keras.optimizers.Optimizer):
        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            raise LookupError("update broke")

    return Broken(learning_rate=learning_rate)


def regularizer_that_raises() -> Any:
    def regularizer(weights: Any) -> Any:
        raise FloatingPointError("regularizer broke")
    return regularizer


RAISING_IN_TRAINING = [  # (hook, factory, options choosing it, what the line names)
    ("register_activations", activation_that_raises, ["--activation", "odd", "--hidden", "3"],
     "activation 'odd' of plugin 'planted': RuntimeError: activation broke"),
    ("register_initializers", initializer_that_raises, ["--init", "odd"],
     "initializer 'odd' of plugin 'planted': ArithmeticError: initializer broke"),
    ("register_optimizers", optimizer_whose_update_raises, ["--optimizer", "odd"],
     "optimizer 'odd' of plugin 'planted': LookupError: update broke"),
    ("register_regularizers", regularizer_that_raises, ["--regularizer", "odd"],
     "regularizer 'odd' of plugin 'planted': FloatingPointError: regularizer broke"),
]


@pytest.mark.parametrize(("hook", "factory", "options", "named"), RAISING_IN_TRAINING,
                         ids=[case[0] for case in RAISING_IN_TRAINING])
def test_code_of_a_plugin_raising_while_the_model_is_built_or_trained_is_named(
        capsys: pytest.CaptureFixture[str], fresh_registry: None, tmp_path: Path, hook: str,
        factory: Any, options: list[str], named: str) -> None:
    use_planted(**{hook: lambda register: register("odd", factory, description="raises")})
    code, _, err = cli(capsys, "train", *options, "--epochs", "2", "--out", str(tmp_path))
    lines = error_lines(err)
    assert code == 3 and len(lines) == 1 and "Traceback" not in err, err
    assert f"nnfw: error: training failed in {named} (NNFW_STRICT_PLUGINS=1" in lines[0]


def test_a_failure_no_plugin_code_raised_is_one_line_with_tensorflows_reason(
        capsys: pytest.CaptureFixture[str], fresh_registry: None, tmp_path: Path) -> None:
    def text_loss() -> Any:
        return lambda targets, outputs: "not a number"  # fails in TensorFlow's graph, later

    use_planted(register_losses=lambda register: register("text", text_loss, description="text"))
    code, _, err = cli(capsys, "train", "--loss", "text", "--epochs", "2", "--out", str(tmp_path))
    lines = error_lines(err)
    assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert "training failed: UnimplementedError: Cast string to float is not supported" in lines[0]
