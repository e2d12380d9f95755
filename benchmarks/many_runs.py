"""Many small runs: the lecture's iris run for 5 optimizers x 10 seeds, four ways.

    python benchmarks/many_runs.py [--seeds 10] [--repeats 3]

Prints, as JSON, the wall seconds of

- one ``nnfw train --config iris`` (the unit: median of ``--repeats``),
- ``nnfw compare --config iris --optimizer sgd,sgdm,adagrad,rmsprop,adam --seeds N``,
  with ``--jobs 1`` and ``--jobs 2``,
- the same runs as separate ``nnfw train`` commands, one after another,
- the same runs as plain Keras ``Model.fit`` in one process (the same one-layer softmax
  model, MSE, batch 32, 500 epochs, no shuffling; Keras' own optimizers),

and each as a multiple of the unit. Every command is a subprocess of the installed nnfw,
as a user would type it, with TensorFlow's start-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

OPTIMIZERS = ("sgd", "sgdm", "adagrad", "rmsprop", "adam")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


DIVERGED = 4  # nnfw's exit status for a run that diverged (the lecture's RMSProp does, on some seeds)


def timed_command(*args: str) -> float:
    """Wall seconds of ``python -m nnfw ARGS`` (which must succeed, or stop at a divergence)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nnfw", *args], env=ENV, capture_output=True,
                          text=True, check=False)
    if done.returncode not in (0, DIVERGED):
        raise RuntimeError(f"nnfw {' '.join(args)} exited with {done.returncode}: {done.stderr[-800:]}")
    spent = time.perf_counter() - started
    print(f"{spent:7.2f} s  nnfw {' '.join(a for a in args if not a.startswith('/'))}", file=sys.stderr)
    return spent


def keras_runs(seeds: int) -> float:
    """Wall seconds of every run as plain ``Model.fit`` in this process (TensorFlow imported first)."""
    import keras
    import numpy as np

    import nnfw

    data = nnfw.dataset("iris")
    x, y = np.asarray(data.x_train, np.float32), np.asarray(data.y_train)
    targets = np.eye(3, dtype=np.float32)[y.astype(int).ravel()]
    optimizers = {"sgd": lambda: keras.optimizers.SGD(0.1),
                  "sgdm": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
                  "adagrad": lambda: keras.optimizers.Adagrad(0.1),
                  "rmsprop": lambda: keras.optimizers.RMSprop(0.1),
                  "adam": lambda: keras.optimizers.Adam(0.1)}
    started = time.perf_counter()
    for name in OPTIMIZERS:
        for seed in range(116, 116 + seeds):
            keras.utils.set_random_seed(seed)
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
            model.compile(optimizer=optimizers[name](), loss="mse")
            model.fit(x, targets, batch_size=32, epochs=500, shuffle=False, verbose=0)
    return time.perf_counter() - started


def main() -> None:
    """Measure the four ways and print them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = len(OPTIMIZERS) * args.seeds
    with tempfile.TemporaryDirectory() as out:
        unit = statistics.median(timed_command("train", "--config", "iris", "--out", out)
                                 for _ in range(args.repeats))
        compare = ["compare", "--config", "iris", "--optimizer", ",".join(OPTIMIZERS),
                   "--seeds", str(args.seeds), "--out", out]
        results: dict[str, Any] = {
            "runs": runs, "one nnfw train": round(unit, 2),
            "nnfw compare --jobs 1": timed_command(*compare, "--jobs", "1"),
            "nnfw compare --jobs 2": timed_command(*compare, "--jobs", "2"),
            f"{runs} separate nnfw train": sum(
                timed_command("train", "--config", "iris", "--optimizer", name, "--seed", str(seed),
                              "--dataset.seed", str(seed), "--out", out)
                for name in OPTIMIZERS for seed in range(116, 116 + args.seeds)),
        }
    from nnfw.training.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    results[f"{runs} Model.fit in one process"] = keras_runs(args.seeds)
    ratios = {key: round(value / unit, 1) for key, value in results.items()
              if key not in ("runs", "one nnfw train")}
    print(json.dumps({**{k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()},
                      "x one run": ratios, "cpus": os.cpu_count(),
                      "load average": os.getloadavg()[0]}, indent=1))


if __name__ == "__main__":
    main()
