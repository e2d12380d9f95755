"""The example third-party plugin (examples/nnfw-lion) follows its rule, checked by the main suite.

The check itself lives with the example, in ``examples/nnfw-lion/tests/test_lion.py``;
it is loaded from there (not installed, not copied) and collected here under its own name.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_EXAMPLE_TESTS = Path(__file__).resolve().parents[1] / "examples" / "nnfw-lion" / "tests"


def _load_example_tests() -> object:
    """The example's test module, imported from its file under a name of its own."""
    spec = importlib.util.spec_from_file_location("nnfw_lion_example_tests",
                                                  _EXAMPLE_TESTS / "test_lion.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


test_lion_follows_numpy_reference = _load_example_tests().test_weights_follow_numpy_reference
