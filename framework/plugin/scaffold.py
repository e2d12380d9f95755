"""``nnfw new-plugin``: a complete plugin package to start from, for any kind.

The package has a ``pyproject.toml`` with its entry point in the group ``nnfw``, a
module with one small working entry of the kind, a README and tests that run
``nnfw.testing.check_plugin`` on it. It installs with ``pip install DIR``.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from nnfw.errors import UsageError
from nnfw.plugin.entries import SLUG
from nnfw.plugin.kinds import KINDS
from nnfw.plugin.suggest import unknown_name_message

# one small working entry of each kind (``KIND.py.txt``, with {name} and {package} to fill)
TEMPLATES = Path(__file__).resolve().parent / "templates"


def new_plugin(folder: str | Path, kind: str, name: str | None = None) -> list[Path]:
    """Write a plugin package for ``kind`` into ``folder`` (new or empty); return its files."""
    if kind not in KINDS:
        raise UsageError(unknown_name_message("--kind: unknown kind", kind, list(KINDS)))
    root = Path(folder)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise UsageError(f"new-plugin: {str(root)!r} exists and is not an empty folder")
    stem = re.sub(r"^nnfw-", "", re.sub(r"[^a-z0-9]+", "-", root.name.lower()).strip("-"))
    name = name or stem or kind
    if not SLUG.match(name):
        raise UsageError(f"--name: {name!r} is not a lower-case slug like 'my-{kind}'")
    distribution = f"nnfw-{name}"
    package = distribution.replace("-", "_")
    files = {
        "pyproject.toml": _pyproject(distribution, package, name),
        f"{package}/__init__.py": _module(kind, name, package),
        "README.md": _readme(distribution, package, kind, name),
        f"tests/test_{package}.py": _tests(package, kind, name),
    }
    if kind == "experiment":
        files[f"{package}/experiment.toml"] = (TEMPLATES / "experiment.toml").read_text()
    written = []
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _pyproject(distribution: str, package: str, name: str) -> str:
    return textwrap.dedent(f'''\
        [build-system]
        requires = ["setuptools>=69"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{distribution}"
        version = "0.1.0"
        description = "An nnfw plugin"
        requires-python = ">=3.11"
        dependencies = ["nnfw"]

        [project.optional-dependencies]
        test = ["pytest>=8"]

        [project.entry-points.nnfw]
        {name} = "{package}"

        [tool.setuptools]
        packages = ["{package}"]

        [tool.setuptools.package-data]
        "{package}" = ["*.toml"]
        ''')


def _module(kind: str, name: str, package: str) -> str:
    body = (TEMPLATES / f"{kind}.py.txt").read_text().format(name=name, package=package).strip()
    standard = [line for line, used in (("import functools", "functools." in body),
                                        ("from pathlib import Path", "Path(" in body)) if used]
    from_nnfw = [n for n in ("Dataset", "Objective", "Param") if f"{n}(" in body] + ["hookimpl"]
    imports = "\n".join(standard) + ("\n\n" if standard else "")
    return (f'"""nnfw plugin {name!r}: one {kind}. Heavy imports happen inside the factories only,\n'
            'so that importing this module (nnfw does at every command) stays fast."""\n\n'
            f"{imports}from nnfw import {', '.join(from_nnfw)}\n\n\n{body}\n")


def _readme(distribution: str, package: str, kind: str, name: str) -> str:
    return textwrap.dedent(f'''\
        # {distribution}

        An nnfw plugin providing the {kind} `{name}`.

        ```sh
        pip install .                       # then:
        nnfw list-plugins                   # shows {name}
        nnfw describe {name}
        pip install '.[test]' && python -m pytest tests
        ```

        `{package}/__init__.py` holds the hook; nnfw's guide for plugin authors (`docs/plugins.md`
        in nnfw's repository) says what every hook and factory must do.
        ''')


def _tests(package: str, kind: str, name: str) -> str:
    return textwrap.dedent(f'''\
        """The plugin passes nnfw's conformance checks and works where nnfw uses it."""

        import {package}
        from nnfw.testing import check_plugin, plugin_registry


        def test_the_plugin_passes_nnfws_checks():
            check_plugin({package})


        def test_nnfw_finds_the_entry():
            with plugin_registry({package}) as registry:
                assert registry.get("{kind}", "{name}").name == "{name}"
        ''')
