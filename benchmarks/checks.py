"""The loss check: a way counts only if it reaches the reference's final loss.

Every way trains the same problem from the same weights with the same
arithmetic in float32; they differ only in the order of float operations (XLA
fuses and reorders, Keras' MSE averages per row first, a Keras optimizer writes
the same rule in another order). Measured on this machine, in the full run, that
moves the final loss by at most 2e-8 (relative) on iris, 3e-7 on yogurt and
1.1e-4 on the MLP (Adam without epsilon over 938 steps). Wrong ways move it
further: one epoch fewer moves iris by 8e-4, a 1% larger learning rate moves
iris by 4e-3, yogurt by 3e-4 and the MLP by 1.3e-3, one batch fewer the MLP by
2.6e-3, a skipped update by 1 or more. The tolerances sit between the two.
"""

from __future__ import annotations

import math

# relative tolerance on the final training loss, per work
TOLERANCE = {"iris": 1e-4, "yogurt": 1e-4, "mlp": 1e-3, "optimizers": 1e-3}


def relative_deviation(loss: float, reference: float) -> float:
    """``|loss - reference| / |reference|`` (inf when either is not finite)."""
    if not (math.isfinite(loss) and math.isfinite(reference)):
        return math.inf
    return abs(loss - reference) / max(abs(reference), 1e-30)


def loss_matches(loss: float, reference: float, rtol: float) -> bool:
    """Whether ``loss`` is the reference's final loss within the relative tolerance ``rtol``."""
    return relative_deviation(loss, reference) <= rtol
