"""Config files: a TOML file of settings, or a registered experiment's, read and checked."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from nnfw.config.scalars import SCALAR_BY_NAME
from nnfw.config.settings import NAME_LIMIT, SLOTS
from nnfw.errors import UsageError
from nnfw.plugin.files import CONFIG_LIMIT, read_text
from nnfw.plugin.registry import Registry
from nnfw.plugin.suggest import unknown_name_message
from nnfw.rundirs.rundir import slug


def find_config(name: str, registry: Registry) -> Path:
    """The config file ``name`` names: a file path, or else a registered experiment's file."""
    return _config_source(name, registry)[0]


def _config_source(name: str, registry: Registry) -> tuple[Path, str]:
    """The config file ``name`` names, and the name it gives a run: the experiment's, or the
    file's stem."""
    path = Path(name)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path, path.stem
    entry = registry.get("experiment", name)
    return Path(entry.create()), entry.name


def load_config(registry: Registry, config: str | None) -> dict[str, Any]:
    """The settings in the config file or experiment ``config`` names (none for None), their
    ``name`` defaulting to the experiment's name or else the file's stem."""
    if config is None:
        return {}
    path, derived = _config_source(config, registry)
    data = read_config(path)
    if slug(derived, NAME_LIMIT):  # a stem with no letter or digit names nothing
        data.setdefault("name", derived)
    return data


def read_config(path: str | Path, run_file: bool = False) -> dict[str, Any]:
    """The settings in a TOML config file, checked for unknown keys; a run directory's own
    settings (``run_file``) are never read through a link."""
    file = Path(path)
    text = read_text(file, CONFIG_LIMIT, f"config file {str(file)!r}", links=not run_file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {str(file)!r} is not valid TOML: {exc}") from None
    except ValueError:  # Python refuses to read whole numbers of over 4300 digits
        raise UsageError(f"config file {str(file)!r} holds a number too long to read; "
                         "numbers must fit in 64 bits") from None
    known = [*SLOTS, *SCALAR_BY_NAME]
    for key in data:
        if key not in known:
            raise UsageError(unknown_name_message(f"config file {str(file)!r}: unknown setting",
                                                  key, known))
    return data
