"""A training problem every way can run: data, dense layers, init, loss, optimizer, sizes.

The hand-written ways (``ways.py``) and nnfw train the same problem; this module
also draws the initial weights exactly as nnfw (and the lecture) does, and
computes the loss of a final set of weights in float64 numpy, the one number
the loss check compares.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Init:
    """A weight draw: ``tf.random.<kind>(shape, stddev=stddev, seed=seed)``, or zeros."""

    kind: str  # "truncated-normal" | "normal" | "zeros"
    stddev: float = 0.0
    seed: int = 1

    def draw(self, shape: tuple[int, ...]) -> np.ndarray:
        """One draw, as the lecture's scripts and nnfw's initializer plugins make it."""
        import tensorflow as tf

        if self.kind == "zeros":
            return np.zeros(shape, np.float32)
        sample = {"truncated-normal": tf.random.truncated_normal, "normal": tf.random.normal}[self.kind]
        return sample(shape, stddev=self.stddev, seed=self.seed).numpy()


@dataclass
class DenseProblem:
    """Dense layers trained on one data set; ``nnfw_*`` say how ``nnfw.train`` runs the same thing.

    ``t_train`` holds the targets the loss sees (one-hot rows for classes);
    ``labels_test`` the test part's class ids (None: no test accuracy to record).
    """

    name: str
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    labels_test: np.ndarray | None
    units: list[int]
    activations: list[str]  # per layer: "softmax" | "relu" | "linear"
    bias: bool
    loss: str  # "mse" | "cross-entropy" (from logits)
    optimizer: str  # "sgd" | "adam" (the lecture's forms, epsilon 0)
    lr: float
    epochs: int
    batch_size: int
    seed: int  # tf.random.set_seed before the draws
    kernel_init: Init
    bias_init: Init
    nnfw_config: str | None = None
    nnfw_options: dict[str, Any] = field(default_factory=dict)
    nnfw_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Training rows."""
        return len(self.x_train)

    @property
    def steps_per_epoch(self) -> int:
        """Batches per epoch, a smaller last one included."""
        return -(-self.rows // self.batch_size)

    def with_epochs(self, epochs: int) -> DenseProblem:
        """The same problem run for ``epochs`` epochs."""
        return dataclasses.replace(self, epochs=epochs)

    def with_options(self, **options: Any) -> DenseProblem:
        """The same problem, with more ``nnfw.train`` options for the nnfw way."""
        return dataclasses.replace(self, nnfw_options={**self.nnfw_options, **options})

    def forward_flops_per_row(self) -> int:
        """FLOPs of one row's forward pass: 2 x multiply-adds of the dense layers (biases left out)."""
        sizes = [self.x_train.shape[1], *self.units]
        return 2 * sum(a * b for a, b in itertools.pairwise(sizes))


def initial_weights(problem: DenseProblem) -> list[np.ndarray]:
    """The initial weights, kernel then bias per layer, drawn after ``tf.random.set_seed(seed)``.

    This is the order nnfw's model builder (and the lecture's script) draws in, so
    every way starts where nnfw starts; the loss check confirms it.
    """
    import tensorflow as tf

    tf.random.set_seed(problem.seed)
    weights = []
    fan_in = problem.x_train.shape[1]
    for units in problem.units:
        weights.append(problem.kernel_init.draw((fan_in, units)))
        if problem.bias:
            weights.append(problem.bias_init.draw((units,)))
        fan_in = units
    return weights


def split_layers(problem: DenseProblem, weights: list[Any]) -> list[tuple[Any, Any | None]]:
    """``[(kernel, bias or None), ...]`` from a flat kernel-then-bias weight list."""
    step = 2 if problem.bias else 1
    return [(weights[i], weights[i + 1] if problem.bias else None) for i in range(0, len(weights), step)]


def final_loss(problem: DenseProblem, weights: list[np.ndarray]) -> float:
    """The training loss of ``weights`` on all training rows, in float64 numpy."""
    h = problem.x_train.astype(np.float64)
    for (kernel, bias), activation in zip(split_layers(problem, weights), problem.activations,
                                          strict=True):
        h = h @ kernel.astype(np.float64)
        if bias is not None:
            h = h + bias.astype(np.float64)
        if activation == "relu":
            h = np.maximum(h, 0.0)
        elif activation == "softmax":
            e = np.exp(h - h.max(axis=1, keepdims=True))
            h = e / e.sum(axis=1, keepdims=True)
    t = problem.t_train.astype(np.float64)
    if problem.loss == "mse":
        return float(np.mean((t - h) ** 2))
    top = h.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(h - top).sum(axis=1))
    return float(np.mean(log_z - (t * h).sum(axis=1)))
