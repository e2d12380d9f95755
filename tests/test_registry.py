"""The registry: loading plugins, validating registrations, isolating broken plugins, clashes."""

from __future__ import annotations

import types
from typing import Any

import pytest

from nnfw import Param, UsageError, hookimpl
from nnfw.plugin.loading import Candidate, load_registry


def make_plugin(name: str, **hooks: Any) -> types.ModuleType:
    """A plugin module object whose attributes are the given hook implementations."""
    module = types.ModuleType(name)
    for hook, function in hooks.items():
        setattr(module, hook, hookimpl(function))
    return module


def optimizers(*names: str, params: tuple[Param, ...] = ()) -> Any:
    def register_optimizers(register: Any) -> None:
        for name in names:
            register(name, lambda learning_rate, _name=name, **kw: ("built", _name, learning_rate, kw),
                     description=f"the {name} optimizer", params=params)
    return register_optimizers


def candidate(name: str, module: Any, dist: str | None = None) -> Candidate:
    return Candidate(name, lambda: module, dist, "1.0" if dist else None)


def raising_loader() -> Any:
    raise ImportError("no module named 'torch'")


class Built(tuple):
    """What a stand-in activation factory returns: its arguments, and callable (an
    activation's contract)."""

    def __call__(self, x: Any) -> Any:
        return x


def test_entries_are_found_by_kind_and_built_with_checked_hyperparameters() -> None:
    beta = Param("beta", 0.9, "smoothing", bounds="[0, 1)")

    def register_activations(register: Any) -> None:
        register("fast", lambda **kw: Built(("built", "fast", kw)), description="the fast one",
                 params=(beta,))

    registry = load_registry([candidate("a", make_plugin("a", register_activations=register_activations))])
    entry = registry.get("activation", "fast")
    assert entry.plugin == "a" and entry.description == "the fast one"
    assert entry.build(beta=0.5) == ("built", "fast", {"beta": 0.5})
    assert entry.build()[2] == {"beta": 0.9}
    with pytest.raises(UsageError, match=r"beta: 1\.5 is out of range; accepted: a number in \[0, 1\)"):
        entry.build(beta=1.5)
    with pytest.raises(UsageError, match="no hyperparameter 'betta'; did you mean 'beta'"):
        entry.build(betta=0.5)


def test_load_order_is_sorted_whatever_order_plugins_come_in() -> None:
    plugins = [candidate(n, make_plugin(n)) for n in ("b", "c", "a")]
    names = [p.name for p in load_registry(plugins).plugins]
    assert names == ["a", "b", "c"]


def test_unknown_name_lists_accepted_names_and_the_closest() -> None:
    registry = load_registry([candidate("a", make_plugin("a", register_optimizers=optimizers(
        "rmsprop", "adam")))])
    with pytest.raises(UsageError) as info:
        registry.get("optimizer", "rmsporp")
    message = str(info.value)
    assert "did you mean 'rmsprop'" in message and "Accepted: adam, rmsprop" in message


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_work() -> None:
    good = candidate("good", make_plugin("good", register_optimizers=optimizers("sgd")))
    bad = Candidate("lion", raising_loader, "nnfw-lion", "0.3")
    registry = load_registry([bad, good])
    record = {p.name: p for p in registry.plugins}["lion"]
    assert record.status == "error" and "ImportError: no module named 'torch'" in record.error
    assert registry.get("optimizer", "sgd").plugin == "good"
    line = registry.problems()[0]
    assert "'lion'" in line and "nnfw-lion 0.3" in line and "NNFW_DISABLE_PLUGINS=lion" in line
    with pytest.raises(UsageError, match="it may come from plugin 'lion'"):
        registry.get("optimizer", "lion")


def test_strict_mode_reraises_the_plugin_error() -> None:
    with pytest.raises(ImportError, match="torch"):
        load_registry([Candidate("lion", raising_loader)], strict=True)


def test_a_hook_that_raises_drops_only_that_plugin() -> None:
    def register_losses(register: Any) -> None:
        raise ValueError("boom")

    registry = load_registry([
        candidate("bad", make_plugin("bad", register_losses=register_losses)),
        candidate("good", make_plugin("good", register_optimizers=optimizers("sgd"))),
    ])
    statuses = {p.name: (p.status, p.error) for p in registry.plugins}
    assert statuses["bad"] == ("error", "ValueError: boom")
    assert statuses["good"] == ("ok", None)


@pytest.mark.parametrize(("names", "message"), [
    (("Bad Name",), "not a lower-case slug"),
    (("adam", "adam"), "registers optimizer 'adam' twice"),
])
def test_invalid_registrations_name_the_plugin(names: tuple[str, ...], message: str) -> None:
    registry = load_registry([candidate("p", make_plugin("p", register_optimizers=optimizers(*names)))])
    record = registry.plugins[0]
    assert record.status == "error" and message in record.error
    assert registry.entries("optimizer") == []


def test_register_checks_description_params_and_factory() -> None:
    def register_losses(register: Any) -> None:
        register("mine", "not callable", description="x")

    registry = load_registry([candidate("p", make_plugin("p", register_losses=register_losses))])
    assert "is not callable" in registry.plugins[0].error


def test_a_misspelt_hook_is_an_error_with_a_suggestion() -> None:
    registry = load_registry([candidate("p", make_plugin("p", register_optimiser=optimizers("x")))])
    assert "unknown hook 'register_optimiser'; did you mean 'register_optimizers'" in (
        registry.plugins[0].error)


def test_the_same_name_from_two_plugins_is_a_clash_never_resolved_silently() -> None:
    registry = load_registry([
        candidate("one", make_plugin("one", register_optimizers=optimizers("adam"))),
        candidate("two", make_plugin("two", register_optimizers=optimizers("adam"))),
    ])
    assert [p.status for p in registry.plugins] == ["clash", "clash"]
    with pytest.raises(UsageError, match="choose one: one:adam, two:adam"):
        registry.get("optimizer", "adam")
    assert registry.get("optimizer", "two:adam").plugin == "two"
    assert registry.names("optimizer") == ["one:adam", "two:adam"]


def test_disabled_plugins_are_listed_but_not_loaded() -> None:
    def never() -> Any:
        raise AssertionError("a disabled plugin must not be imported")

    registry = load_registry([Candidate("lion", never, "nnfw-lion"),
                              Candidate("other", never, "nnfw-other")],
                             disabled=["lion", "NNFW_OTHER"])
    assert [p.status for p in registry.plugins] == ["disabled", "disabled"]


def test_defaults_that_plugins_disagree_on_are_not_used() -> None:
    def defaults(value: str) -> Any:
        def register_defaults(register: Any) -> None:
            register("optimizer", value)
            register("dataset", "iris")
        return register_defaults

    registry = load_registry([candidate("a", make_plugin("a", register_defaults=defaults("sgd"))),
                              candidate("b", make_plugin("b", register_defaults=defaults("adam")))])
    assert "optimizer" not in registry.defaults
    assert registry.defaults["dataset"] == ("iris", "a")
    assert registry.plugins[0].status == "clash" and "disagrees" in registry.plugins[0].error



def test_an_allow_list_loads_only_the_named_plugins() -> None:
    def never() -> Any:
        raise AssertionError("a plugin not on the allow-list must not be imported")

    registry = load_registry([candidate("a", make_plugin("a", register_optimizers=optimizers("x"))),
                              Candidate("b", never, "nnfw-b"),
                              candidate("c", make_plugin("c"), dist="nnfw-c")],
                             allowed=["a", "nnfw-c"])
    assert [(p.name, p.status) for p in registry.plugins] == [
        ("a", "ok"), ("b", "disabled"), ("c", "ok")]


def test_a_built_in_name_keeps_meaning_the_built_in_when_a_third_party_registers_it_too() -> None:
    registry = load_registry([
        candidate("zeta", make_plugin("zeta", register_optimizers=optimizers("adam"))),
        candidate("adam", make_plugin("adam", register_optimizers=optimizers("adam")), dist="nnfw"),
        candidate("other", make_plugin("other", register_optimizers=optimizers("adam")), "nnfw-other"),
    ])
    assert registry.get("optimizer", "adam").plugin == "adam"  # nnfw's own
    assert registry.get("optimizer", "other:adam").plugin == "other"
    assert registry.names("optimizer") == ["adam", "other:adam", "zeta:adam"]
    status = {p.name: (p.status, p.error) for p in registry.plugins}
    assert status["adam"] == ("ok", None)  # the built-in is not blamed
    for newcomer in ("other", "zeta"):
        assert status[newcomer][0] == "clash"
        assert "also nnfw's built-in" in status[newcomer][1] and f"{newcomer}:adam" in status[newcomer][1]


def test_a_plugin_name_taken_by_another_distribution_blames_the_newcomer() -> None:
    # "aaa" sorts before "nnfw", yet the built-in plugin 'adam' keeps its name
    registry = load_registry([
        candidate("adam", make_plugin("intruder", register_optimizers=optimizers("sneaky")), "aaa"),
        candidate("adam", make_plugin("adam", register_optimizers=optimizers("adam")), dist="nnfw"),
    ])
    by_distribution = {p.distribution: p for p in registry.plugins}
    assert by_distribution["nnfw"].status == "ok"
    assert by_distribution["aaa"].status == "error" and "already used" in by_distribution["aaa"].error
    assert registry.names("optimizer") == ["adam"]  # nothing of the intruder's was taken in


def test_declared_hyperparameters_that_the_factory_does_not_take_are_refused_at_registration() -> None:
    def register_optimizers(register: Any) -> None:
        register("mismatch", lambda learning_rate, beta: None, description="d",
                 params=[Param("gamma", 0.5, "not what the factory takes")])
        register("fine", lambda learning_rate, **hyperparameters: None, description="d",
                 params=[Param("gamma", 0.5, "taken by **hyperparameters")])

    registry = load_registry([candidate("p", make_plugin("p", register_optimizers=register_optimizers))])
    (record,) = registry.plugins
    assert record.status == "error"
    assert "optimizer 'mismatch': its factory cannot be called with the declared hyperparameters (gamma)" \
        in record.error
    assert record.problem_line().startswith("plugin 'p' error: ")


def test_a_default_outside_its_own_bounds_names_the_plugin_and_the_entry() -> None:
    def register_optimizers(register: Any) -> None:
        register("x", lambda learning_rate, beta: None, description="d",
                 params=[Param("beta", 2.0, "a decay", bounds="[0, 1)")])

    plugin = make_plugin("p", register_optimizers=register_optimizers)
    registry = load_registry([candidate("p", plugin)])
    line = registry.plugins[0].problem_line()
    assert "plugin 'p' error:" in line
    assert "optimizer 'x': the default of beta, 2.0, is not accepted by its own declaration" in line
    with pytest.raises(Exception) as strict:  # strict mode: the same words, and the traceback
        load_registry([candidate("p", plugin)], strict=True)
    assert "the default of beta, 2.0" in str(strict.value)
    assert strict.value.__notes__ == ["(in plugin 'p')"]


def test_register_takes_only_its_documented_parameters() -> None:
    """A hook of one kind cannot register an entry of another through a hidden argument."""
    def register_optimizers(register: Any) -> None:
        register("sneaky", lambda learning_rate: None, description="a loss in disguise",
                 _kind="loss")

    registry = load_registry([candidate("a", make_plugin("a", register_optimizers=register_optimizers))])
    record = registry.plugins[0]
    assert record.status == "error" and "unknown register keywords ['_kind']" in record.error
    assert not registry.has("loss", "sneaky") and not registry.has("optimizer", "sneaky")


def test_a_third_party_list_of_sizes_parameter_reads_text_or_lists_as_hidden_does() -> None:
    from nnfw import Sizes

    layers = Param("layers", "8", "sizes of the plugin's layers", type=Sizes)
    registry = load_registry([candidate("sized", make_plugin(
        "sized", register_optimizers=optimizers("sized", params=(layers,))))])
    entry = registry.get("optimizer", "sized")
    assert entry.resolve({"layers": "16, 8"}) == {"layers": "16,8"}  # text from the CLI
    assert entry.resolve({"layers": [4, 2]}) == {"layers": "4,2"}  # a list from TOML
    assert entry.resolve({}) == {"layers": "8"}
    for bad in ("4,0", "x", 3, [True]):
        with pytest.raises(UsageError, match=r"layers: .* is not a list of positive layer sizes"):
            entry.resolve({"layers": bad})
