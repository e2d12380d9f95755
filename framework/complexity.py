"""Network complexity as the lecture counts it, for a stack of dense layers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import pairwise


@dataclass(frozen=True)
class Complexity:
    """Layers (hidden + output; the input layer is not counted), parameters and multiply-adds.

    ``multiply_adds`` is per sample for one forward pass: a dense layer costs
    inputs x outputs; biases and activations are not counted.
    """

    layers: int
    weights: int
    biases: int
    parameters: int
    multiply_adds: int

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (for JSON)."""
        return asdict(self)


def dense_complexity(sizes: list[int], bias: bool = True) -> Complexity:
    """Complexity of dense layers with the given sizes, inputs first: [3, 4, 2] is a 3-4-2 net."""
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise ValueError(f"need an input size and at least one layer size, all positive: {sizes}")
    pairs = list(pairwise(sizes))
    weights = sum(a * b for a, b in pairs)
    biases = sum(b for _, b in pairs) if bias else 0
    return Complexity(layers=len(pairs), weights=weights, biases=biases,
                      parameters=weights + biases, multiply_adds=weights)


def describe_complexity(c: Complexity) -> str:
    """The counts as a few lines for a person, saying what is and is not counted."""
    return "\n".join([
        f"layers: {c.layers} (hidden + output; the input layer is not counted)",
        f"weights: {c.weights}",
        f"biases: {c.biases}",
        f"parameters: {c.parameters} (all w + all b)",
        f"multiply-adds: {c.multiply_adds} per sample, one forward pass "
        "(a dense layer counts inputs x outputs; biases and activations are not counted)",
    ])
