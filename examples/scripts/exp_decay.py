"""The lecture's exponential-decay experiment, written with nnfw's Python API.

One scalar w = 5, loss (w + 1)^2, plain gradient descent with
lr = 0.2 * 0.99 ** (epoch / 1) updated once per epoch. Prints w, loss and lr
each epoch as the lecture does (w goes to -1) and draws lr against epoch.

    python examples/scripts/exp_decay.py [--epochs 40] [--plot lr.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import nnfw
from nnfw.explore.paths import run_paths
from nnfw.figures.plots import plot_schedule
from nnfw.training.quiet import import_tensorflow_quietly


def run(epochs: int, lr_base: float = 0.2, decay: float = 0.99, step: float = 1.0
        ) -> list[tuple[float, float, float]]:
    """Train w = 5 on (w + 1)^2 for ``epochs`` epochs; per epoch (w after it, loss, lr).

    The same code as ``nnfw paths --function lecture-square --optimizer sgd --schedule
    exponential``: the built-in sgd and exponential plugins on the lecture-square function,
    one optimizer step per epoch.
    """
    path = run_paths(nnfw.registry(), "lecture-square", ["sgd"], schedule="exponential", lr=lr_base,
                     steps=epochs, params={"schedule": {"decay": decay, "step": step}}).paths[0]
    return [(float(path.points[epoch + 1][0]), float(path.losses[epoch]), float(path.lrs[epoch]))
            for epoch in range(path.steps)]


def main() -> None:
    """Run the experiment; print one line per epoch; optionally plot the learning rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--plot", help="write the learning-rate curve to this PNG/SVG/PDF file")
    args = parser.parse_args()
    import_tensorflow_quietly()
    rows = run(args.epochs)
    for epoch, (w, loss, lr) in enumerate(rows):
        print(f"After {epoch} epoch, w is {w:f}, loss is {loss:f}, lr is {lr:f}")
    if args.plot:
        path = plot_schedule(np.arange(args.epochs), np.array([lr for _, _, lr in rows]), args.plot,
                             "lr = 0.2 * 0.99 ** (epoch / 1)")
        print(f"learning-rate curve saved in {path}")


if __name__ == "__main__":
    main()
