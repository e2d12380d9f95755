"""TensorBoard event files from a run's history: one scalar tag per metric, step = epoch.

``tensorboard --logdir runs/`` then shows every run's curves. TensorBoard itself
is not needed to write them: TensorFlow's summary writer does, with the metadata
TensorBoard's scalar dashboard looks for. A history is written by one compiled
call (about 0.25 s for 15000 epochs of 3 metrics), after training or after each
chunk of epochs, so the training loop does no per-epoch Python work for it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nnfw.training.history import History

SCALARS_PLUGIN = "scalars"  # the TensorBoard dashboard that shows these tags


class TensorBoardLog:
    """An event-file writer that adds the epochs a History gained since the last ``update``.

    Call ``update`` after each chunk of a run in progress, or once after training;
    ``close`` (or leaving a ``with`` block) flushes and closes the file.
    """

    def __init__(self, log_dir: str | Path) -> None:
        import tensorflow as tf

        self.log_dir = Path(log_dir)
        self.written = 0
        self._writer = tf.summary.create_file_writer(str(self.log_dir))
        self._tags: tuple[str, ...] = ()
        self._write: Any = None

    def update(self, history: History) -> int:
        """Write the epochs not written yet; return how many were written."""
        import numpy as np
        import tensorflow as tf

        start, end = self.written, history.epochs_run
        if end <= start:
            return 0
        columns = history.columns()
        if tuple(columns) != self._tags:
            self._tags = tuple(columns)
            self._write = _compiled_writer(self._writer, self._tags)
        values = np.array([column[start:end] for column in columns.values()], np.float32).T
        logger = tf.get_logger()
        level = logger.level
        logger.setLevel("ERROR")  # one new graph function per log: not the retracing TF warns of
        try:
            self._write(tf.constant(values), tf.constant(start, tf.int64))
        finally:
            logger.setLevel(level)
        self._writer.flush()
        self.written = end
        return end - start

    def close(self) -> None:
        """Flush and close the event file."""
        self._writer.close()

    def __enter__(self) -> TensorBoardLog:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _compiled_writer(writer: Any, tags: tuple[str, ...]) -> Any:
    """A graph function writing rows of values (one column per tag) at steps first_step, ..."""
    import tensorflow as tf

    metadata = tf.compat.v1.SummaryMetadata(
        plugin_data={"plugin_name": SCALARS_PLUGIN}, data_class="DATA_CLASS_SCALAR"
    ).SerializeToString()

    @tf.function(input_signature=[tf.TensorSpec([None, len(tags)], tf.float32),
                                  tf.TensorSpec([], tf.int64)])
    def write(values: Any, first_step: Any) -> Any:
        with writer.as_default():
            for row in tf.range(tf.shape(values, out_type=tf.int64)[0]):
                for column, tag in enumerate(tags):  # unrolled: one loop pass writes every tag
                    tf.summary.write(tag, values[row, column], step=first_step + row,
                                     metadata=metadata)
        return tf.shape(values)[0]

    return write


def write_tensorboard(log_dir: str | Path, history: History) -> Path:
    """Write a run's whole history as event files in ``log_dir``; return ``log_dir``.

    The files are written in a temporary folder beside it, which is then renamed,
    so ``log_dir`` is never half-written. An earlier log there (of the same run,
    before it was resumed) is replaced: the history holds all its epochs again.
    """
    target = Path(log_dir)
    holder = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        tmp = holder / "new"  # made by mkdir, so it gets the usual permissions
        tmp.mkdir()
        with TensorBoardLog(tmp) as log:
            log.update(history)
        if target.exists() or target.is_symlink():  # a link is moved aside, never followed
            os.replace(target, holder / "old")
        os.replace(tmp, target)
    finally:
        shutil.rmtree(holder, ignore_errors=True)
    return target
