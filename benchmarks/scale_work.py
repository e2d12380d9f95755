"""Data at scale: generated CSV files of 10^4 to 10^6 rows, read, held in memory and trained.

Each file has 64 feature columns (``%.6g``) and a label column of 10 classes, the
benchmark's random data (``synthetic.py``), written once (untimed) to a temporary folder.
For each size:

- read: ``nnfw.dataset("csv", path=...)`` (parsing, the test split and standardizing)
  against ``numpy.loadtxt`` of the same file into float32 (and pandas' ``read_csv`` where
  pandas is installed), interleaved; MB/s of the file;
- memory: the peak resident memory of a fresh process that trains one epoch (``nnfw.train``),
  above what it holds once TensorFlow is imported, over the float32 size of the data
  (rows x 65 x 4 bytes): once reading the CSV, once on the same rows made in memory;
- throughput: training rows per second of ``nnfw.train`` and of plain ``Model.fit`` on the
  arrays nnfw read (64-64-10, Adam lr 0.001, batch 128, no shuffling, test accuracy each
  epoch), interleaved.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import synthetic
from sizes import Sizes
from timing import timed

FEATURES, CLASSES, HIDDEN, BATCH = 64, 10, "64", 128
SIZES = (10**4, 10**5, 10**6)
WRITE_ROWS = 100_000  # the generated file is written this many rows at a time

# the child process that measures peak memory: argv = mode (csv | arrays), path or rows, epochs
PEAK_CHILD = """
import json, resource, sys
sys.path.insert(0, sys.argv[4])
import tensorflow as tf
import nnfw, synthetic
tf.constant(1.0) + 1.0
with open("/proc/self/statm") as statm:
    base = int(statm.read().split()[1]) * resource.getpagesize()
mode, what, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = dict(hidden="64", optimizer="adam", lr=0.001, batch_size=128, shuffle=False,
               epochs=epochs, xla=False)
if mode == "csv":
    nnfw.train(dataset="csv", params={"dataset": {"path": what}}, **options)
else:
    synthetic.use_in_nnfw()
    nnfw.train(dataset=synthetic.NAME, params={"dataset": {"rows": int(what), "features": 64}}, **options)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"base": base, "peak": peak}))
"""


def row_counts(sizes: Sizes) -> list[int]:
    """The file sizes this run reads: 10^4, 10^5, 10^6 up to ``scale_rows`` (or that alone)."""
    return [rows for rows in SIZES if rows <= sizes.scale_rows] or [sizes.scale_rows]


def write_csv(path: Path, rows: int) -> None:
    """``rows`` rows of 64 features and a class label, as the benchmark's random data."""
    data = synthetic.build(rows=rows, features=FEATURES, classes=CLASSES)
    formats = ["%.6g"] * FEATURES + ["%d"]
    with path.open("w") as out:
        out.write(",".join([f"x{i}" for i in range(FEATURES)] + ["label"]) + "\n")
        for start in range(0, rows, WRITE_ROWS):
            block = np.column_stack([data.x_train[start:start + WRITE_ROWS],
                                     data.y_train[start:start + WRITE_ROWS]])
            np.savetxt(out, block, fmt=formats, delimiter=",")


def readers() -> dict[str, Any]:
    """The ways to read a file: nnfw's csv data set, numpy.loadtxt, and pandas when installed."""
    import nnfw

    ways: dict[str, Any] = {
        "nnfw csv": lambda path: nnfw.dataset("csv", path=str(path)),
        "numpy.loadtxt": lambda path: np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32),
    }
    try:
        import pandas
    except ImportError:
        return ways
    ways["pandas.read_csv"] = lambda path: pandas.read_csv(path).to_numpy(np.float32)
    return ways


def read_times(path: Path, repeats: int) -> dict[str, float]:
    """Median seconds of each reader on ``path``, interleaved."""
    ways = readers()
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, read in ways.items():
            seconds[name].append(timed(lambda read=read: read(path))[0])
    return {name: statistics.median(values) for name, values in seconds.items()}


def peak_memory(mode: str, what: str, epochs: int) -> dict[str, int]:
    """Peak and base resident bytes of a fresh process training on a CSV or in-memory rows."""
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run([sys.executable, "-c", PEAK_CHILD, mode, what, str(epochs), here],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode != 0:
        raise RuntimeError(f"peak memory ({mode}) exited with {done.returncode}: {done.stderr[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fit_seconds(data: Any, epochs: int) -> float:
    """Seconds of plain ``Model.fit`` of 64-64-10 on nnfw's arrays, test accuracy each epoch."""
    import keras

    model = keras.Sequential([keras.Input(shape=(FEATURES,)), keras.layers.Dense(64, "relu"),
                              keras.layers.Dense(CLASSES)])
    model.compile(optimizer=keras.optimizers.Adam(0.001), metrics=["sparse_categorical_accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return timed(lambda: model.fit(data.x_train, data.y_train, batch_size=BATCH, epochs=epochs,
                                   shuffle=False, verbose=0,
                                   validation_data=(data.x_test, data.y_test)))[0]


def train_times(path: Path, epochs: int, repeats: int) -> dict[str, float]:
    """Median seconds of nnfw's training loop and of Model.fit on the same rows, interleaved."""
    import nnfw

    data = nnfw.dataset("csv", path=str(path))
    seconds: dict[str, list[float]] = {"nnfw.train": [], "plain Model.fit": []}
    for _ in range(repeats):
        result = nnfw.train(dataset="csv", params={"dataset": {"path": str(path)}}, hidden=HIDDEN,
                            optimizer="adam", lr=0.001, batch_size=BATCH, shuffle=False,
                            epochs=epochs)
        seconds["nnfw.train"].append(result.train_seconds)
        seconds["plain Model.fit"].append(fit_seconds(data, epochs))
    return {"train_rows": len(data.x_train),
            **{name: statistics.median(values) for name, values in seconds.items()}}


def measure(path: Path, rows: int, sizes: Sizes) -> dict[str, Any]:
    """One file size: read seconds, peak memory both ways, training seconds both ways."""
    repeats = max(1, sizes.repeats // 2)
    data_bytes = rows * (FEATURES + 1) * 4
    memory = {mode: peak_memory(mode, what, 1)
              for mode, what in (("csv", str(path)), ("arrays", str(rows)))}
    return {"rows": rows, "file_bytes": path.stat().st_size, "data_bytes": data_bytes,
            "read": read_times(path, repeats),
            "peak_over_data": {mode: (m["peak"] - m["base"]) / data_bytes for mode, m in memory.items()},
            "train": train_times(path, sizes.scale_epochs, repeats)}


def run(sizes: Sizes, broken: bool = False) -> dict[str, Any]:
    """Every file size's read, memory and throughput figures."""
    synthetic.use_in_nnfw()
    results = []
    with tempfile.TemporaryDirectory(prefix="nnfw-scale-") as folder:
        warmup = Path(folder) / "warm-up.csv"
        write_csv(warmup, 100)
        read_times(warmup, 1)  # untimed: each reader's imports (scikit-learn's for the split)
        for rows in row_counts(sizes):
            path = Path(folder) / f"rows-{rows}.csv"
            write_csv(path, rows)
            results.append(measure(path, rows, sizes))
            path.unlink()
    return {"work": "scale", "epochs": sizes.scale_epochs, "sizes": results}
