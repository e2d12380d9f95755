"""The errors nnfw reports to a person in one line, without a traceback, and the exit codes.

Exit codes: 0 done; 1 an nnfw error (a file could not be written, ...); 2 bad input
(:class:`UsageError`, and click's own usage errors); 3 a broken plugin
(:class:`PluginError`); 4 training diverged (:data:`EXIT_DIVERGED`); 5 a worker of a
multi-worker run was lost; 128 + the signal's number for a run stopped by SIGINT or
SIGTERM (everything saved); 130 (:data:`EXIT_CTRL_C`) Ctrl-C outside training.
"""

import os
import re
import signal
from pathlib import Path

STRICT_ENV = "NNFW_STRICT_PLUGINS"
EXIT_DIVERGED = 4  # the run finished, but its loss or weights stopped being finite
EXIT_CTRL_C = 130  # Ctrl-C where there was nothing to save
_strict: list[bool] = []  # what use_strict_plugins was given, if anything


def use_strict_plugins(strict: bool) -> None:
    """Raise plugin errors with their tracebacks (True) or report them in one line (False),
    whatever ``NNFW_STRICT_PLUGINS`` says; the CLI's ``--strict-plugins``."""
    _strict[:] = [strict]


def strict_plugins() -> bool:
    """True when plugin errors are to be raised with tracebacks: as :func:`use_strict_plugins`
    was told, else as ``NNFW_STRICT_PLUGINS`` says."""
    if _strict:
        return _strict[0]
    return os.environ.get(STRICT_ENV, "").strip().lower() not in ("", "0", "false", "no")


class NnfwError(Exception):
    """An error whose message is complete in itself; the CLI prints it as one line."""

    exit_code = 1


class UsageError(NnfwError):
    """Bad input from the user: an unknown name, a value out of range, a bad file."""

    exit_code = 2


class PluginError(NnfwError):
    """A plugin broke: it failed to import, raised in a hook or registered something invalid."""

    exit_code = 3


class Interrupted(NnfwError):
    """Training was stopped by SIGINT or SIGTERM after saving its state."""

    def __init__(self, signum: int, epochs: int, run_dir: Path | None) -> None:
        self.exit_code = 128 + signum
        self.args_for_copy = (signum, epochs, run_dir)
        where = (f"; everything is saved: resume with nnfw train --resume {run_dir}"
                 if run_dir else "")
        super().__init__(f"interrupted by {signal.Signals(signum).name} after epoch "
                         f"{epochs - 1}{where}")

    def __reduce__(self) -> tuple[type, tuple[int, int, Path | None]]:
        """Rebuild from the constructor's arguments (crossing processes, as in compare --jobs)."""
        return (Interrupted, self.args_for_copy)


class LostWorker(NnfwError):
    """Another worker of a multi-worker run stopped answering; this one stopped too."""

    exit_code = 5

    def __init__(self, error: Exception, run_dir: Path | None, saved_epochs: int | None) -> None:
        from nnfw.rundirs.rundir import CHECKPOINT

        # TensorFlow's message, without its {{function_node ...}} prefixes
        lines = [re.sub(r"\{\{.*?\}\}\s*", "", line).strip() for line in str(error).splitlines()]
        lines = [line for line in lines if line]
        detail = next((line for line in lines if "abort" in line.lower() or "timed out" in line.lower()
                       or "deadline" in line.lower()), lines[-1] if lines else type(error).__name__)
        if run_dir is None:
            kept = "this worker writes nothing; the chief keeps the run's last checkpoint"
        elif not (run_dir / CHECKPOINT).is_file():
            kept = f"no checkpoint was saved yet in {run_dir}"
        else:
            epochs = f" ({saved_epochs} epochs)" if saved_epochs is not None else ""
            kept = (f"the last checkpoint{epochs} in {run_dir} is intact: restart every worker "
                    f"with nnfw train --resume {run_dir}")
        super().__init__(f"lost contact with another worker ({type(error).__name__}: {detail}); "
                         f"{kept}")


class NnfwWarning(UserWarning):
    """Something a person should know that did not stop the work (the CLI prints it as one
    line, ``nnfw: warning: ...``)."""
