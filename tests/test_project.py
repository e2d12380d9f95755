"""Project hygiene: style, documented hooks, the README's commands and CI agree."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

from conftest import REPO
from nnfw import hookspecs
from nnfw.plugin.kinds import KINDS


def test_ruff_is_clean() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_hook_spec_is_documented_in_code_and_readme() -> None:
    readme = (REPO / "README.md").read_text()
    specs = [name for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("register_")]
    assert set(specs) == {kind.hook for kind in KINDS.values()} | {"register_defaults"}
    for name in specs:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name
        assert f"`{name}`" in readme, f"README does not mention {name}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    commands = [line for block in blocks for line in block.splitlines() if "pytest" in line]
    assert len(commands) == 1, commands
    assert commands[0].strip() in (REPO / ".ci" / "run").read_text()
