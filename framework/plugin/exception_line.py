"""The short line of an exception: what nnfw shows of an error it reports in one line."""

from __future__ import annotations

import re

# first lines that only say where an error was caught: the cause is on a later line
_WRAPPERS = ("Exception encountered when calling", "Graph execution error")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def message_line(exc: BaseException) -> str:
    """The line of ``exc``'s message that says what went wrong ("" when it has none): the
    first, unless that one only says where Keras or TensorFlow caught it."""
    lines = [_ANSI.sub("", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    if lines and lines[0].startswith(_WRAPPERS):
        causes = [re.sub(r"\s*\[\[.*?\]\].*$", "", line) for line in lines[1:]
                  if not line.startswith(("File ", "Detected at node", "Arguments received",
                                          "•", "[["))]
        lines = [cause for cause in causes if cause] or lines
    return lines[0] if lines else ""


def describe(exc: BaseException) -> str:
    """An exception as one short line: its type and :func:`message_line`."""
    line = message_line(exc)
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__
