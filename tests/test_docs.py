"""The documentation stays true: every hook is documented with its real signature, and every
Python example in docs/plugins.md and README.md runs as written.

The examples of one document run in one fresh Python process, in order, each block in a
namespace of its own, in a temporary working directory: what a reader pastes into a fresh
interpreter, not what happens to work inside the test process (whose TensorFlow is set up by
conftest).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from nnfw import hookspecs

GUIDE = REPO / "docs" / "plugins.md"
README = REPO / "README.md"
HOOK_HEADING = re.compile(r"\bdef (register_\w+)\(([^)]*)\)")
SPEC_MARK = f"{hookspecs.PROJECT}_spec"  # the attribute pluggy's hookspec marker sets

# Runs the blocks given as JSON on stdin; writes the outcome as JSON to the file in argv[1].
RUNNER = r"""
import json, os, sys, traceback
blocks = json.load(sys.stdin)
home = os.getcwd()
outcome = {"ran": 0}
for number, (line, code) in enumerate(blocks, 1):
    environ = dict(os.environ)
    try:
        exec(compile(code, f"<block {number} at line {line}>", "exec"), {"__name__": "__doc__"})
    except BaseException:
        outcome = {"ran": number - 1, "failed": number, "error": traceback.format_exc()}
        break
    finally:  # what one block changed must not help or hurt the next
        os.chdir(home)
        os.environ.clear()
        os.environ.update(environ)
        from nnfw.api import use_registry
        use_registry(None)
    outcome = {"ran": number}
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(outcome, out)
"""


def fenced_blocks(text: str, language: str = "python") -> list[tuple[int, str]]:
    """The ``language`` code blocks of a Markdown text: (line number of the fence, code),
    dedented as far as their fence is indented."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    inside: tuple[int, str, str] | None = None  # (start line, fence indent, info string)
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if inside is None:
            if stripped.startswith("```"):
                inside = (number, line[: len(line) - len(line.lstrip())], stripped[3:].strip())
                body = []
        elif stripped == "```":
            start, indent, info = inside
            if info == language:
                blocks.append((start, "\n".join(b[len(indent):] if b.startswith(indent) else b
                                                for b in body) + "\n"))
            inside = None
        else:
            body.append(line)
    assert inside is None, f"a code block opened at line {inside[0]} is never closed"
    return blocks


def headings(text: str) -> list[str]:
    """The Markdown heading lines of a text, outside code blocks."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.append(line)
    return found


def documented_hooks(text: str) -> dict[str, list[str]]:
    """Hook name -> the parameter names its heading shows, for every ``def register_xxx(...)``
    in a heading line."""
    shown: dict[str, list[str]] = {}
    for line in headings(text):
        for name, parameters in HOOK_HEADING.findall(line):
            names = [re.split(r"[:=]", p)[0].strip() for p in parameters.split(",")]
            shown[name] = [n for n in names if n and n not in ("*", "/")]
    return shown


def hook_specs() -> dict[str, Callable[..., Any]]:
    """Every hook spec of nnfw: the functions of ``nnfw.hookspecs`` marked by pluggy."""
    return {name: function for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
            if getattr(function, SPEC_MARK, None) is not None}


def hook_problems(text: str, specs: dict[str, Callable[..., Any]]) -> list[str]:
    """What the text gets wrong about the hooks: missing headings, wrong parameters, or
    headings for hooks that do not exist."""
    shown = documented_hooks(text)
    problems = []
    for name, function in sorted(specs.items()):
        real = list(inspect.signature(function).parameters)
        heading = f"def {name}({', '.join(real)})"
        if name not in shown:
            problems.append(f"{name}: no heading line contains {heading!r}")
        elif shown[name] != real or not any(heading in line for line in headings(text)):
            problems.append(f"{name}: the heading shows ({', '.join(shown[name])}), "
                            f"the spec is {heading!r}")
    problems += [f"{name}: documented, but nnfw has no such hook" for name in sorted(set(shown) - set(specs))]
    return problems


def run_blocks(blocks: list[tuple[int, str]], folder: Path, timeout: float = 900) -> dict[str, Any]:
    """Run the blocks in a fresh Python process, in order, each in a fresh namespace, with
    ``folder`` as the working directory; return {"ran": N} or, on the first failure, also
    "failed" (the block's number, from 1) and "error" (its traceback)."""
    result = folder / ".outcome.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("NNFW_")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run([sys.executable, "-c", RUNNER, str(result)], input=json.dumps(blocks),
                          capture_output=True, text=True, cwd=folder, env=env, timeout=timeout,
                          check=False)
    if not result.is_file():
        return {"ran": 0, "failed": 1, "error": f"the runner died (exit {done.returncode}):\n"
                                                 f"{done.stdout[-3000:]}{done.stderr[-3000:]}"}
    return json.loads(result.read_text(encoding="utf-8"))


def failure_message(document: str, blocks: list[tuple[int, str]], outcome: dict[str, Any]) -> str:
    """Which block failed (its line and first line of code) and how."""
    line, code = blocks[outcome["failed"] - 1]
    return (f"{document}: block {outcome['failed']} of {len(blocks)} (line {line}: "
            f"{code.splitlines()[0] if code.strip() else ''!r}) failed:\n{outcome['error']}")


def check_blocks_run(path: Path, folder: Path) -> None:
    blocks = fenced_blocks(path.read_text(encoding="utf-8"))
    outcome = run_blocks(blocks, folder)
    assert "failed" not in outcome, failure_message(path.name, blocks, outcome)
    assert outcome["ran"] == len(blocks)


# --- a. every hook spec is documented with its real signature ---------------------------------

def test_every_hook_has_a_heading_with_its_signature() -> None:
    specs = hook_specs()
    assert set(specs) == {name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
                          if name.startswith("register_")}
    assert len(specs) == 13, sorted(specs)
    problems = hook_problems(GUIDE.read_text(encoding="utf-8"), specs)
    assert not problems, "\n".join(problems)


def test_the_hook_check_catches_a_missing_heading_and_a_wrong_signature() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    specs = hook_specs()
    without = "\n".join(line for line in text.splitlines()
                        if not (line.startswith("#") and "def register_losses(" in line))
    assert hook_problems(without, specs) == [
        "register_losses: no heading line contains 'def register_losses(register)'"]

    def register_losses(register: Any, extra: Any) -> None:  # a spec as it might become
        """A changed spec."""

    changed = hook_problems(text, {**specs, "register_losses": register_losses})
    assert len(changed) == 1 and "register_losses" in changed[0] and "extra" in changed[0]
    assert hook_problems("### `def register_nothing(register)`\n", {}) == [
        "register_nothing: documented, but nnfw has no such hook"]
    # a hook named only in a code block or in running text is not a heading
    assert documented_hooks("```\n# def register_losses(register)\n```\n"
                            "text: def register_losses(register)\n") == {}


# --- b, c. every Python example runs as written -----------------------------------------------

def test_the_parser_finds_the_python_blocks() -> None:
    guide = fenced_blocks(GUIDE.read_text(encoding="utf-8"))
    readme = fenced_blocks(README.read_text(encoding="utf-8"))
    assert len(guide) >= 6, [line for line, _ in guide]
    assert len(readme) == 2, [line for line, _ in readme]  # the Python API and nnfw_lion.py
    assert any("model.compile" in code for _, code in readme)
    text = "x\n  ```python\n  a = 1\n    b = 2\n  ```\n```sh\nls\n```\n```python\nc = 3\n```\n"
    assert fenced_blocks(text) == [(2, "a = 1\n  b = 2\n"), (9, "c = 3\n")]
    assert fenced_blocks(text, "sh") == [(6, "ls\n")]


def test_the_runner_reports_the_failing_block_by_its_first_line(tmp_path: Path) -> None:
    text = ("```python\nopen('made-by-block-1', 'w').close()\nx = 1\n```\n"
            "```python\nimport os\nassert os.path.exists('made-by-block-1')\n```\n"
            "```python\n# uses x from block 1\nprint(x)\n```\n")
    blocks = fenced_blocks(text)
    outcome = run_blocks(blocks, tmp_path)
    assert outcome["ran"] == 2 and outcome["failed"] == 3
    assert "NameError" in outcome["error"]  # each block has a namespace of its own
    message = failure_message("sample.md", blocks, outcome)
    assert "block 3 of 3 (line 9: '# uses x from block 1')" in message
    with pytest.raises(AssertionError, match="uses x from block 1"):
        assert "failed" not in outcome, message


def test_every_python_block_of_the_plugin_guide_runs(tmp_path: Path) -> None:
    check_blocks_run(GUIDE, tmp_path)


def test_every_python_block_of_the_readme_runs(tmp_path: Path) -> None:
    check_blocks_run(README, tmp_path)
