"""How big each work is: the full run, the --quick run, and KEY=VALUE overrides."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Sizes:
    """Every size and repeat count of a benchmark run (the full run's values by default)."""

    repeats: int = 5              # timed repeats of every way (medians, min and max over these)
    warmup: bool = True           # one short untimed run of every way first (process start-up costs)
    iris_epochs: int = 500        # the lecture's iris run
    yogurt_epochs: int = 15000    # the lecture's yogurt run
    yogurt_fit_epochs: int = 1500  # plain Model.fit on yogurt runs this many and is extrapolated
    mlp_rows: int = 60000         # MLP 784-512-10 training rows
    mlp_epochs: int = 2
    mlp_batch: int = 128
    matmul_n: int = 1024          # square matmul size for this machine's matmul rate
    opt_steps: int = 300          # steps per compiled call in the optimizer work
    opt_repeats: int = 11         # timed calls per optimizer (each a fraction of a second)
    cli_repeats: int = 7          # subprocess runs of each CLI command
    mirrored_fit_epochs: int = 50  # Model.fit under MirroredStrategy runs at most this many (extrapolated)
    compile_shapes: int = 14      # the compile work trains the first this many shapes of its sweep
    scale_rows: int = 10**6       # the scale work reads CSVs of 10^4, 10^5, ... rows up to this many
    scale_epochs: int = 2         # epochs of the scale work's throughput runs
    profile_steps: int = 200      # steps per timed call of each part of the MLP's step

    def with_overrides(self, pairs: list[str]) -> Sizes:
        """A copy with ``KEY=VALUE`` pairs applied (``iris_epochs=5``, ``warmup=0``)."""
        names = [f.name for f in fields(self)]
        changes: dict[str, int | bool] = {}
        for pair in pairs:
            key, sep, text = pair.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in names:
                raise ValueError(f"--size {pair!r}: expected KEY=VALUE with KEY one of {names}")
            is_flag = isinstance(getattr(self, key), bool)
            try:
                number = int(text)
            except ValueError:
                number = -1
            if number < (0 if is_flag else 1):
                raise ValueError(f"--size {pair!r}: VALUE must be a whole number >= {0 if is_flag else 1}")
            changes[key] = bool(number) if is_flag else number
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, int | bool]:
        """The sizes as a JSON-ready dict."""
        return dataclasses.asdict(self)


FULL = Sizes()
# the sizes of the problems themselves (the targets hold for the full run's values of these)
PROBLEM_SIZES = ("iris_epochs", "yogurt_epochs", "mlp_rows", "mlp_epochs", "mlp_batch", "opt_steps")
QUICK = Sizes(repeats=2, iris_epochs=50, yogurt_epochs=1500, yogurt_fit_epochs=150, mlp_rows=6000,
              matmul_n=512, opt_steps=50, opt_repeats=3, cli_repeats=3, mirrored_fit_epochs=5,
              compile_shapes=4, scale_rows=10**4, scale_epochs=1,
              profile_steps=50)
