"""How much memory a run needs, checked against what the machine (or a limit) leaves it."""

from __future__ import annotations

import contextlib
import os
import resource
from collections.abc import Mapping
from typing import TYPE_CHECKING

from nnfw.errors import UsageError

if TYPE_CHECKING:
    from nnfw.plugin.data import Dataset

GiB = 1 << 30
# float32 copies of every parameter a run holds at once: the weights, their gradients, up to
# two optimizer slots (Adam's moments), the epoch-start copy kept to undo a broken epoch,
# and one for Keras' saving; the data is held twice (numpy, then on the device)
PARAMETER_COPIES = 6
DATA_COPIES = 2
# the history of one epoch: four metrics as Python floats in lists (32 bytes each), then, at
# the end, a row of them for history.csv and the plots (a dict of them, about 350 bytes)
BYTES_PER_EPOCH = 512
# a data file being read is held as bytes, then as text while they are decoded, then as numbers
READ_COPIES = 3


def needed_bytes(parameters: int, data: Dataset, epochs: int = 0) -> int:
    """About how many bytes training a model of ``parameters`` on ``data`` for ``epochs``
    epochs holds at once."""
    arrays = (data.x_train, data.y_train, data.x_test, data.y_test)
    return (PARAMETER_COPIES * 4 * parameters + DATA_COPIES * sum(a.nbytes for a in arrays)
            + BYTES_PER_EPOCH * epochs)


def available_bytes() -> int | None:
    """The bytes this process may still take: the machine's available memory, or less under
    an address-space limit (``ulimit -v``); None where neither can be read."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit != resource.RLIM_INFINITY:
        found.append(max(0, limit - _address_space()))
    return min(found) if found else None


def _address_space() -> int:
    """The bytes of address space this process uses now."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def check_files_fit(files: Mapping[str, str]) -> None:
    """Before a data set reads ``files`` (``slot.param`` -> path): a UsageError, with the
    size needed, when reading them cannot fit in the memory available. A path that cannot
    be looked at is left to the plugin reading it, which says what is wrong with it."""
    sizes = {}
    for key, path in files.items():
        with contextlib.suppress(OSError, ValueError):
            sizes[key] = os.stat(os.path.expanduser(path)).st_size
    needed, available = READ_COPIES * sum(sizes.values()), available_bytes()
    if available is None or needed <= available:
        return
    key = max(sizes, key=sizes.__getitem__)
    raise UsageError(f"{key}: {files[key]!r} holds {sizes[key] / GiB:.1f} GiB; reading the data "
                     f"needs about {needed / GiB:.1f} GiB of memory, but {available / GiB:.1f} "
                     "GiB are available; use a smaller file (fewer rows) or a machine with more "
                     "memory")


def check_memory(parameters: int, data: Dataset, hidden: str, epochs: int) -> None:
    """Raise a UsageError, with the bytes needed and available, when the run cannot fit."""
    needed, available = needed_bytes(parameters, data, epochs), available_bytes()
    if available is None or needed <= available:
        return
    if BYTES_PER_EPOCH * epochs > needed / 2:  # mostly the history: the run is too long
        raise UsageError(f"epochs: {epochs:,} epochs need about {needed / GiB:.1f} GiB for their "
                         f"history, but {available / GiB:.1f} GiB are available; use fewer "
                         "--epochs")
    raise UsageError(f"the model ({parameters:,} parameters, hidden {hidden or 'none'}) needs "
                     f"about {needed / GiB:.1f} GiB to train, but {available / GiB:.1f} GiB "
                     "are available; use smaller --hidden layers")
