"""Close-match suggestions for mistyped names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``name``, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_name_message(what: str, name: str, choices: Iterable[str]) -> str:
    """One line: ``{what} 'name'; did you mean 'x'? Accepted: a, b, c``."""
    options = sorted(choices)
    line = f"{what} {name!r}"
    guess = closest(name, options)
    line += f"; did you mean {guess!r}?" if guess else "."
    line += " Accepted: " + (", ".join(repr(o) if "\n" in o else o for o in options)
                             if options else "(none)")
    return line
