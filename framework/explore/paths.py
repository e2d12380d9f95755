"""``nnfw paths``: optimizers' paths on an objective function, with the plugins training uses.

Each optimizer gets its own ``tf.Variable`` holding the point, its own schedule (built
as training builds it, with one step per epoch: a step here is the lecture's epoch) and
its own Keras optimizer from the registry; every step takes the gradient with
``tf.GradientTape`` and calls ``optimizer.apply_gradients``, eagerly, as the lecture's
own scripts do. A path whose loss, gradient or point stops being finite ends there and
is marked as diverged. Nothing here imports TensorFlow (or numpy) until a run starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nnfw.config.resolve import choose, default_choice, entry_named
from nnfw.config.scalars import FLOAT32_MAX, INT32_MAX, SCALAR_BY_NAME
from nnfw.errors import PluginError, UsageError
from nnfw.plugin.isolation import guarded
from nnfw.plugin.params import Param
from nnfw.plugin.suggest import unknown_name_message

if TYPE_CHECKING:
    import numpy as np

    from nnfw.plugin.entries import Entry
    from nnfw.plugin.objective import Objective
    from nnfw.plugin.registry import Registry

# the plugin slots ``nnfw paths`` takes --SLOT.KEY settings for, and their kinds
PATH_SLOTS: dict[str, str] = {"function": "function", "optimizer": "optimizer", "schedule": "schedule"}
STEPS = Param("steps", 100, "optimizer steps (one a lecture epoch)", bounds=f"[1, {INT32_MAX}]")


@dataclass
class OptimizerPath:
    """One optimizer's path: ``points[i]`` after ``i`` steps (``points[0]`` the start),
    ``losses[i]`` the function's value there, ``lrs[i]`` the learning rate of step ``i``.

    A diverged path ends with the last finite point; ``diverged_at`` is the step at which
    ``non_finite`` (the loss, the gradient or the point) stopped being finite.
    """

    optimizer: str
    points: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    diverged_at: int | None = None
    non_finite: str | None = None

    @property
    def steps(self) -> int:
        """How many steps the path has (fewer than asked for when it diverged)."""
        return len(self.lrs)

    def as_dict(self) -> dict[str, Any]:
        """The path as plain JSON values (a non-finite loss becomes null when written)."""
        return {"optimizer": self.optimizer, "points": self.points.tolist(),
                "loss": self.losses.tolist(), "lr": self.lrs.tolist(),
                "diverged": self.diverged_at is not None, "diverged_at_step": self.diverged_at,
                "non_finite": self.non_finite}


@dataclass
class PathsResult:
    """Every optimizer's path on one function, with what was run."""

    function: str
    formula: str
    objective: Objective
    schedule: str
    lr: float
    steps: int
    start: tuple[float, ...]
    params: dict[str, Any] = field(default_factory=dict)
    paths: list[OptimizerPath] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """What ``nnfw paths --json`` prints."""
        return {"function": self.function, "formula": self.formula, "names": list(self.objective.names),
                "start": list(self.start), "minima": [list(m) for m in self.objective.minima],
                "schedule": self.schedule, "lr": self.lr, "steps": self.steps,
                "params": self.params, "paths": [p.as_dict() for p in self.paths]}


def surface(objective: Objective, resolution: int = 200) -> tuple[np.ndarray, ...]:
    """The function on a grid over its drawing range: ``(w, f)`` for one parameter, of
    shape ``(resolution,)``; ``(xx, yy, f)`` as from ``np.meshgrid`` for two. Raises a
    UsageError for more parameters (nothing to draw them on)."""
    import numpy as np
    import tensorflow as tf

    if objective.dimensions > 2:
        raise UsageError(f"a function of {objective.dimensions} parameters cannot be drawn; "
                         "use --json, or a function of 1 or 2")
    axes = [np.linspace(low, high, resolution) for low, high in objective.bounds]
    grids = np.meshgrid(*axes) if objective.dimensions == 2 else axes
    points = np.stack([g.ravel() for g in grids], axis=1).astype(np.float32)
    # one call of the function per point, vectorized by TensorFlow (a loop where it cannot be)
    values = tf.vectorized_map(objective.function, tf.constant(points)).numpy().astype(float)
    return (*grids, values.reshape(grids[0].shape))


def run_paths(registry: Registry, function: str, optimizers: Sequence[str], *, schedule: str | None = None,
              lr: float | None = None, steps: int = 100, start: Sequence[float] | None = None,
              params: Mapping[str, Mapping[str, Any]] | None = None) -> PathsResult:
    """Run each optimizer in ``optimizers`` for ``steps`` steps on the function entry ``function``.

    ``schedule`` is the schedule entry (the default training uses when None); ``lr`` the
    schedule's starting rate (the function's own suggestion when None);
    ``start`` the start point (the function's default when None); ``params`` holds
    hyperparameters per slot (``{"optimizer": {"beta": 0.95}, "function": {"a": 2}}``):
    an optimizer's apply to every chosen optimizer that declares them. Bad input raises a
    UsageError, a plugin's failure a PluginError naming it.
    """
    given = {slot: dict(values) for slot, values in (params or {}).items()}
    unknown = set(given) - set(PATH_SLOTS)
    if unknown:
        raise UsageError(unknown_name_message("unknown plugin setting", f"--{sorted(unknown)[0]}.KEY",
                                              [f"--{slot}.KEY" for slot in PATH_SLOTS]))
    if not optimizers:
        raise UsageError("--optimizer: name at least one optimizer (see 'nnfw list optimizers')")
    schedule = schedule or default_choice(registry, "schedule")
    if schedule is None:
        raise UsageError("--schedule: no plugin gives a default; name one (see 'nnfw list schedules')")
    steps = STEPS.check(steps, where="--")
    function_choice = choose(registry, "function", function, given.get("function", {}))
    schedule_choice = choose(registry, "schedule", schedule, given.get("schedule", {}))
    function_entry, function_params = function_choice.entry, function_choice.params
    schedule_entry, schedule_params = schedule_choice.entry, schedule_choice.params
    optimizer_entries = [entry_named(registry, "optimizer", name) for name in optimizers]
    optimizer_params = _shared_params(optimizer_entries, given.get("optimizer", {}))
    objective = function_entry.create(**function_params)
    point = _start_point(objective, function_entry.name, start)
    rate = SCALAR_BY_NAME["lr"].check(objective.lr if lr is None else lr, where="--")
    result = PathsResult(function_entry.name, function_entry.formula or function_entry.description,
                         objective, schedule_entry.name, rate, steps, point,
                         {"function": function_params, "schedule": schedule_params,
                          "optimizer": {e.name: own for e, own in zip(optimizer_entries, optimizer_params,
                                                                       strict=True)}})
    for entry, own in zip(optimizer_entries, optimizer_params, strict=True):
        def walk(entry: Entry = entry, own: dict[str, Any] = own) -> OptimizerPath:
            schedule_object = schedule_choice.build(rate, 1, epochs=steps)
            return _walk(objective, function_entry, entry.create(schedule_object, **own), entry.name,
                         point, steps)

        result.paths.append(guarded((function_entry, entry, schedule_entry), "nnfw paths", walk))
    return result


def _shared_params(entries: Sequence[Entry], given: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each optimizer's checked hyperparameters: the given ones it declares, with defaults;
    a key no chosen optimizer declares is refused, with the closest declared name."""
    declared = {p.name for entry in entries for p in entry.params}
    for key in given:
        if key not in declared:
            names = ", ".join(entry.name for entry in entries)
            raise UsageError(unknown_name_message(f"--optimizer.{key}: no hyperparameter of {names} "
                                                  "is called", key, declared))
    return [entry.resolve({k: v for k, v in given.items() if k in {p.name for p in entry.params}})
            for entry in entries]


def _start_point(objective: Objective, name: str, start: Sequence[float] | None) -> tuple[float, ...]:
    """The start point: ``start`` checked against the function's parameters, or its default."""
    if start is None:
        return objective.start
    point = tuple(float(value) for value in start)
    expected = objective.dimensions
    if len(point) != expected:
        raise UsageError(f"--start: {len(point)} number{'s' if len(point) != 1 else ''} given, but "
                         f"{name} takes {expected} ({', '.join(objective.names)}), like "
                         f"--start {','.join(f'{v:g}' for v in objective.start)}")
    if not all(abs(value) <= FLOAT32_MAX for value in point):  # nan fails this too
        raise UsageError(f"--start: {','.join(f'{v:g}' for v in point)} is not a point of finite "
                         "float32 numbers")
    return point


def _walk(objective: Objective, function_entry: Entry, optimizer: Any, label: str,
          start: tuple[float, ...], steps: int) -> OptimizerPath:
    """``steps`` steps of ``optimizer`` from ``start``, stopping where a value stops being finite."""
    import numpy as np
    import tensorflow as tf

    from nnfw.training.compilation import eager_arithmetic

    variable = tf.Variable(np.array(start, dtype=np.float32))
    optimizer.build([variable])  # its state exists before the step is traced, as in training

    def value() -> Any:
        loss = objective.function(variable)
        _check_value(loss, function_entry)  # at trace time: the shape and type are known there
        return loss

    # One compiled step (a Python call of eager Keras costs about 8 ms a step); with the graph
    # optimizer's arithmetic rewrites off it computes what the eager step computes, bit for bit.
    @tf.function(autograph=False)
    def step() -> tuple[Any, Any, Any]:
        rate = optimizer.learning_rate  # the rate this step uses, as training records it
        with tf.GradientTape() as tape:
            loss = value()
        gradient = tape.gradient(loss, variable)
        if gradient is None:
            raise PluginError(f"function {function_entry.name!r} of plugin {function_entry.plugin!r}: "
                              "its value has no gradient with respect to the point (compute it "
                              "from the point with TensorFlow operations)")
        optimizer.apply_gradients([(gradient, variable)])
        return loss, gradient, rate

    points, losses, lrs = [np.array(start, dtype=np.float32)], [], []
    with eager_arithmetic():
        for number in range(steps):
            loss, gradient, rate = step()
            losses.append(float(loss))
            if not np.isfinite(losses[-1]):
                return _path(label, points, losses, lrs, number, "the loss")
            if not np.isfinite(gradient.numpy()).all():
                return _path(label, points, losses, lrs, number, "the gradient")
            moved = variable.numpy()
            if not np.isfinite(moved).all():
                return _path(label, points, losses, lrs, number, "the point")
            points.append(moved)
            lrs.append(float(rate))
        losses.append(float(value()))  # the value at the last point, from which no step goes
    if not np.isfinite(losses[-1]):
        return _path(label, points, losses, lrs, steps, "the loss")
    return _path(label, points, losses, lrs)


def _path(label: str, points: list[np.ndarray], losses: list[float], lrs: list[float],
          diverged_at: int | None = None, non_finite: str | None = None) -> OptimizerPath:
    import numpy as np

    return OptimizerPath(label, np.array(points, dtype=np.float32), np.array(losses, dtype=float),
                         np.array(lrs, dtype=float), diverged_at, non_finite)


def _check_value(loss: Any, entry: Entry) -> None:
    """A PluginError unless the function gave a float32 scalar tensor."""
    shape = getattr(loss, "shape", None)
    dtype = getattr(loss, "dtype", None)
    if shape is None or tuple(shape) != () or getattr(dtype, "name", dtype) != "float32":
        shown = (f"a value of shape {list(shape)} and type {getattr(dtype, 'name', dtype)}"
                 if shape is not None else f"a {type(loss).__name__}")
        raise PluginError(f"function {entry.name!r} of plugin {entry.plugin!r} gave {shown}, "
                          "not a float32 scalar tensor")
