"""nnfw.testing: the kit for plugin authors, checked on every built-in plugin and on planted mistakes."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import types
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

import nnfw
from conftest import REPO
from nnfw.cli import cli
from nnfw.testing import PluginCheckError, check_plugin, plugin_registry

BUILT_IN_MODULES = sorted({ep.value for ep in metadata.entry_points(group="nnfw")
                           if ep.dist is not None and ep.dist.metadata["Name"] == "nnfw"})
LION = REPO / "examples" / "nnfw-lion"


@pytest.fixture(scope="module")
def checked() -> tuple[list[str], list[str]]:
    """check_plugin over every built-in plugin and the example Lion plugin, once."""
    sys.path.insert(0, str(LION))
    try:
        modules = [importlib.import_module(name) for name in [*BUILT_IN_MODULES, "nnfw_lion"]]
        try:
            return [], check_plugin(*modules)
        except PluginCheckError as failed:
            return failed.failures, []
    finally:
        sys.path.remove(str(LION))


@pytest.mark.parametrize("module", [*BUILT_IN_MODULES, "nnfw_lion"])
def test_every_built_in_plugin_and_the_example_pass_check_plugin(
        checked: tuple[list[str], list[str]], module: str) -> None:
    failures, _ = checked
    plugin = {ep.value: ep.name for ep in metadata.entry_points(group="nnfw")}.get(module, "nnfw-lion")
    mine = [line for line in failures if f":{plugin}" in line or f"plugin {plugin!r}" in line]
    assert not mine, mine
    assert not failures, failures


def test_the_checks_that_could_not_run_say_why(checked: tuple[list[str], list[str]]) -> None:
    _, notes = checked
    assert any("dataset 'csv:csv': not built: it needs path" in note for note in notes), notes


def planted(tmp_path: Path, name: str, source: str) -> types.ModuleType:
    """A plugin module written to a file, importable by name (for the fresh-process checks)."""
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def failures_of(*modules: types.ModuleType, fresh_process: bool = False) -> list[str]:
    with pytest.raises(PluginCheckError) as failed:
        check_plugin(*modules, fresh_process=fresh_process)
    return failed.value.failures


def test_check_plugin_finds_an_optimizer_that_does_not_train(tmp_path: Path) -> None:
    module = planted(tmp_path, "still_optimizer", """
        from nnfw import hookimpl

        def build(learning_rate):
            import keras

            class Still(keras.optimizers.Optimizer):
                def update_step(self, gradient, variable, learning_rate):
                    pass  # never moves

            return Still(learning_rate=learning_rate)

        @hookimpl
        def register_optimizers(register):
            register("still", build, description="forgets to update")
        """)
    found = failures_of(module)
    assert any(line.startswith("optimizer 'still-optimizer:still': lowers a small problem's loss")
               for line in found), found
    # defined inside the factory and not registered with Keras: it cannot be saved either
    assert any("survives get_config / from_config" in line for line in found), found


def test_check_plugin_finds_an_activation_keras_cannot_save(tmp_path: Path) -> None:
    module = planted(tmp_path, "plain_activation", """
        from nnfw import hookimpl

        @hookimpl
        def register_activations(register):
            register("halve", lambda: (lambda x: x * 0.5), description="an unregistered lambda")
        """)
    found = failures_of(module)
    assert any(line.startswith("activation 'plain-activation:halve': survives get_config")
               for line in found), found


def test_check_plugin_finds_a_plugin_that_imports_tensorflow_when_imported(tmp_path: Path) -> None:
    module = planted(tmp_path, "heavy_import", """
        import keras  # at import time: what plugins must not do

        from nnfw import hookimpl

        @hookimpl
        def register_activations(register):
            register("double", build, description="x * 2")

        @keras.saving.register_keras_serializable(package="heavy")
        def double(x):
            return x * 2

        def build():
            return double
        """)
    found = failures_of(module, fresh_process=True)
    assert any("plugin 'heavy-import': imports no TensorFlow: importing it imported" in line
               for line in found), found


def test_check_plugin_finds_a_registration_mistake(tmp_path: Path) -> None:
    module = planted(tmp_path, "wrong_params", """
        from nnfw import Param, hookimpl

        @hookimpl
        def register_losses(register):
            register("weird", lambda: None, description="d", params=[Param("gamma", 1.0, "g")])
        """)
    (line,) = failures_of(module)
    assert line.startswith("plugin 'wrong-params': registers:") and "gamma" in line


def test_plugin_registry_puts_a_module_in_front_of_the_api_and_the_cli(tmp_path: Path) -> None:
    module = planted(tmp_path, "tiny_schedule", """
        from nnfw import hookimpl

        @hookimpl
        def register_schedules(register):
            register("half", lambda learning_rate, steps_per_epoch: learning_rate / 2,
                     description="half the learning rate, constant")
        """)
    with plugin_registry(module):
        assert nnfw.schedule("half", 0.2) == 0.1
        listed = CliRunner().invoke(cli, ["list", "schedules"])
        assert listed.exit_code == 0 and "half" in listed.output
        run = nnfw.train(dataset="yogurt", loss="mse", schedule="half", lr=0.2, epochs=2)
        assert run.history.lr == pytest.approx([0.1, 0.1])
    with pytest.raises(nnfw.UsageError, match="unknown schedule 'half'"):
        nnfw.schedule("half", 0.2)  # gone again after the block


def test_importing_nnfw_testing_imports_no_tensorflow() -> None:
    code = "import sys, nnfw.testing; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_a_failure_line_names_kind_entry_and_check() -> None:
    failure = PluginCheckError(["optimizer 'x:y': lowers a small problem's loss: ValueError: no"])
    assert str(failure) == "optimizer 'x:y': lowers a small problem's loss: ValueError: no"
    assert isinstance(failure, AssertionError)




def test_check_plugin_finds_a_loss_that_is_halved_on_two_replicas(tmp_path: Path) -> None:
    # Keras' Loss.__call__ divides by the number of replicas; returned as one number, nnfw
    # weighs the replicas' parts again: on two replicas it trains on half the loss
    module = planted(tmp_path, "halved_loss", """
        from nnfw import hookimpl

        def build():
            import keras

            mse = keras.losses.MeanSquaredError()
            return lambda y_true, y_pred: mse(y_true, y_pred)

        @hookimpl
        def register_losses(register):
            register("halved", build, description="Keras' MSE called whole", tasks=("regression",))
        """)
    found = failures_of(module)
    assert any(line.startswith("loss 'halved-loss:halved': trains the same on one device and on two "
                               "replicas") for line in found), found


def test_check_plugin_finds_a_loss_whose_probabilities_are_not_probabilities(tmp_path: Path) -> None:
    module = planted(tmp_path, "logit_loss", """
        from nnfw import hookimpl
        from nnfw_plugins.losses.cross_entropy import keras_class

        def build():
            return keras_class()(from_logits=True)

        @hookimpl
        def register_losses(register):
            register("raw", build, description="cross-entropy, logits shown as probabilities",
                     tasks=("classification",), per_class_outputs=True,
                     probabilities=lambda outputs: outputs)
        """)
    found = failures_of(module)
    assert any(line.startswith("loss 'logit-loss:raw': turns outputs into probabilities")
               for line in found), found
