"""A time limit for a call that blocks where Python cannot interrupt it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

from nnfw.training.quiet import terminal_stderr

# Run by a small watcher process: waits for its stdin to close (the block ended); if that
# takes longer than the limit, prints the message and kills the process it watches.
_WATCHER = """
import os, select, signal, sys
pid, seconds, message = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ended, _, _ = select.select([sys.stdin], [], [], seconds)
if not ended:
    sys.stderr.write(message + "\\n")
    sys.stderr.flush()
    os.kill(pid, signal.SIGKILL)
"""


@contextlib.contextmanager
def deadline(seconds: float, message: str) -> Iterator[None]:
    """Kill this process, printing ``message`` on stderr, if the block lasts over ``seconds``.

    For calls that block inside native code without letting other Python threads
    run (connecting to the other machines of a cluster, for one), where neither a
    thread nor a signal handler could stop them: a separate small process keeps
    the time. The process exits with status 137 (killed) if the limit is reached.
    """
    watcher = subprocess.Popen([sys.executable, "-c", _WATCHER, str(os.getpid()), str(seconds),
                                message], stdin=subprocess.PIPE, stderr=terminal_stderr())
    try:
        yield
    finally:
        assert watcher.stdin is not None
        watcher.stdin.close()
        watcher.wait()
