"""Start-up time of the nnfw command line, measured as whole subprocess runs."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from sizes import Sizes
from timing import stats, timed

COMMANDS = {
    "python -c pass (bare interpreter, for scale)": ["-c", "pass"],
    "nnfw --help": ["-m", "nnfw", "--help"],
    "nnfw list-plugins": ["-m", "nnfw", "list-plugins"],
}


def run(sizes: Sizes, broken: bool = False) -> dict[str, Any]:
    """Median, min and max wall seconds of each command (``sys.executable -m nnfw ...``), interleaved."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    seconds: dict[str, list[float]] = {label: [] for label in COMMANDS}
    for _ in range(sizes.cli_repeats):
        for label, args in COMMANDS.items():
            spent, done = timed(lambda args=args: subprocess.run(
                [sys.executable, *args], env=env, capture_output=True, check=False))
            if done.returncode != 0:
                raise RuntimeError(f"{label} exited with {done.returncode}: {done.stderr.decode()[-500:]}")
            seconds[label].append(spent)
    return {"work": "cli", "commands": [{"command": label, "seconds": values, **stats(values)}
                                        for label, values in seconds.items()]}
