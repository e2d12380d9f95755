"""nnfw paths and the function plugins: gradients against closed forms, the lecture's
exponential-decay numbers, a third party's function, figures, JSON and bad input."""

from __future__ import annotations

import json
import math
import os
import types
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import nnfw
from conftest import heavy_imports, plant_distribution, run_nnfw
from nnfw import Objective, PluginError, hookimpl
from nnfw.cli import main
from nnfw.explore.paths import run_paths
from nnfw.testing import PluginCheckError, check_plugin, plugin_registry


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


# name, hyperparameters, f and its gradient written by hand (float64 numpy), points to check
def _beale_gradient(x: float, y: float) -> list[float]:
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    return [2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1),
            2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y**2]


CLOSED_FORMS = [
    ("lecture-square", {}, lambda p: (p[0] + 1) ** 2, lambda p: [2 * (p[0] + 1)],
     [[5.0], [-1.0], [-3.25], [0.5]]),
    ("rosenbrock", {}, lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
     lambda p: [-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)],
     [[-1.5, 2.0], [1.0, 1.0], [0.3, -0.7], [1.2, 1.5]]),
    ("rosenbrock", {"a": 2.0, "b": 10.0}, lambda p: (2 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2,
     lambda p: [-2 * (2 - p[0]) - 40 * p[0] * (p[1] - p[0] ** 2), 20 * (p[1] - p[0] ** 2)],
     [[-1.5, 2.0], [2.0, 4.0], [0.5, 0.25]]),
    ("beale", {}, lambda p: ((1.5 - p[0] + p[0] * p[1]) ** 2 + (2.25 - p[0] + p[0] * p[1] ** 2) ** 2
                             + (2.625 - p[0] + p[0] * p[1] ** 3) ** 2),
     lambda p: _beale_gradient(*p), [[1.0, 1.5], [3.0, 0.5], [-0.5, 1.25], [2.0, -1.0]]),
    ("saddle", {}, lambda p: p[0] ** 2 - p[1] ** 2, lambda p: [2 * p[0], -2 * p[1]],
     [[-1.5, 0.01], [0.0, 0.0], [0.75, -1.25]]),
    ("rastrigin", {}, lambda p: 20 + sum(v**2 - 10 * math.cos(2 * math.pi * v) for v in p),
     lambda p: [2 * v + 20 * math.pi * math.sin(2 * math.pi * v) for v in p],
     [[2.3, -1.8], [0.0, 0.0], [0.25, 1.1], [-4.0, 3.5]]),
    ("rastrigin", {"a": 3.0}, lambda p: 6 + sum(v**2 - 3 * math.cos(2 * math.pi * v) for v in p),
     lambda p: [2 * v + 6 * math.pi * math.sin(2 * math.pi * v) for v in p], [[0.4, -0.6]]),
]


@pytest.mark.parametrize(("name", "params", "f", "gradient", "points"), CLOSED_FORMS,
                         ids=[f"{c[0]}{c[1] or ''}" for c in CLOSED_FORMS])
def test_each_function_and_its_gradient_match_the_closed_form(name, params, f, gradient, points) -> None:
    objective = nnfw.function(name, **params)
    for point in points:
        variable = tf.Variable(np.array(point, dtype=np.float32))
        with tf.GradientTape() as tape:
            value = objective.function(variable)
        taped = tape.gradient(value, variable).numpy()
        exact = np.array(point, dtype=np.float32).astype(float)  # the float32 point, in float64
        scale = 1 + np.abs(gradient(exact)).max()
        assert value.shape == () and value.dtype == tf.float32
        np.testing.assert_allclose(float(value), f(exact), rtol=1e-5, atol=1e-5 * (1 + abs(f(exact))))
        np.testing.assert_allclose(taped, gradient(exact), rtol=1e-5, atol=1e-5 * scale,
                                   err_msg=f"{name} at {point}")


def test_every_built_in_function_keeps_its_promises() -> None:
    for name in ("lecture-square", "rosenbrock", "beale", "saddle", "rastrigin"):
        objective = nnfw.function(name)
        for minimum in objective.minima:  # each marked minimum is a minimum: gradient 0 there
            variable = tf.Variable(np.array(minimum, dtype=np.float32))
            with tf.GradientTape() as tape:
                value = objective.function(variable)
            assert np.abs(tape.gradient(value, variable).numpy()).max() < 1e-4, (name, minimum)
        for value, (low, high) in zip(objective.start, objective.bounds, strict=True):
            assert low < value < high, name  # the start is drawn


def lecture_exp_decay(epochs: int) -> list[tuple[np.float32, np.float32, float]]:
    """The lecture's exponential-decay script (SEED-CODE.md), as it writes it: (w, loss, lr)."""
    LR_BASE, LR_DECAY, LR_STEP = 0.2, 0.99, 1  # the lecture's names
    w = tf.Variable(tf.constant(5, dtype=tf.float32))
    rows = []
    for epoch in range(epochs):
        lr = LR_BASE * LR_DECAY ** (epoch / LR_STEP)
        with tf.GradientTape() as tape:
            loss = tf.square(w + 1)
        grads = tape.gradient(loss, w)
        w.assign_sub(lr * grads)
        rows.append((w.numpy(), loss.numpy(), lr))
    return rows


def test_sgd_with_exponential_decay_on_lecture_square_is_the_lecture_bit_for_bit(
        capsys: pytest.CaptureFixture[str]) -> None:
    lecture = lecture_exp_decay(40)
    path = run_paths(nnfw.registry(), "lecture-square", ["sgd"], schedule="exponential", lr=0.2,
                     steps=40, params={"schedule": {"decay": 0.99}}).paths[0]
    np.testing.assert_array_equal(path.points[1:, 0], np.array([w for w, _, _ in lecture]))
    np.testing.assert_array_equal(path.losses[:-1].astype(np.float32), np.array([x for _, x, _ in lecture]))
    np.testing.assert_array_equal(path.lrs.astype(np.float32), np.float32([lr for _, _, lr in lecture]))
    assert abs(path.points[-1][0] + 1) < 1e-5  # w reaches -1
    code, out, err = cli(capsys, "paths", "--function", "lecture-square", "--optimizer", "sgd",
                         "--schedule", "exponential", "--lr", "0.2", "--schedule.decay", "0.99",
                         "--steps", "40")
    assert code == 0, err
    assert out.splitlines() == [f"After {epoch} epoch, w is {w:f}, loss is {loss:f}, lr is {np.float32(lr):f}"
                                for epoch, (w, loss, lr) in enumerate(lecture)]


def test_json_points_are_the_optimizers_own_steps(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "paths", "--function", "rosenbrock", "--optimizer", "sgdm,adam",
                         "--optimizer.beta", "0.8", "--lr", "0.002", "--steps", "6", "--json")
    assert code == 0, err
    shown = json.loads(out)  # stdout holds the JSON and nothing else
    assert [p["optimizer"] for p in shown["paths"]] == ["sgdm", "adam"]
    assert shown["params"]["optimizer"]["sgdm"]["beta"] == 0.8  # adam declares no beta
    for shown_path, extra in zip(shown["paths"], [{"beta": 0.8}, {}], strict=True):
        # the same steps taken by hand, eagerly, with the optimizer built by its plugin
        optimizer = nnfw.optimizer(shown_path["optimizer"], learning_rate=0.002, **extra)
        variable = tf.Variable(np.array([-1.5, 2.0], dtype=np.float32))
        objective = nnfw.function("rosenbrock")
        points, losses = [variable.numpy()], []
        for _ in range(6):
            with tf.GradientTape() as tape:
                loss = objective.function(variable)
            optimizer.apply_gradients([(tape.gradient(loss, variable), variable)])
            points.append(variable.numpy())
            losses.append(float(loss))
        np.testing.assert_array_equal(np.array(shown_path["points"], dtype=np.float32), np.array(points))
        np.testing.assert_array_equal(shown_path["loss"][:-1], np.float32(losses))
        assert shown_path["lr"] == pytest.approx([0.002] * 6) and not shown_path["diverged"]


def test_the_cli_draws_a_png_an_svg_and_a_gif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("paths.png", "paths.svg", "curve.png", "paths.gif"):
        function = "lecture-square" if name == "curve.png" else "beale"
        code, out, err = cli(capsys, "paths", "--function", function, "--optimizer", "sgd,rmsprop,adam",
                             "--steps", "30", "-o", str(tmp_path / name))
        assert code == 0, err
        assert f"wrote {tmp_path / name}" in out and "OPTIMIZER" in out
    assert (tmp_path / "paths.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "paths.svg").read_bytes()[:1000]
    with Image.open(tmp_path / "paths.gif") as gif:
        # a frame for the start and each of 30 steps; Pillow merges frames that do not change
        assert gif.format == "GIF" and 10 < gif.n_frames <= 31
        assert gif.size == (640, 480)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary files


def test_a_diverging_path_is_reported_and_drawn_not_a_crash(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "paths", "--function", "rosenbrock", "--optimizer", "sgd,adam",
                         "--lr", "0.01", "--steps", "40", "--json", "-o", str(tmp_path / "p.png"))
    assert code == 0, err
    sgd, adam = json.loads(out)["paths"]
    assert sgd["diverged"] and sgd["diverged_at_step"] < 40 and sgd["non_finite"] == "the loss"
    assert all(math.isfinite(v) for point in sgd["points"] for v in point)  # kept: the finite ones
    assert sgd["loss"][-1] is None  # the last point's loss overflowed: null, as JSON has no inf
    assert not adam["diverged"] and len(adam["points"]) == 41
    assert f"sgd diverged at step {sgd['diverged_at_step']}: the loss went non-finite" in err
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(("args", "expected"), [
    (["--function", "rosenbrok"], "unknown function 'rosenbrok'; did you mean 'rosenbrock'?"),
    (["--function", "rosenbrock", "--start", "1"],
     "--start: 1 number given, but rosenbrock takes 2 (x, y), like --start -1.5,2"),
    (["--function", "rosenbrock", "--start", "1,x"], "--start: '1,x' is not numbers"),
    (["--function", "rosenbrock", "--start", "1,nan"], "is not a point of finite float32 numbers"),
    (["--function", "rosenbrock", "--steps", "0"],
     "--steps: 0 is out of range; accepted: a whole number in [1,"),
    (["--function", "rosenbrock", "--function.bb", "3"],
     "function 'rosenbrock' has no hyperparameter 'bb'; did you mean 'b'?"),
    (["--function", "rosenbrock", "--function.b", "-1"], "function 'rosenbrock'.b: -1.0 is out of range"),
    (["--function", "rosenbrock", "--optimizer", "sgd,adm"], "unknown optimizer 'adm'; did you mean 'adam'?"),
    (["--function", "rosenbrock", "--optimizer", "sgd,sgd"], "--optimizer: 'sgd' is listed more than once"),
    (["--function", "rosenbrock", "--optimizer", "sgd,sgdm", "--optimizer.bta", "0.5"],
     "did you mean 'beta'?"),
    (["--function", "rosenbrock", "--schedule", "exponential", "--schedule.decai", "0.5"],
     "did you mean 'decay'?"),
    (["--function", "rosenbrock", "--schedule.decay", "0.5"], "schedule 'constant' has no hyperparameters"),
    (["--function", "rosenbrock", "--loss.cost", "1"], "unknown plugin setting '--loss.cost'"),
    (["--function", "rosenbrock", "--lr", "0"], "--lr: 0.0 is out of range"),
    (["--function", "rosenbrock", "-o", "paths.jpg"], "must end in .png, .svg, .pdf, .gif"),
    (["--optimizer", "sgd"], "Missing option '--function'"),
])
def test_bad_input_is_one_line_with_exit_code_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                expected: str) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be written here
    code, out, err = cli(capsys, "paths", *args)
    assert code == 2, err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == "" and list(tmp_path.iterdir()) == []


def _plugin(name: str, **functions: object) -> types.ModuleType:
    """A plugin module registering each function name -> factory."""
    @hookimpl
    def register_functions(register):
        for entry, factory in functions.items():
            register(entry, factory, description=f"The test function {entry}.")

    module = types.ModuleType(name)
    module.register_functions = register_functions
    return module


def test_a_function_plugin_that_breaks_its_contract_is_one_line_naming_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    def vector(point):
        return tf.square(point)  # shape [2]: not a scalar

    def no_gradient(point):
        return tf.constant(1.0)

    def raises(point):
        raise RuntimeError("the function broke")

    plugin = _plugin("nnfw_bad_functions", **{
        "wrong-object": lambda: "not an objective",
        "bad-bounds": lambda: Objective(vector, start=(0.0, 0.0), bounds=((0.0, 1.0),)),
        "vector": lambda: Objective(vector, start=(1.0, 1.0), bounds=((-2.0, 2.0), (-2.0, 2.0))),
        "no-gradient": lambda: Objective(no_gradient, start=(1.0,), bounds=((-2.0, 2.0),)),
        "raises": lambda: Objective(raises, start=(1.0,), bounds=((-2.0, 2.0),))})
    expected = {
        "wrong-object": "function 'wrong-object' of plugin 'nnfw-bad-functions' returned a str, "
                        "not an nnfw.Objective",
        "bad-bounds": "function 'bad-bounds' of plugin 'nnfw-bad-functions' failed: ValueError: "
                      "bounds must be 2 pairs",
        "vector": "function 'vector' of plugin 'nnfw-bad-functions' gave a value of shape [2] and "
                  "type float32, not a float32 scalar tensor",
        "no-gradient": "function 'no-gradient' of plugin 'nnfw-bad-functions': its value has no gradient",
        "raises": "nnfw paths failed in function 'raises' of plugin 'nnfw-bad-functions': "
                  "RuntimeError: the function broke",
    }
    with plugin_registry(plugin, strict=True):
        for name, message in expected.items():
            code, _, err = cli(capsys, "paths", "--function", name, "--steps", "3")
            assert code == 3, (name, err)
            assert message in err and len(err.strip().splitlines()) == 1, (name, err)
    with pytest.raises(PluginCheckError) as failed:
        check_plugin(plugin, fresh_process=False)
    named = {line.split("'")[1].partition(":")[2] for line in failed.value.failures}
    assert named == set(expected)  # each entry fails the kit's checks, one line a failed check
    with pytest.raises(PluginError, match="returned a str"), plugin_registry(plugin):
        nnfw.function("wrong-object")


THIRD_PARTY = '''
    from nnfw import Objective, Param, hookimpl


    @hookimpl
    def register_functions(register):
        register("tilted-bowl", build, description="A bowl with its bottom at (shift, -shift).",
                 formula="f = (x - shift)^2 + (y + shift)^2",
                 params=[Param("shift", 1.0, "where the bottom is")])


    def build(shift):
        def bowl(point):
            import tensorflow as tf

            return tf.square(point[0] - shift) + tf.square(point[1] + shift)

        return Objective(bowl, start=(0.0, 0.0), bounds=((-3.0, 3.0), (-3.0, 3.0)),
                         minima=((shift, -shift),), lr=0.1)
'''


def test_a_third_party_function_plugin_works_with_nnfw_paths(tmp_path: Path) -> None:
    root = plant_distribution(tmp_path / "site", "nnfw-tilted", {"nnfw_tilted": THIRD_PARTY},
                              {"tilted": "nnfw_tilted"})
    env = {"PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = run_nnfw("paths", "--function", "tilted-bowl", "--function.shift", "2", "--optimizer",
                    "sgd,adam", "--steps", "60", "--json", env=env)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["minima"] == [[2.0, -2.0]] and shown["lr"] == 0.1
    sgd = shown["paths"][0]
    assert sgd["points"][-1] == pytest.approx([2.0, -2.0], abs=1e-4)  # sgd at lr 0.1 gets there
    assert sgd["points"][1] == pytest.approx([0.4, -0.4])  # one step: 0 - 0.1 * 2 * (0 - 2)


def test_paths_help_imports_no_tensorflow() -> None:
    printed, heavy = heavy_imports("paths", "--help")
    assert not heavy & {"tensorflow", "keras", "matplotlib", "sklearn"} and "--function NAME" in printed


def test_list_and_describe_functions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "list", "functions")
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()[1:]} >= {
        "lecture-square", "rosenbrock", "beale", "saddle", "rastrigin"}
    code, out, _ = cli(capsys, "describe", "rosenbrock")
    assert code == 0 and "(function, plugin rosenbrock" in out and "b: how steep" in out
    assert "formula: f(x, y) = (a - x)^2 + b * (y - x^2)^2" in out


def test_the_built_in_functions_pass_the_testing_kit() -> None:
    from nnfw_plugins.functions import beale, lecture_square, rastrigin, rosenbrock, saddle

    assert check_plugin(lecture_square, rosenbrock, beale, saddle, rastrigin, fresh_process=False) == []


def test_the_optimizer_and_schedule_default_to_what_the_plugins_register(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    registry = nnfw.registry()
    monkeypatch.setitem(registry.defaults, "optimizer", ("adam", "test"))
    monkeypatch.setitem(registry.defaults, "schedule", ("exponential", "test"))
    code, out, err = cli(capsys, "paths", "--function", "lecture-square", "--steps", "2", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["schedule"] == "exponential" and [p["optimizer"] for p in result["paths"]] == ["adam"]
