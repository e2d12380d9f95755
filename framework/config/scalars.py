"""The scalar training settings (learning rate, epochs, layer sizes, ...) and their limits."""

from __future__ import annotations

from nnfw.plugin.params import Param, Sizes

INT32_MAX = 2**31 - 1
FLOAT32_TINY = 1.1754943508222875e-38  # float32's smallest normal number
FLOAT32_MAX = 3.4028234663852886e38

SCALARS: tuple[Param, ...] = (
    # a float32 that is neither 0 nor infinite, nor so small that it loses precision
    Param("lr", 0.1, "learning rate (the schedule's starting value; a float32, within about "
          "1.2e-38 to 3.4e38)", bounds=f"[{FLOAT32_TINY!r}, {FLOAT32_MAX!r}]"),
    # the training loop counts epochs in int32 tensors
    Param("epochs", 100, "passes over the training data", bounds=f"[1, {INT32_MAX}]"),
    Param("batch-size", 32, "rows per training step", bounds="[1, inf)"),
    Param("shuffle", True, "shuffle the training rows every epoch, with the run's seed; "
          "false: every epoch in the data set's order, as the lecture does"),
    Param("patience", 0, "stop when the validation loss (val_loss) has not been lower than "
          "its best for this many epochs in a row, as Keras' EarlyStopping(monitor='val_loss') "
          "does; the loss, not a metric: it moves every epoch, where accuracy moves in steps. "
          "Needs a validation part (csv: --dataset.validation_fraction 0.2); 0: never stop early",
          bounds=f"[0, {INT32_MAX}]"),
    Param("restore-best", True, "with a validation part, end the run with the weights of the "
          "epoch of lowest val_loss (the test metrics reported are those of these weights); "
          "false: the last epoch's weights"),
    Param("seed", 116, "TensorFlow's global random seed (initial weights)"),
    Param("hidden", "", "hidden layer sizes, comma-separated ('16,8'); empty for none", type=Sizes),
    Param("bias", True, "give every layer a bias"),
    Param("metrics", "", "metrics evaluated on the test (and validation) part, comma-separated "
          "('accuracy,f1'); empty: those the metric plugins give by default for the data's task "
          "(see 'nnfw list metrics')"),
    Param("on-nan", "stop", "when the loss or a weight stops being finite",
          choices=("stop", "continue")),
    Param("out", "runs", "folder that receives the run directories"),
    Param("name", "", "the run's name, in its directory's name and figure titles (lower-case "
          "letters, digits, '.' and '-'); empty: the experiment's name (--config NAME), the "
          "config file's stem, or else the data set's name"),
    Param("checkpoint-seconds", 30.0, "save a checkpoint at most this often (0: after every chunk)",
          bounds="[0, inf)"),
    Param("xla", True, "compile training with XLA where it pays off (long runs, big layers) "
          "and the plugins' operations allow it; false: never. A run directory records "
          "whether the run used it, and a resumed run keeps that"),
    Param("exact", False, "compute exactly what the same operations compute eagerly (the "
          "lecture's own code, bit for bit): never XLA, and no arithmetic rewrites by "
          "TensorFlow's graph optimizer (about 10% slower on small runs)"),
)
SCALAR_BY_NAME = {p.name: p for p in SCALARS}
