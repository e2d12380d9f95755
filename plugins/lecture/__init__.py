"""The lecture's experiments, each a config file in this folder (also at examples/lecture/).

Every ``*.toml`` here is registered as an experiment named after the file; its
first comment line is the description. ``nnfw train --config iris`` runs one.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from nnfw import hookimpl


@hookimpl
def register_experiments(register):
    """Register one experiment per config file in this package."""
    for path in sorted(config_files()):
        register(path.stem, lambda path=path: path, description=first_comment(path))


def config_files() -> list[Path]:
    """The config files shipped with this plugin."""
    folder = resources.files(__name__)
    return [Path(str(item)) for item in folder.iterdir() if item.name.endswith(".toml")]


def first_comment(path: Path) -> str:
    """The text of the file's first comment line, as its description."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return path.stem
