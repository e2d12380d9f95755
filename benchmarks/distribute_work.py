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
from dense_works import extrapolated_seconds, iris_problem, mlp_problem
from problems import DenseProblem, final_loss, initial_weights
from sizes import Sizes
from timing import stats
from ways import Way, WayRun, model_fit, nnfw_train

REPLICAS = 2


def split_cpu() -> Any:
    """The CPU as ``REPLICAS`` logical devices, and nnfw's MirroredStrategy over them.

    Model.fit uses that same strategy object: two strategies over the same devices in
    one process number their all-reduce operations alike, and TensorFlow mixes them up.
    """
    import nnfw

    return nnfw.strategy("mirrored", cpus=REPLICAS)


FIT = "plain Model.fit, mirrored"
ONE_DEVICE = "nnfw, one device"


def ways(strategy: Any) -> dict[str, Any]:
    """The timed ways, by label: each takes (problem, initial weights) and returns a WayRun."""
    def fit_mirrored(problem: DenseProblem, initial: list[Any]) -> WayRun:
        with strategy.scope():
            return model_fit(problem, initial)

    def nnfw_mirrored(problem: DenseProblem, initial: list[Any]) -> WayRun:
        return nnfw_train(problem.with_options(strategy="mirrored"), initial)

    return {"nnfw, mirrored": nnfw_mirrored, FIT: fit_mirrored, ONE_DEVICE: nnfw_train}


def time_problem(problem: DenseProblem, sizes: Sizes, strategy: Any) -> dict[str, Any]:
    """Every way on ``problem``, repeats interleaved, each checked against nnfw on one device.

    Model.fit under the strategy runs at most ``mirrored_fit_epochs`` epochs (its iris run
    takes minutes); its time is extrapolated to the full run as in the yogurt work.
    """
    initial = initial_weights(problem)
    runs = ways(strategy)
    epochs = {label: problem.epochs for label in runs}
    epochs[FIT] = min(problem.epochs, sizes.mirrored_fit_epochs)
    if sizes.warmup:
        for run in runs.values():
            run(problem.with_epochs(1), initial)
    seconds: dict[str, list[float]] = {label: [] for label in runs}
    losses: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(sizes.repeats):
        for label, run in runs.items():
            result = run(problem.with_epochs(epochs[label]), initial)
            time = result.seconds
            if epochs[label] < problem.epochs:
                time = extrapolated_seconds(Way(label, label, run), problem, initial, result,
                                            epochs[label])
            seconds[label].append(time)
            losses[label].append(final_loss(problem, result.weights))
    reference = {problem.epochs: losses[ONE_DEVICE][0]}
    for count in set(epochs.values()) - set(reference):
        reference[count] = final_loss(problem, nnfw_train(problem.with_epochs(count), initial).weights)
    rows = []
    for label in runs:
        ref = reference[epochs[label]]
        worst = max(losses[label], key=lambda loss, ref=ref: relative_deviation(loss, ref))
        note = (f"extrapolated from {epochs[label]} epochs" if epochs[label] < problem.epochs
                else "")
        rows.append({"way": label, "seconds": seconds[label], **stats(seconds[label]),
                     "final_loss": worst, "deviation": relative_deviation(worst, ref),
                     "loss_ok": loss_matches(worst, ref, TOLERANCE[problem.name]), "note": note})
    return {"problem": problem.name, "epochs": problem.epochs, "rows": problem.rows,
            "batch_size": problem.batch_size, "ways": rows}


def run(sizes: Sizes, broken: bool) -> dict[str, Any]:
    """The mirrored work: iris and the MLP, on two replicas (``broken`` does not apply)."""
    strategy = split_cpu()
    problems = [iris_problem(sizes.iris_epochs),
                mlp_problem(sizes.mlp_rows, sizes.mlp_epochs, sizes.mlp_batch)]
    return {"work": "mirrored", "replicas": REPLICAS,
            "problems": [time_problem(problem, sizes, strategy) for problem in problems]}
