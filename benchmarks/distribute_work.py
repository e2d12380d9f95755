"""Two replicas on this machine: nnfw --strategy mirrored against Model.fit under the same strategy.

The CPU is split into two logical devices (before TensorFlow starts), as the tests
do; both ways train the iris and MLP problems with the global batch split between
the replicas and their gradients summed. nnfw on one device is the loss reference
(same arithmetic, summed in another order) and the third row. On a CPU two replicas
add no arithmetic units, so this measures what the distribution costs, not a speed-up.
"""

from __future__ import annotations

from typing import Any

from dense_works import iris_problem, mlp_problem, run_dense_work
from problems import DenseProblem
from sizes import Sizes
from ways import Way, WayRun, model_fit, nnfw_train

REPLICAS = 2
ONE_DEVICE = "one-device"


def split_cpu() -> Any:
    """The CPU as ``REPLICAS`` logical devices, and nnfw's MirroredStrategy over them.

    Model.fit uses that same strategy object: two strategies over the same devices in
    one process number their all-reduce operations alike, and TensorFlow mixes them up.
    """
    import nnfw

    return nnfw.strategy("mirrored", cpus=REPLICAS)


def ways(strategy: Any) -> list[Way]:
    """nnfw and Model.fit under ``strategy``, then nnfw on one device (the loss reference)."""
    def fit_mirrored(problem: DenseProblem, initial: list[Any]) -> WayRun:
        with strategy.scope():
            return model_fit(problem, initial)

    def nnfw_mirrored(problem: DenseProblem, initial: list[Any]) -> WayRun:
        return nnfw_train(problem.with_options(strategy="mirrored"), initial)

    return [Way("nnfw", "nnfw, mirrored", nnfw_mirrored),
            Way("fit", "plain Model.fit, mirrored", fit_mirrored),
            Way(ONE_DEVICE, "nnfw, one device", nnfw_train)]


def run(sizes: Sizes, broken: bool) -> dict[str, Any]:
    """The mirrored work: iris and the MLP, on two replicas (``broken`` does not apply)."""
    strategy = split_cpu()
    problems = [iris_problem(sizes.iris_epochs),
                mlp_problem(sizes.mlp_rows, sizes.mlp_epochs, sizes.mlp_batch)]
    # Model.fit under the strategy runs at most mirrored_fit_epochs (its iris run takes
    # minutes) and is extrapolated, as in the yogurt work
    return {"work": "mirrored", "replicas": REPLICAS, "problems": [
        run_dense_work(problem, sizes, broken=False, ways=ways(strategy), reference_way=ONE_DEVICE,
                       shortened={"fit": sizes.mirrored_fit_epochs}) for problem in problems]}
