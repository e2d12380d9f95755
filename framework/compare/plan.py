"""Planning a comparison: the alternatives each option lists (or a log range), every
combination of them, repeated on seeds, each run's settings resolved and checked before
anything trains."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nnfw.config.resolve import resolve_settings
from nnfw.config.scalars import SCALARS
from nnfw.config.settings import SLOTS, Settings
from nnfw.errors import UsageError
from nnfw.plugin.registry import Registry
from nnfw.plugin.suggest import unknown_name_message

SEPARATOR = ","
HIDDEN_SEPARATOR = ";"  # 'hidden' takes '16,8' itself, so its alternatives are separated by ';'
NOT_VARIED = {"out"}  # all runs of a comparison go into one comparison directory
LOG_RANGE = re.compile(r"^[0-9.eE+-]+:[0-9.eE+-]+:[0-9]+$")  # LOW:HIGH:COUNT
WHOLE = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class PlannedRun:
    """One run of a comparison: its legend label, what was varied for it, its settings.

    With repeated seeds, ``group`` is the label of the combination the run repeats
    (shared by its seeds) and ``repeat`` counts its seeds from 0; otherwise
    ``group`` is the label and ``repeat`` is None.
    """

    label: str
    varied: dict[str, Any]
    settings: Settings
    group: str = ""
    repeat: int | None = None


@dataclass
class Plan:
    """Every run of a comparison, and the values each varied option takes."""

    runs: list[PlannedRun]
    varied: dict[str, list[str]]
    seeds: int | None = None  # repeats per combination, when asked for (statistics then)
    same_split: bool = False  # the data set's own seed kept when repeating seeds

    @property
    def groups(self) -> list[str]:
        """The combinations' labels, in plan order (each once, however many seeds it has)."""
        return list(dict.fromkeys(run.group for run in self.runs))

    @property
    def title(self) -> str:
        """What the runs share, for figure titles ('iris, mse, lr 0.1, 500 epochs')."""
        first = self.runs[0].settings
        parts = [first.choices[slot] for slot in ("dataset", "optimizer", "loss")
                 if slot not in self.varied]
        if "lr" not in self.varied:
            parts.append(f"lr {first.scalars['lr']:g}")
        if "epochs" not in self.varied:
            parts.append(f"{first.scalars['epochs']} epochs")
        return ", ".join(str(p) for p in parts) or "comparison"


def split_values(option: str, text: str) -> list[str]:
    """The alternatives in one option's value: comma-separated (';' for ``hidden``), or a log
    range ``LOW:HIGH:COUNT`` (see :func:`log_range`)."""
    separator = HIDDEN_SEPARATOR if option == "hidden" else SEPARATOR
    if LOG_RANGE.match(text.strip()):
        return log_range(option, text.strip())
    values = [item.strip() for item in text.split(separator)]
    if option != "hidden" and any(not v for v in values):
        raise UsageError(f"--{option}: {text!r} has an empty item; give values like 'a{separator}b'")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise UsageError(f"--{option}: {repeated[0]!r} is listed more than once in {text!r}")
    return values


def log_range(option: str, text: str) -> list[str]:
    """``LOW:HIGH:COUNT`` as COUNT values spaced evenly on a log scale, both ends included
    (``1e-3:1:4`` -> 0.001, 0.01, 0.1, 1), each written with 6 significant digits.

    Whole-number ends (``10:1000:3``) give whole numbers, for options that count.
    """
    low_text, high_text, count_text = text.split(":")
    try:
        low, high, count = float(low_text), float(high_text), int(count_text)
    except ValueError:
        raise UsageError(f"--{option}: {text!r} is not a log range LOW:HIGH:COUNT of numbers "
                         "(like 1e-3:1:7)") from None
    if not (0 < low < high and math.isfinite(high)):
        raise UsageError(f"--{option}: {text!r} needs 0 < LOW < HIGH in LOW:HIGH:COUNT "
                         "(a log range)")
    if count < 2:
        raise UsageError(f"--{option}: {text!r} needs COUNT >= 2 in LOW:HIGH:COUNT")
    ratios = [index / (count - 1) for index in range(count)]
    values = [low * (high / low) ** ratio for ratio in ratios]
    values[-1] = high  # the end exactly, not its rounding through the power
    whole = all(WHOLE.match(end) for end in (low_text, high_text))
    shown = [str(round(v)) if whole else format(v, ".6g") for v in values]
    if len(set(shown)) < len(shown):
        raise UsageError(f"--{option}: {text!r} gives the same value twice; ask for fewer values")
    return shown


def plan_comparison(registry: Registry, config: Mapping[str, Any] | None,
                    options: Mapping[str, Any],
                    option_params: Mapping[str, Mapping[str, str]] | None = None, *,
                    seeds: int | None = None, same_split: bool = False) -> Plan:
    """Resolve and check the settings of every run, before anything trains.

    ``options`` are keyed by option name ('batch-size'), as for
    :func:`nnfw.config.settings.resolve_settings`; a string value lists alternatives
    (see :func:`split_values`). ``option_params`` (``--slot.key value``) may
    list alternatives too; each run gets the keys its plugins declare, and a
    key no run's plugin declares is a UsageError.

    ``seeds`` repeats every combination on that many seeds (see :func:`repeat_on_seeds`).
    """
    dimensions = _dimensions(options, option_params or {})
    if seeds is not None:
        _check_seeds_not_varied(dimensions)
    varying = [name for name, values in dimensions.items() if len(values) > 1]
    fixed = {k: v for k, v in options.items() if k in NOT_VARIED or not isinstance(v, str)}
    runs: list[PlannedRun] = []
    offered: dict[str, dict[str, set[str]]] = {}  # slot -> plugin in some run -> its hyperparameters
    for combination in itertools.product(*dimensions.values()):
        chosen = dict(zip(dimensions, combination, strict=True))
        run_options = {**fixed, **{k: v for k, v in chosen.items() if "." not in k}}
        base = resolve_settings(registry, config, run_options)
        hyper: dict[str, dict[str, str]] = {}
        for key in [k for k in chosen if "." in k]:
            slot, _, param = key.partition(".")
            declared = _declared(base, slot)
            offered.setdefault(slot, {})[base.choices[slot] or "none"] = declared
            if param in declared:
                hyper.setdefault(slot, {})[param] = chosen[key]
            else:
                del chosen[key]  # not this run's: it neither gets nor is labelled by it
        settings = resolve_settings(registry, config, run_options, hyper)
        varied = {k: _typed(settings, k) for k in varying if k in chosen}
        label = ", ".join(f"{k}={_shown(k, chosen[k])}" for k in varied) or "run"
        if any(run.group == label for run in runs):
            continue
        if seeds is None:
            runs.append(PlannedRun(label, varied, settings, label))
            continue
        runs.extend(repeat_on_seeds(PlannedRun(label, varied, settings, label), seeds, same_split,
                                    _resolver(registry, config, run_options, hyper)))
    _check_every_key_used(dimensions, offered)
    return Plan(runs, {name: dimensions[name] for name in varying}, seeds, same_split)


def repeat_on_seeds(run: PlannedRun, seeds: int, same_split: bool,
                    resolve: Callable[[dict[str, Any], dict[str, dict[str, Any]]], Settings]
                    ) -> list[PlannedRun]:
    """``run`` on ``seeds`` seeds: repeat ``i`` (from 0) adds ``i`` to the run's ``seed`` (the
    initial weights) and, unless ``same_split``, to its data set's ``seed`` where the data set
    declares one (its shuffle, split or generated points). ``resolve(options, params)``
    resolves the run's settings with those replaced, so bounds are checked as usual."""
    settings = run.settings
    dataset_seed = None if same_split else settings.params["dataset"].get("seed")
    repeats = []
    for repeat in range(seeds):
        params = ({} if dataset_seed is None else
                  {"dataset": {**settings.params["dataset"], "seed": dataset_seed + repeat}})
        repeated = resolve({"seed": settings.scalars["seed"] + repeat}, params)
        seed = repeated.scalars["seed"]
        label = f"seed={seed}" if run.label == "run" else f"{run.label}, seed={seed}"
        repeats.append(PlannedRun(label, run.varied, repeated, run.label, repeat))
    return repeats


def _resolver(registry: Registry, config: Mapping[str, Any] | None, options: Mapping[str, Any],
              params: Mapping[str, Mapping[str, Any]]
              ) -> Callable[[dict[str, Any], dict[str, dict[str, Any]]], Settings]:
    """Resolve one run's settings with some options and hyperparameters replaced."""
    return lambda more_options, more_params: resolve_settings(
        registry, config, {**options, **more_options}, {**params, **more_params})


def _check_seeds_not_varied(dimensions: Mapping[str, list[str]]) -> None:
    """--seeds sets the seeds itself: a UsageError when a seed is also among the varied options."""
    for option in ("seed", "dataset.seed"):
        if len(dimensions.get(option, ())) > 1:
            raise UsageError(f"--{option}: {SEPARATOR.join(dimensions[option])!r} lists seeds, but "
                             f"--seeds sets them (from the first: S, S+1, ...); give one --{option}")


def _dimensions(options: Mapping[str, Any], option_params: Mapping[str, Mapping[str, str]]
                ) -> dict[str, list[str]]:
    """Each option given as text (and each ``slot.key``), with its alternatives, in a fixed order."""
    dimensions = {name: split_values(name, options[name])
                  for name in [*SLOTS, *(p.name for p in SCALARS)]
                  if isinstance(options.get(name), str) and name not in NOT_VARIED}
    for slot, params in option_params.items():
        if slot not in SLOTS:
            raise UsageError(unknown_name_message("unknown plugin setting", f"--{slot}.KEY",
                                                  [f"--{s}.KEY" for s in SLOTS]))
        dimensions.update({f"{slot}.{key}": split_values(f"{slot}.{key}", str(value))
                           for key, value in params.items()})
    return dimensions


def _check_every_key_used(dimensions: Mapping[str, list[str]],
                          offered: Mapping[str, Mapping[str, set[str]]]) -> None:
    """A UsageError for the first ``slot.key`` that no run's plugin declares."""
    for key in (k for k in dimensions if "." in k):
        slot, _, param = key.partition(".")
        plugins = offered[slot]
        known = set().union(*plugins.values())
        if param not in known:
            raise UsageError(unknown_name_message(
                f"--{key}: no {slot} in this comparison ({', '.join(plugins)}) has the hyperparameter",
                param, known))


def _declared(settings: Settings, slot: str) -> set[str]:
    """The hyperparameter names of the plugin chosen for ``slot`` (none when the slot is unset)."""
    choice = settings.chosen.get(slot)
    return {p.name for p in choice.entry.params} if choice else set()


def _typed(settings: Settings, option: str) -> Any:
    """The resolved value of a varied option in ``settings`` (a name, number, flag or text)."""
    if "." in option:
        slot, _, param = option.partition(".")
        return settings.params[slot][param]
    return settings.choices[option] if option in SLOTS else settings.scalars[option]


def _shown(option: str, value: str) -> str:
    return "none" if option == "hidden" and not value else value
