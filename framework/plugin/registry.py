"""The loaded plugins and what they provide: looking entries up by kind and name.

:func:`nnfw.plugin.loading.load_registry` makes the registry; this module only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nnfw.errors import UsageError
from nnfw.plugin.entries import Entry
from nnfw.plugin.kinds import KINDS
from nnfw.plugin.suggest import unknown_name_message

GROUP = "nnfw"
BUILT_IN = "nnfw"  # the distribution of the built-in plugins: its bare names win a clash
DISABLE_ENV = "NNFW_DISABLE_PLUGINS"
ALLOW_ENV = "NNFW_PLUGINS"


@dataclass
class PluginRecord:
    """What nnfw knows about one plugin: where it came from, whether it works, what it gives."""

    name: str
    distribution: str | None = None
    version: str | None = None
    status: str = "ok"  # ok | error | disabled | clash
    error: str | None = None
    provides: dict[str, list[str]] = field(default_factory=dict)
    warning: str | None = None  # works, but something about it should be mended

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as ``nnfw list-plugins --json`` prints it."""
        return {"name": self.name, "distribution": self.distribution, "version": self.version,
                "status": self.status, "error": self.error, "warning": self.warning,
                "provides": self.provides}

    def problem_line(self) -> str:
        """One line for a person: the plugin, what went wrong, how to turn it off."""
        origin = f" ({self.distribution} {self.version})" if self.distribution else ""
        what = f"{self.status}: {self.error}" if self.status in ("error", "clash") else self.warning
        return f"plugin {self.name!r}{origin} {what}; disable it with {DISABLE_ENV}={self.name}"


class Registry:
    """Every loaded plugin and every entry, by kind and name."""

    def __init__(self, plugins: list[PluginRecord], entries: list[Entry],
                 defaults: dict[str, tuple[Any, str]]) -> None:
        self.plugins = plugins
        self.defaults = defaults
        self._distribution = {record.name: record.distribution for record in plugins}
        self._by_name: dict[str, dict[str, list[Entry]]] = {kind: {} for kind in KINDS}
        for entry in entries:
            self._by_name[entry.kind].setdefault(entry.name, []).append(entry)

    def origin(self, entry: Entry) -> tuple[str | None, str | None]:
        """The distribution and version that provide ``entry`` (None for a plugin loaded
        without one, as in tests)."""
        record = next((r for r in self.plugins if r.name == entry.plugin), None)
        return (record.distribution, record.version) if record else (None, None)

    def is_built_in(self, entry: Entry) -> bool:
        """Whether ``entry`` comes from nnfw's own distribution."""
        return self._distribution.get(entry.plugin) == BUILT_IN

    def _bare(self, found: list[Entry]) -> Entry | None:
        """The entry a bare name means among ``found``: the only one, or the built-in one."""
        if len(found) == 1:
            return found[0]
        built_in = [entry for entry in found if self.is_built_in(entry)]
        return built_in[0] if len(built_in) == 1 else None

    def has(self, kind: str, name: str) -> bool:
        """Whether some plugin registers ``name`` (bare or ``plugin:name``) in ``kind``."""
        return name.partition(":")[2 if ":" in name else 0] in self._by_name[kind]

    def entries(self, kind: str) -> list[Entry]:
        """All entries of a kind, sorted by name then plugin."""
        table = self._by_name[kind]
        return [entry for name in sorted(table) for entry in table[name]]

    def names(self, kind: str) -> list[str]:
        """The names a user can give for a kind (qualified ones where names clash, beside the
        bare name where it means the built-in)."""
        names: list[str] = []
        for name, found in sorted(self._by_name[kind].items()):
            chosen = self._bare(found)
            names.extend([name] if chosen is not None else [])
            names.extend(e.qualified_name for e in found if len(found) > 1 and e is not chosen)
        return names

    def get(self, kind: str, name: str) -> Entry:
        """The entry called ``name`` (or ``plugin:name``); a UsageError says why not."""
        table = self._by_name[kind]
        if ":" in name:
            plugin, _, short = name.partition(":")
            for entry in table.get(short, []):
                if entry.plugin == plugin:
                    return entry
            qualified = [e.qualified_name for e in self.entries(kind)]
            raise UsageError(unknown_name_message(f"unknown {kind}", name, qualified))
        found = table.get(name, [])
        chosen = self._bare(found)
        if chosen is not None:
            return chosen
        if found:
            choices = ", ".join(e.qualified_name for e in found)
            raise UsageError(f"{kind} {name!r} is provided by {len(found)} plugins; "
                             f"choose one: {choices}")
        raise UsageError(unknown_name_message(f"unknown {kind}", name, self.names(kind))
                         + self._broken_hint(name))

    def _broken_hint(self, name: str) -> str:
        broken = [p for p in self.plugins if p.status == "error"]
        if not broken:
            return ""
        likely = [p for p in broken if name in p.name or p.name in name
                  or (p.distribution and name in p.distribution)]
        if likely:
            return " (it may come from " + "; ".join(p.problem_line() for p in likely) + ")"
        return (f" ({len(broken)} plugin(s) failed to load: "
                + ", ".join(p.name for p in broken) + "; see 'nnfw list-plugins')")

    def mark_clashes(self) -> None:
        """Give every plugin whose entry name another plugin also uses the status 'clash'.

        Where one of them is a built-in, the bare name stays the built-in's and only the
        others are marked (they are the newcomers): each can still be chosen by its
        qualified name.
        """
        by_name = {r.name: r for r in self.plugins}
        for kind in KINDS:
            for name, found in self._by_name[kind].items():
                if len(found) < 2:
                    continue
                chosen = self._bare(found)
                choices = ", ".join(e.qualified_name for e in found)
                for entry in found:
                    if entry is chosen:
                        continue
                    record = by_name[entry.plugin]
                    record.status = "clash"
                    if chosen is None:
                        note = f"{kind} {name!r} is also provided elsewhere; use {choices}"
                    else:
                        note = (f"{kind} {name!r} is also nnfw's built-in, which the bare name "
                                f"keeps meaning; choose this one as {entry.qualified_name}")
                    record.error = f"{record.error}; {note}" if record.error else note

    def problems(self) -> list[str]:
        """One line per plugin that failed, clashes or has a warning."""
        return [p.problem_line() for p in self.plugins
                if p.status in ("error", "clash") or (p.warning and p.status == "ok")]
