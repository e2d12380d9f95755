"""Training on several machines at once: one worker process per machine, in step."""

from __future__ import annotations

import functools
import json
import os
import warnings
from typing import Any

from nnfw import NnfwWarning, Param, UsageError, deadline, hookimpl

TF_CONFIG = "TF_CONFIG"
EXAMPLE = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
           '"task": {"type": "worker", "index": 0}}')
@hookimpl
def register_strategies(register):
    """Register ``multi-worker``."""
    register("multi-worker", build,
             description="Several machines, one worker each, configured by TF_CONFIG.",
             formula="each worker: its rows of the batch; gradients summed over workers",
             params=[Param("timeout", 300.0, "seconds to wait for the other workers to start",
                           bounds="(0, inf)")])


@functools.cache  # TensorFlow connects a process to its cluster once
def build(timeout: float) -> Any:
    """A ``MultiWorkerMirroredStrategy`` for the cluster in ``TF_CONFIG``, connected."""
    import tensorflow as tf

    cluster, task = read_tf_config(os.environ.get(TF_CONFIG))
    warnings.warn(open_port_warning(cluster, task), NnfwWarning, stacklevel=2)
    who = f"{task['type']} {task['index']}"
    others = ", ".join(address for job in cluster.values() for address in job)
    message = (f"nnfw: error: {who} waited {timeout:g} s for the other workers ({others}) "
               "without all of them starting; start nnfw train with the same settings on "
               "every machine of TF_CONFIG, or raise --strategy.timeout")
    # No timeout on the all-reduces (CommunicationOptions(timeout_seconds=...)): for each
    # all-reduce run with one, TensorFlow starts two threads that sleep out the whole timeout
    # (Env::SchedClosureAfter, from base_collective_executor.cc), and a small run does hundreds
    # of all-reduces a second: with 300 s, iris held 16 more threads per epoch until the
    # process could start no more (issue #17). A lost worker is noticed without it: a dead
    # one's connection resets at the next all-reduce (~1 s), one that stops answering misses
    # the heartbeats of TensorFlow's coordination service (~10 s).
    with deadline(timeout, message):
        return tf.distribute.MultiWorkerMirroredStrategy()


def open_port_warning(cluster: dict[str, list[str]], task: dict[str, Any]) -> str:
    """The line a worker says as it starts: its port is open on every network interface.

    TensorFlow's gRPC server listens on ``0.0.0.0:PORT`` whatever host ``TF_CONFIG``
    gives the task (``grpc_server_lib.cc``; its ``ServerDef`` has a port but no address),
    and it runs whatever graph a client sends it, without authentication.
    """
    host, _, port = cluster[task["type"]][task["index"]].rpartition(":")
    named = "" if host in ("", "0.0.0.0", "[::]") else f", not only on {host} as TF_CONFIG says"
    return (f"{task['type']} {task['index']} listens on port {port} of every network "
            f"interface{named} (TensorFlow cannot bind its server to one address), and anyone "
            "who reaches the port can run any code as this worker's user (TensorFlow's "
            "distributed runtime has no authentication): run the cluster on a trusted network only")


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
