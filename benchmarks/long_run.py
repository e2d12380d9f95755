"""Does a long run keep its speed? Epochs per second early and late in one long run.

    python benchmarks/long_run.py --epochs 700000 --checkpoint-seconds 5

Trains the lecture's yogurt-mse run (one step per epoch, so epochs are cheap and a
run reaches hundreds of thousands of them) as a plain graph (``--xla false``; XLA
makes it too fast to see), writing a run directory with checkpoints every
``--checkpoint-seconds`` and asking for the last epoch's metrics after each chunk
(``History.final``, as the progress display does), and prints, as JSON, the epochs
per second over the first
and the last tenth of its chunks, the loop's time (``train_seconds``) and the wall
time of the whole call (with the final writes). A run whose bookkeeping grows with
its length (a history rebuilt each chunk, a checkpoint rewriting every epoch) shows
the last tenth slower than the first.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import nnfw
from nnfw.config.config_file import find_config, read_config
from nnfw.config.resolve import resolve_settings
from nnfw.training.history import History
from nnfw.training.runner import run_training


def main() -> None:
    """Run the long run and print its rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=700000)
    parser.add_argument("--checkpoint-seconds", type=float, default=5.0)
    args = parser.parse_args()
    registry = nnfw.registry()
    config = read_config(find_config("yogurt-mse", registry))
    settings = resolve_settings(registry, config, {
        "epochs": args.epochs, "exact": False, "xla": False,
        "checkpoint-seconds": args.checkpoint_seconds})
    marks: list[tuple[float, int]] = []

    def after_chunk(history: History) -> None:
        history.final()  # what the progress display shows after each chunk
        marks.append((time.perf_counter(), history.epochs_run))

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        result = run_training(settings, registry, out=out, on_chunk=after_chunk)
    wall = time.perf_counter() - started
    tenth = max(2, len(marks) // 10)

    def rate(first: int, last: int) -> float:
        (t0, e0), (t1, e1) = marks[first], marks[last]
        return (e1 - e0) / (t1 - t0)

    print(json.dumps({"epochs": result.history.epochs_run, "chunks": len(marks),
                      "first_tenth_epochs_per_s": round(rate(1, 1 + tenth)),
                      "last_tenth_epochs_per_s": round(rate(len(marks) - 1 - tenth, len(marks) - 1)),
                      "train_seconds": round(result.train_seconds, 2), "wall_seconds": round(wall, 2)}))


if __name__ == "__main__":
    main()
