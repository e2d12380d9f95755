"""The core's shape: small modules and functions, no import cycle, one place that looks names up.

These read the source (nothing is imported or run), so a change that breaks the
layout docs/architecture.md describes fails here, naming the module or function.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

CORE = REPO / "framework"
MODULE_LINES = 300
FUNCTION_LINES = 50
# the modules that look plugin names up in the registry: where settings are resolved, and
# where plugins are listed (list-plugins, list, describe; a saved model's classes; the kit)
LOOKUP_MODULES = {"config/resolve.py", "config/config_file.py", "plugin/registry.py",
                  "plugin/loading.py", "cli/plugins.py", "rundirs/saved.py", "testing/__init__.py"}
LOOKUPS = {"get", "entries", "has", "names"}


def core_modules() -> dict[str, ast.Module]:
    """Every module of the core, by its path under framework/, parsed."""
    return {str(path.relative_to(CORE)): ast.parse(path.read_text(), str(path))
            for path in sorted(CORE.rglob("*.py"))}


def module_name(relative: str) -> str:
    """``nnfw.x.y`` for ``x/y.py`` (a package's ``__init__.py`` is the package)."""
    parts = ["nnfw", *Path(relative).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_module_is_longer_than_the_limit() -> None:
    long = {name: len((CORE / name).read_text().splitlines()) for name in core_modules()}
    assert {name: lines for name, lines in long.items() if lines > MODULE_LINES} == {}


def test_no_function_is_longer_than_the_limit() -> None:
    long = {}
    for name, tree in core_modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if lines > FUNCTION_LINES:
                    long[f"{name}:{node.lineno} {node.name}"] = lines
    assert long == {}


def top_level_imports(tree: ast.Module) -> set[str]:
    """The nnfw modules a module imports when it is imported (not inside functions, not
    only for type checkers)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nnfw"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("nnfw"))
    return found


def test_no_import_cycle() -> None:
    modules = {module_name(name): tree for name, tree in core_modules().items()}
    graph = {name: {m for m in top_level_imports(tree) if m in modules and m != name}
             for name, tree in modules.items()}
    # a package imports its modules' names; what matters is a cycle between modules
    graph = {name: {m for m in edges if not name.startswith(m + ".")} for name, edges in graph.items()}
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = "open"
        for other in sorted(graph[name]):
            if state.get(other) == "open":
                return [*path, name, other]
            if other not in state and (cycle := visit(other, [*path, name])):
                return cycle
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            assert visit(name, []) is None


def registry_lookups(tree: ast.Module) -> list[int]:
    """Lines calling ``registry.get/entries/has/names`` (or ``registry().get``, ...)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in LOOKUPS:
            owner = node.func.value
            if isinstance(owner, ast.Call):
                owner = owner.func
            if isinstance(owner, ast.Name) and owner.id == "registry":
                lines.append(node.lineno)
    return lines


def test_the_registry_is_consulted_only_where_settings_are_resolved_or_plugins_listed() -> None:
    found = {name: lines for name, tree in core_modules().items()
             if (lines := registry_lookups(tree)) and name not in LOOKUP_MODULES}
    assert found == {}
    assert registry_lookups(core_modules()["config/resolve.py"])  # the check sees lookups


def test_the_documented_import_paths_still_work_and_keep_nnfw_registry_a_function() -> None:
    import subprocess
    import sys

    code = ("from nnfw.registry import Candidate, Registry, entry_point_candidates, load_registry\n"
            "from nnfw.testing import check_plugin, plugin_registry\n"
            "from nnfw.cli import main\n"
            "import nnfw, nnfw.registry\n"
            "assert callable(nnfw.registry) and isinstance(nnfw.registry(), Registry)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
