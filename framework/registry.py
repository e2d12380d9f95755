"""The registry and plugin loading, at the import path third parties use (docs/plugins.md):
``from nnfw.registry import Candidate, load_registry``; they live in :mod:`nnfw.plugin`."""

from nnfw.plugin.loading import ALLOW_ENV, Candidate, entry_point_candidates, load_registry
from nnfw.plugin.registry import BUILT_IN, DISABLE_ENV, PluginRecord, Registry

__all__ = ["ALLOW_ENV", "BUILT_IN", "DISABLE_ENV", "Candidate", "PluginRecord", "Registry",
           "entry_point_candidates", "load_registry"]
