"""The plugin kit's fresh-process checks: importing a plugin, and loading its saved models.

A plugin's module must import no TensorFlow, and the models saved with its objects must
load in a new Python process (safe mode).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path


def check_in_fresh_process(modules: dict[str, types.ModuleType], saved: dict[str, str],
                           failures: list[str], notes: list[str]) -> None:
    """In one new process: import each plugin's module (``modules``: by plugin name; no
    TensorFlow may come with it), then load every saved model with ``nnfw.load_model``, the
    modules beside the installed plugins."""
    named = {}
    for plugin, module in modules.items():
        spec = getattr(module, "__spec__", None)
        if spec is None or spec.origin is None:
            notes.append(f"plugin {plugin!r}: not importable by name: the import "
                         "and fresh-process loading checks did not run for it")
        else:
            named[plugin] = module.__name__
    if not named:
        return
    roots = [_import_root(modules[plugin]) for plugin in named]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*roots, *(p for p in sys.path if p)]),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", _FRESH_PROCESS_SCRIPT, json.dumps(named),
                           json.dumps(saved)], capture_output=True, text=True, env=env,
                          check=False, timeout=900)
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        failures.append(f"fresh process: it failed: "
                        f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
        return
    failures.extend(f"plugin {plugin!r}: imports no TensorFlow: importing it imported {heavy}"
                    for plugin, heavy in report["heavy"].items())
    failures.extend(f"{label}: loads in a fresh process (safe mode): {problem}"
                    for label, problem in report["failed"].items())


def _import_root(module: types.ModuleType) -> str:
    """The folder to put on the path so that ``import module.__name__`` finds this module."""
    origin = Path(module.__spec__.origin)  # type: ignore[union-attr]
    depth = module.__name__.count(".") + (1 if origin.name == "__init__.py" else 0)
    return str(origin.parents[depth])


# argv[1]: {plugin name: module name}; argv[2]: {entry label: saved model path}
_FRESH_PROCESS_SCRIPT = """
import importlib, json, sys
from nnfw.plugin.exception_line import describe
from nnfw.plugin.loading import HEAVY_MODULES
heavy, modules = {}, {}
for plugin, name in json.loads(sys.argv[1]).items():
    before = {m for m in HEAVY_MODULES if m in sys.modules}
    modules[plugin] = importlib.import_module(name)
    new = sorted({m for m in HEAVY_MODULES if m in sys.modules} - before)
    if new:
        heavy[plugin] = ", ".join(new)
from nnfw.plugin.loading import Candidate, entry_point_candidates, load_registry
from nnfw.rundirs.saved import load_model
registry = load_registry([*(c for c in entry_point_candidates() if c.name not in modules),
                          *(Candidate(p, lambda m=m: m) for p, m in modules.items())])
failed = {}
for label, path in json.loads(sys.argv[2]).items():
    try:
        load_model(path, registry)
    except Exception as exc:
        failed[label] = describe(exc)[:300]
print(json.dumps({"heavy": heavy, "failed": failed}))
"""
