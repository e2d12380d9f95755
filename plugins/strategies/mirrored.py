"""Training on all devices of this machine, each holding a copy of the model."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from nnfw import Param, UsageError, hookimpl


@hookimpl
def register_strategies(register):
    """Register ``mirrored``."""
    register("mirrored", build,
             description="Every GPU of this machine (without GPUs: the CPU split into devices).",
             formula="each replica: its rows of the batch; gradients summed over replicas",
             params=[Param("cpus", 2, "without GPUs: how many logical devices to split the CPU "
                                      "into", bounds="[1, 64]")])


def build(cpus: int) -> Any:
    """A ``MirroredStrategy`` over every GPU, or over ``cpus`` logical CPU devices."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return strategy_over(None)
    return strategy_over(tuple(split_cpu(cpus)))


@functools.cache
def strategy_over(devices: tuple[str, ...] | None) -> Any:
    """The one ``MirroredStrategy`` of this process over ``devices`` (None: every GPU).

    One per set of devices, shared by every run in the process: two strategies over
    the same devices number their all-reduce operations alike, and TensorFlow then
    mixes up the second one's operations with the first one's.
    """
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(list(devices) if devices else None)


def split_cpu(count: int) -> list[str]:
    """The names of ``count`` logical CPU devices, splitting the CPU if TensorFlow has not
    set up its devices yet in this process (it can do so only once)."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    with contextlib.suppress(RuntimeError):  # devices already set up: use them if enough
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
    devices = [device.name for device in tf.config.list_logical_devices("CPU")]
    if len(devices) < count:
        raise UsageError(f"strategy 'mirrored': cpus={count}, but TensorFlow already runs in this "
                         f"process with {len(devices)} CPU device(s); accepted: cpus <= "
                         f"{len(devices)}, or choose the strategy before TensorFlow starts")
    return devices[:count]
