"""Two replicas on this machine: nnfw --strategy mirrored against Model.fit under the same strategy.

The CPU is split into two logical devices (before TensorFlow starts), as the tests
do; both ways train the iris and MLP problems with the global batch split between
the replicas and their gradients summed. nnfw on one device is the loss reference
(same arithmetic, summed in another order) and the third row. On a CPU two replicas
add no arithmetic units, so this measures what the distribution costs, not a speed-up.
"""

from __future__ import annotations

from typing import Any

from checks import TOLERANCE, loss_matches, relative_deviation
from dense_works import iris_problem, mlp_problem
from problems import DenseProblem, final_loss, initial_weights
from sizes import Sizes
from timing import stats
from ways import WayRun, model_fit, nnfw_train

REPLICAS = 2


def split_cpu() -> Any:
    """The CPU as ``REPLICAS`` logical devices, and nnfw's MirroredStrategy over them.

    Model.fit uses that same strategy object: two strategies over the same devices in
    one process number their all-reduce operations alike, and TensorFlow mixes them up.
    """
    import nnfw

    return nnfw.strategy("mirrored", cpus=REPLICAS)


def ways(strategy: Any) -> dict[str, Any]:
    """The timed ways, by label: each takes (problem, initial weights) and returns a WayRun."""
    def fit_mirrored(problem: DenseProblem, initial: list[Any]) -> WayRun:
        with strategy.scope():
            return model_fit(problem, initial)

    def nnfw_mirrored(problem: DenseProblem, initial: list[Any]) -> WayRun:
        return nnfw_train(problem.with_options(strategy="mirrored"), initial)

    return {"nnfw, mirrored": nnfw_mirrored, "plain Model.fit, mirrored": fit_mirrored,
            "nnfw, one device": nnfw_train}


def time_problem(problem: DenseProblem, sizes: Sizes, strategy: Any) -> dict[str, Any]:
    """Every way on ``problem``, repeats interleaved, each checked against nnfw on one device."""
    initial = initial_weights(problem)
    runs = ways(strategy)
    if sizes.warmup:
        for run in runs.values():
            run(problem.with_epochs(1), initial)
    seconds: dict[str, list[float]] = {label: [] for label in runs}
    losses: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(sizes.repeats):
        for label, run in runs.items():
            result = run(problem, initial)
            seconds[label].append(result.seconds)
            losses[label].append(final_loss(problem, result.weights))
    reference = losses["nnfw, one device"][0]
    rows = []
    for label in runs:
        worst = max(losses[label], key=lambda loss: relative_deviation(loss, reference))
        rows.append({"way": label, "seconds": seconds[label], **stats(seconds[label]),
                     "final_loss": worst, "deviation": relative_deviation(worst, reference),
                     "loss_ok": loss_matches(worst, reference, TOLERANCE[problem.name])})
    return {"problem": problem.name, "epochs": problem.epochs, "rows": problem.rows,
            "batch_size": problem.batch_size, "ways": rows}


def run(sizes: Sizes, broken: bool) -> dict[str, Any]:
    """The mirrored work: iris and the MLP, on two replicas (``broken`` does not apply)."""
    strategy = split_cpu()
    problems = [iris_problem(sizes.iris_epochs),
                mlp_problem(sizes.mlp_rows, sizes.mlp_epochs, sizes.mlp_batch)]
    return {"work": "mirrored", "replicas": REPLICAS,
            "problems": [time_problem(problem, sizes, strategy) for problem in problems]}
