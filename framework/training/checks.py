"""Checks of a finished run's outcome that a user should hear about.

Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnfw.plugin.data import Dataset


def learnt_nothing(data: Dataset, final: Mapping[str, float]) -> str | None:
    """A one-line warning when a classifier's final test accuracy (``final``, the last epoch's
    metrics) is at or below the majority-class rate of ``data``'s test part: always answering
    the most common class would do as well. None when it is better, and for regression, a
    data set without test rows or a run with no finite test accuracy.

    The rates are compared as counts of test rows, so that a float32 accuracy equal to the
    majority's share counts as equal.
    """
    accuracy = final.get("test_accuracy")
    rows = len(data.y_test)
    if data.task != "classification" or not rows or accuracy is None or not math.isfinite(accuracy):
        return None
    label, majority = Counter(int(y) for y in data.y_test).most_common(1)[0]
    if round(accuracy * rows) > majority:
        return None
    named = data.class_names[label] if label < len(data.class_names) else f"class {label}"
    return (f"the model learnt nothing useful: final test accuracy {accuracy:.4g} is at or below "
            f"the majority-class rate {majority / rows:.4g} of the test part (always answering "
            f"{named!r}); likely causes: features on very different scales (standardize them), "
            f"a learning rate too small or too large (--lr; 'nnfw lr-find' suggests one), or "
            f"too few --epochs")
