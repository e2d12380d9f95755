"""Network complexity as the lecture counts it: for a stack of dense layers, or any Keras model."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any


@dataclass(frozen=True)
class Complexity:
    """Layers (hidden + output; the input layer is not counted), parameters and multiply-adds.

    ``multiply_adds`` is per sample for one forward pass: a dense layer costs
    inputs x outputs, a convolution kernel size x input channels x filters at each
    output position; biases and activations are not counted. ``parameters`` are the
    trainable values (all w + all b, and any other trainable value, such as a batch
    norm's scale and offset); ``uncounted`` names the layers with weights whose
    multiply-adds are not counted.
    """

    layers: int
    weights: int
    biases: int
    parameters: int
    multiply_adds: int
    uncounted: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict (for JSON)."""
        return {**asdict(self), "uncounted": list(self.uncounted)}


def dense_complexity(sizes: list[int], bias: bool = True) -> Complexity:
    """Complexity of dense layers with the given sizes, inputs first: [3, 4, 2] is a 3-4-2 net."""
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise ValueError(f"need an input size and at least one layer size, all positive: {sizes}")
    pairs = list(pairwise(sizes))
    weights = sum(a * b for a, b in pairs)
    biases = sum(b for _, b in pairs) if bias else 0
    return Complexity(layers=len(pairs), weights=weights, biases=biases,
                      parameters=weights + biases, multiply_adds=weights)


def model_complexity(model: Any) -> Complexity:
    """The complexity of a built Keras model, from its layers: a layer with a ``kernel``
    counts as a layer, its kernels as weights, its ``bias`` as biases; multiply-adds
    of dense and convolution layers are counted from their shapes."""
    layers = weights = biases = multiply_adds = 0
    uncounted = []
    for layer in _leaf_layers(model):
        kernel = getattr(layer, "kernel", None)
        bias = getattr(layer, "bias", None)
        if kernel is not None:
            layers += 1
            weights += math.prod(kernel.shape)
        if bias is not None:
            biases += math.prod(bias.shape)
        counted = _multiply_adds(layer)
        if counted is None:
            if layer.weights:
                uncounted.append(layer.name)
        else:
            multiply_adds += counted
    parameters = sum(math.prod(v.shape) for v in model.trainable_weights)
    return Complexity(layers=layers, weights=weights, biases=biases, parameters=parameters,
                      multiply_adds=multiply_adds, uncounted=tuple(uncounted))


def _leaf_layers(layer: Any) -> list[Any]:
    """The layers of a model that hold no layers themselves, nested models opened."""
    inner = getattr(layer, "layers", None)
    if not inner:
        return [layer]
    return [leaf for each in inner for leaf in _leaf_layers(each)]


def _multiply_adds(layer: Any) -> int | None:
    """A dense or convolution layer's multiply-adds per sample; None for other layers."""
    import keras

    kernel = getattr(layer, "kernel", None)
    try:
        outputs = layer.output.shape
    except (AttributeError, ValueError):  # not part of a symbolic model: no shapes to read
        return None
    if isinstance(layer, keras.layers.Dense) and kernel is not None:
        return math.prod(outputs[1:-1]) * math.prod(kernel.shape)
    if isinstance(layer, keras.layers.Conv1D | keras.layers.Conv2D | keras.layers.Conv3D) and \
            kernel is not None:
        positions = math.prod(outputs[1:-1]) if layer.data_format == "channels_last" \
            else math.prod(outputs[2:])
        return positions * math.prod(kernel.shape)
    return None


def describe_complexity(c: Complexity) -> str:
    """The counts as a few lines for a person, saying what is and is not counted."""
    return "\n".join([
        f"layers: {c.layers} (hidden + output; the input layer is not counted)",
        f"weights: {c.weights}",
        f"biases: {c.biases}",
        f"parameters: {c.parameters} (all w + all b"
        + (", and other trainable values)" if c.parameters != c.weights + c.biases else ")"),
        f"multiply-adds: {c.multiply_adds} per sample, one forward pass "
        "(a dense layer counts inputs x outputs, a convolution kernel x channels x filters per "
        "output position; biases and activations are not counted)",
        *([f"not counted: the multiply-adds of {', '.join(c.uncounted)}"] if c.uncounted else []),
    ])
