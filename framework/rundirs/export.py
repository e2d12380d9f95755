"""A finished run's model in TensorFlow Serving's format (a SavedModel), written atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from nnfw.errors import UsageError
from nnfw.rundirs.rundir import PREPROCESSING, SAVED_MODEL

if TYPE_CHECKING:
    from nnfw.rundirs.trained import TrainedRun

FORMATS = ("saved-model",)
# SavedModel's folder for files its loaders leave alone: the record of what the data set learnt
EXTRA_PREPROCESSING = Path("assets.extra") / f"nnfw-{PREPROCESSING}"


def export_saved_model(run: TrainedRun, out: Path | None = None) -> Path:
    """Write the run's model as a SavedModel into ``out`` (by default RUN_DIR/saved-model),
    which must not exist; its ``serve`` signature takes the rows of features the model
    takes (float32, as ``nnfw predict`` makes them from a file) and returns the model's
    outputs. The preprocessing record goes with it (``assets.extra/``): the model itself
    starts from features, not from a file's columns. Returns ``out``."""
    target = out if out is not None else run.path / SAVED_MODEL
    if target.exists():
        raise UsageError(f"{target}: already exists; give another --output folder or remove it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        run.model.export(str(staged), format="tf_saved_model", verbose=False)
        (staged / EXTRA_PREPROCESSING).parent.mkdir(exist_ok=True)
        shutil.copyfile(run.path / PREPROCESSING, staged / EXTRA_PREPROCESSING)
        os.rename(staged, target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return target
