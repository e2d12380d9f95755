"""The three training works (iris, yogurt, MLP): every way side by side, timed and loss-checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from checks import TOLERANCE, loss_matches, relative_deviation
from problems import DenseProblem, Init, final_loss, initial_weights
from sizes import Sizes
from timing import stats, timed
from ways import BROKEN, NOT_EXACT, WAYS, Way, WayRun

REFERENCE = "eager"  # the lecture's own loop is the reference every way's final loss must reach


def iris_problem(epochs: int) -> DenseProblem:
    """The lecture's iris run (LECTURE.md section 6; nnfw's ``iris`` experiment with SGD)."""
    import nnfw

    data = nnfw.dataset("iris")
    return DenseProblem(
        "iris", data.x_train, np.eye(3, dtype=np.float32)[data.y_train], data.x_test, data.y_test,
        units=[3], activations=["softmax"], bias=True, loss="mse", optimizer="sgd", lr=0.1,
        epochs=epochs, batch_size=32, seed=116, kernel_init=Init("truncated-normal", 0.1, 1),
        bias_init=Init("truncated-normal", 0.1, 1), nnfw_config="iris", nnfw_options={"optimizer": "sgd"})


def yogurt_problem(epochs: int) -> DenseProblem:
    """The lecture's yogurt MSE run (LECTURE.md section 4; nnfw's ``yogurt-mse`` experiment)."""
    import nnfw

    data = nnfw.dataset("yogurt")
    return DenseProblem(
        "yogurt", data.x_train, data.y_train, data.x_test, None, units=[1], activations=["linear"],
        bias=False, loss="mse", optimizer="sgd", lr=0.002, epochs=epochs, batch_size=32,
        seed=87654321, kernel_init=Init("normal", 1.0, 1), bias_init=Init("zeros"),
        nnfw_config="yogurt-mse")


def mlp_problem(rows: int, epochs: int, batch_size: int) -> DenseProblem:
    """MLP 784-512-10 (relu, softmax cross-entropy on logits), Adam lr 0.001 (epsilon 0), random data."""
    import synthetic

    synthetic.use_in_nnfw()
    data = synthetic.build(rows=rows)
    options = {"dataset": synthetic.NAME, "optimizer": "adam", "lr": 0.001, "hidden": "512",
               "activation": "relu", "output_activation": "linear", "loss": "cross-entropy",
               "init": "truncated-normal", "bias_init": "zeros", "batch_size": batch_size, "seed": 116,
               "shuffle": False}  # every way takes the rows in one order
    return DenseProblem(
        "mlp", data.x_train, np.eye(10, dtype=np.float32)[data.y_train], data.x_test, None,
        units=[512, 10], activations=["relu", "linear"], bias=True, loss="cross-entropy",
        optimizer="adam", lr=0.001, epochs=epochs, batch_size=batch_size, seed=116,
        kernel_init=Init("truncated-normal", 0.05, 1), bias_init=Init("zeros"),
        nnfw_options=options, nnfw_params={"dataset": {"rows": rows}, "init": {"stddev": 0.05, "seed": 1},
                                           "optimizer": {"epsilon": 0.0}})  # as the other ways


def extrapolated_seconds(way: Way, problem: DenseProblem, initial: list[np.ndarray],
                         measured: WayRun, epochs_run: int) -> float:
    """Seconds for ``problem.epochs`` epochs from a run of ``epochs_run``: fixed cost plus per epoch.

    A 1-epoch run gives the fixed cost (tracing, set-up) plus one epoch; the longer
    run gives the per-epoch cost: ``t1 + (tN - t1) / (N - 1) * (E - 1)``.
    """
    one = way.run(problem.with_epochs(1), initial).seconds
    per_epoch = (measured.seconds - one) / (epochs_run - 1)
    return one + per_epoch * (problem.epochs - 1)


def run_dense_work(problem: DenseProblem, sizes: Sizes, broken: bool,
                   shortened: dict[str, int] | None = None, ways: Sequence[Way] = WAYS,
                   reference_way: str = REFERENCE) -> dict[str, Any]:
    """Time every way on ``problem`` (repeats interleaved) and check each one's final loss
    against the way ``reference_way``'s.

    ``shortened`` maps a way to a smaller epoch count it really runs; its time is
    extrapolated to the full count and its loss checked against the reference at that count.
    """
    shortened = {k: v for k, v in (shortened or {}).items() if v < problem.epochs}
    ways = [*ways, BROKEN] if broken else list(ways)
    initial = initial_weights(problem)
    if sizes.warmup:
        for way in ways:
            way.run(problem.with_epochs(1), initial)
    epochs = {way.key: shortened.get(way.key, problem.epochs) for way in ways}
    seconds: dict[str, list[float]] = {way.key: [] for way in ways}
    losses: dict[str, list[float]] = {way.key: [] for way in ways}
    last: dict[str, WayRun] = {}
    for _ in range(sizes.repeats):
        for way in ways:
            run = way.run(problem.with_epochs(epochs[way.key]), initial)
            time = run.seconds
            if way.key in shortened:
                time = extrapolated_seconds(way, problem, initial, run, epochs[way.key])
            seconds[way.key].append(time)
            losses[way.key].append(final_loss(problem, run.weights))
            last[way.key] = run
    reference = {problem.epochs: losses[reference_way][0]}
    referee = next(way for way in ways if way.key == reference_way)
    for count in set(shortened.values()):
        reference[count] = final_loss(problem, referee.run(problem.with_epochs(count), initial).weights)
    rtol = TOLERANCE[problem.name]
    rows = []
    for way in ways:
        ref = reference[epochs[way.key]]
        worst = max(losses[way.key], key=lambda loss, ref=ref: relative_deviation(loss, ref))
        note = ""
        if way.key in shortened:
            note = f"extrapolated from {epochs[way.key]} epochs"
        record = last[way.key]
        rows.append({
            "way": way.key, "label": way.label, "seconds": seconds[way.key], **stats(seconds[way.key]),
            "epochs": epochs[way.key], "note": note, "final_loss": worst, "reference_loss": ref,
            "deviation": relative_deviation(worst, ref), "loss_ok": loss_matches(worst, ref, rtol),
            "last_epoch_loss": float(record.epoch_losses[-1]) if record.epoch_losses else None,
            "test_accuracy": float(record.test_accuracy[-1]) if record.test_accuracy else None,
        })
    return {"work": problem.name, "epochs": problem.epochs, "rows": problem.rows,
            "batch_size": problem.batch_size, "tolerance": rtol, "ways": rows}


def matmul_rate(n: int, repeats: int) -> dict[str, Any]:
    """This machine's float32 matmul rate in TensorFlow: a chain of ten n x n matmuls, GFLOP/s."""
    import tensorflow as tf

    a = tf.random.normal((n, n), seed=1)
    b = tf.random.normal((n, n), seed=2) / float(np.sqrt(n))
    chain = 10

    @tf.function
    def run(x: Any) -> Any:
        for _ in range(chain):
            x = tf.matmul(x, b)
        return tf.reduce_sum(x)

    run(a).numpy()
    rates = [2 * n**3 * chain / timed(lambda: run(a).numpy())[0] / 1e9 for _ in range(max(repeats, 3))]
    return {"n": n, "gflops": stats(rates)}


def iris(sizes: Sizes, broken: bool) -> dict[str, Any]:
    """The iris work."""
    return run_dense_work(iris_problem(sizes.iris_epochs), sizes, broken)


def yogurt(sizes: Sizes, broken: bool) -> dict[str, Any]:
    """The yogurt work; plain Model.fit runs ``yogurt_fit_epochs`` and is extrapolated."""
    return run_dense_work(yogurt_problem(sizes.yogurt_epochs), sizes, broken,
                          shortened={"fit": sizes.yogurt_fit_epochs}, ways=(*WAYS, NOT_EXACT))


def mlp(sizes: Sizes, broken: bool) -> dict[str, Any]:
    """The MLP work, with this machine's matmul rate and the MLP's FLOPs per row."""
    problem = mlp_problem(sizes.mlp_rows, sizes.mlp_epochs, sizes.mlp_batch)
    result = run_dense_work(problem, sizes, broken)
    result["forward_flops_per_row"] = problem.forward_flops_per_row()
    result["matmul"] = matmul_rate(sizes.matmul_n, sizes.repeats)
    return result
