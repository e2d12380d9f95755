"""Plugins that break at train time are named in one line; nothing else breaks."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import pytest

import nnfw
from nnfw import PluginError, hookimpl
from nnfw.api import use_registry
from nnfw.registry import Candidate, entry_point_candidates, load_registry


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
