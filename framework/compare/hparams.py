"""A comparison for TensorBoard's HParams dashboard: each run's varied options as its
hyperparameters, its final loss and test metrics as the dashboard's metrics.

``tensorboard --logdir COMPARISON_DIR`` then lists the runs in a table that sorts and
filters by option and metric. The runs' per-epoch scalars are already in each run's
``tensorboard/`` folder (under the tags ``loss``, ``test_loss``, ``test_accuracy``); the
dashboard reads a metric's last value there, so only the hyperparameters are added: one
small event file in each run directory itself (not in ``tensorboard/``, which a resumed run
writes anew, so the record outlives ``--resume``), and the experiment's description at the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nnfw.rundirs.rundir import EXPERIMENT, TENSORBOARD

METRIC_TAGS = {"loss": "training loss (final epoch)", "test_loss": "test loss (final epoch)",
               "test_accuracy": "test accuracy (final epoch)"}


def hparam_values(varied: Mapping[str, Any], seed: int | None) -> dict[str, bool | int | float | str]:
    """The values the dashboard shows for one run: its varied options (those that apply to it)
    and, for repeated seeds, its seed; lists (hidden sizes) as text."""
    values: dict[str, Any] = {key: value if isinstance(value, bool | int | float | str) else str(value)
                              for key, value in varied.items() if value is not None}
    if seed is not None:
        values["seed"] = seed
    return values


def write_hparams(directory: Path, runs: Sequence[tuple[Path, dict[str, Any]]],
                  metrics: Sequence[str]) -> None:
    """Write the experiment (every hyperparameter seen, the ``metrics`` tags, read in each
    run's ``tensorboard/``) in ``directory/hparams`` and each run's values in its directory
    (``runs``: each run's directory and :func:`hparam_values`)."""
    from nnfw.training.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()  # with --jobs, this process has not needed TensorFlow so far
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    names = list(dict.fromkeys(name for _, values in runs for name in values))
    with tf.summary.create_file_writer(str(directory / EXPERIMENT)).as_default():
        hp.hparams_config(hparams=[hp.HParam(name) for name in names],
                          metrics=[hp.Metric(tag, group=TENSORBOARD, display_name=METRIC_TAGS[tag])
                                   for tag in metrics])
    for run_dir, values in runs:
        writer = tf.summary.create_file_writer(str(run_dir))
        with writer.as_default():
            hp.hparams(values, trial_id=run_dir.name)
        writer.close()
