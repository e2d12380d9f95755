"""Training on several machines at once: one worker process per machine, in step."""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from nnfw import Param, UsageError, deadline, hookimpl

TF_CONFIG = "TF_CONFIG"
EXAMPLE = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
           '"task": {"type": "worker", "index": 0}}')
@hookimpl
def register_strategies(register):
    """Register ``multi-worker``."""
    register("multi-worker", build,
             description="Several machines, one worker each, configured by TF_CONFIG.",
             formula="each worker: its rows of the batch; gradients summed over workers",
             params=[Param("timeout", 300.0, "seconds to wait for the other workers, to start "
                                             "and at each exchange of gradients",
                           bounds="(0, inf)")])


@functools.cache  # TensorFlow connects a process to its cluster once
def build(timeout: float) -> Any:
    """A ``MultiWorkerMirroredStrategy`` for the cluster in ``TF_CONFIG``, connected."""
    import tensorflow as tf

    cluster, task = read_tf_config(os.environ.get(TF_CONFIG))
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=timeout)
    who = f"{task['type']} {task['index']}"
    others = ", ".join(address for job in cluster.values() for address in job)
    message = (f"nnfw: error: {who} waited {timeout:g} s for the other workers ({others}) "
               "without all of them starting; start nnfw train with the same settings on "
               "every machine of TF_CONFIG, or raise --strategy.timeout")
    with deadline(timeout, message):
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def read_tf_config(text: str | None) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The cluster (job -> addresses) and this worker's task from ``TF_CONFIG``, checked."""
    if not text:
        raise UsageError(f"strategy 'multi-worker' needs {TF_CONFIG}, the cluster and this "
                         f"worker's place in it, e.g. {TF_CONFIG}='{EXAMPLE}'")
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{TF_CONFIG} is not JSON ({exc}); e.g. {TF_CONFIG}='{EXAMPLE}'") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster or not all(
            isinstance(job, list) and job and all(isinstance(a, str) for a in job)
            for job in cluster.values()):
        raise UsageError(f"{TF_CONFIG}: 'cluster' must map job names to lists of host:port "
                         f"addresses; e.g. {EXAMPLE}")
    jobs = sorted(cluster)
    if not isinstance(task, dict) or task.get("type") not in cluster:
        raise UsageError(f"{TF_CONFIG}: 'task' must name this worker's job, one of "
                         f"{', '.join(jobs)}, and its index; e.g. {EXAMPLE}")
    index = task.get("index")
    size = len(cluster[task["type"]])
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size:
        raise UsageError(f"{TF_CONFIG}: task index {index!r} is not a position in job "
                         f"{task['type']!r}; accepted: 0..{size - 1}")
    return cluster, task
