"""Checkpoints: the whole training state in one file, written atomically.

One ``checkpoint.npz`` (numpy arrays, loaded with ``allow_pickle=False``) holds
every model weight and optimizer variable (its step count included, so the
learning-rate schedule resumes where it was) plus, as JSON, the history so far.
Training draws no random numbers after the initial weights (no shuffling, no
dropout), so this is all the state there is. Being one file replaced by a
rename, a checkpoint is either the old one or the new one, never half of each.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfw.errors import UsageError
from nnfw.loop import Divergence, History
from nnfw.rundir import json_text, write_atomic

if TYPE_CHECKING:
    from nnfw.loop import Trainer

CHECKPOINT = "checkpoint.npz"
FORMAT = 1


def save_checkpoint(run_dir: Path, trainer: Trainer, train_seconds: float) -> None:
    """Write the trainer's state and history to ``run_dir/checkpoint.npz``, atomically."""
    import numpy as np

    state = trainer.state
    meta = {
        "format": FORMAT,
        "names": [v.path for v in state],
        "shapes": [list(v.shape) for v in state],
        "history": vars(trainer.history),
        "divergence": vars(trainer.divergence) if trainer.divergence else None,
        "train_seconds": train_seconds,
    }
    arrays: dict[str, Any] = {f"state_{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(state)}
    arrays["meta"] = np.frombuffer(json_text(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(run_dir / CHECKPOINT, buffer.getvalue())


def load_checkpoint(run_dir: Path, trainer: Trainer) -> float:
    """Restore the trainer from ``run_dir``'s checkpoint; return the training seconds so far.

    A run stopped before its first checkpoint has none: then the trainer keeps the state it
    was built with, which is the run's initial state (the weights come from its seeds), and
    the run starts again from epoch 0.
    """
    import numpy as np

    path = run_dir / CHECKPOINT
    if not path.is_file():
        return 0.0
    try:
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(bytes(saved["meta"]).decode())
            values = [saved[f"state_{i:04d}"] for i in range(len(meta["names"]))]
        saved_shapes = [list(shape) for shape in meta["shapes"]]
        history = {k: [_number(x) for x in v] for k, v in meta["history"].items()}
        divergence = Divergence(**meta["divergence"]) if meta["divergence"] else None
        seconds = float(meta["train_seconds"])
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--resume: {str(path)!r} cannot be read ({detail}); "
                         "it is not a checkpoint nnfw wrote") from None
    state = trainer.state
    shapes = [list(v.shape) for v in state]
    if meta.get("format") != FORMAT or saved_shapes != shapes:
        raise UsageError(f"--resume: {str(path)!r} belongs to a different model "
                         f"({len(saved_shapes)} arrays {saved_shapes[:3]}..., this one has "
                         f"{len(shapes)} {shapes[:3]}...)")
    for variable, value in zip(state, values, strict=True):
        variable.assign(value)
    trainer.history = History(**history)
    trainer.divergence = divergence
    return seconds


def _number(value: Any) -> float:
    """JSON null (a non-finite value when saved) back to NaN."""
    return float("nan") if value is None else float(value)
