"""The hooks a plugin implements.

Every hook takes one argument, ``register``: a callback the plugin calls once
per thing it provides. nnfw checks each call and remembers which plugin made
it, so a mistake is reported against the right plugin.

``register(name, factory, *, description, params=(), formula=None, notes=None,
keras_objects=None, **extras)``

- ``name``: a lower-case slug (``"rmsprop"``, ``"leaky-relu"``), unique in its kind.
- ``factory``: called with the resolved hyperparameters as keywords (plus the
  context keywords named below); must import TensorFlow lazily, inside itself.
- ``description``: one line for listings; ``formula``: the rule, and ``notes``: anything
  more a user should know (text of any length), both for ``nnfw describe``.
- ``params``: a sequence of :class:`nnfw.Param` declaring each hyperparameter.
- ``keras_objects``: a function returning the Keras class (or function), or a list of
  them, that the entry's objects are made of, registered with
  ``keras.saving.register_keras_serializable``. ``nnfw.load_model`` calls it to
  define them before it loads a saved model; an entry without it is built once with
  its default hyperparameters instead (and skipped if that fails).

Plugin modules must not import TensorFlow at import time: ``nnfw list-plugins``,
``nnfw list``, ``nnfw describe`` and every command that trains or plots load every
plugin, and stay fast only if they do not (``nnfw list-plugins`` names a plugin that
does, with the seconds it cost).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "nnfw"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[..., None]


@hookspec
def register_optimizers(register: Register) -> None:
    """Register optimizers.

    The factory is called as ``factory(learning_rate, **params)``, where
    ``learning_rate`` is a float or a Keras ``LearningRateSchedule``, and
    returns a ``keras.optimizers.Optimizer``.
    """


@hookspec
def register_losses(register: Register) -> None:
    """Register losses.

    The factory returns a ``keras.losses.Loss`` or any callable
    ``loss(y_true, y_pred) -> tensor``. What the loss gives for a batch is one of:

    - values per row (or per element): any of Keras' own losses
      (``keras.losses.MeanSquaredError()``, ``Huber()``, ...), whose ``call`` gives
      one value per row, or a callable returning a ``[rows]`` tensor. nnfw reduces
      them over the whole global batch: a sum for a ``Loss`` whose ``reduction`` is
      ``"sum"``, else a mean (Keras' ``"sum_over_batch_size"``). nnfw calls
      ``Loss.call`` for this, not ``Loss.__call__``, which under a strategy divides
      by the number of replicas once more.
    - one number for the batch (a scalar tensor, as the lecture's losses give): the
      loss reduced the rows itself; the ``reduction`` keyword of ``register`` says
      how, ``"mean"`` (the default) or ``"sum"``, so that under a strategy each
      replica's part is weighed by its share of the rows (a mean) or not (a sum).

    Either way every replica's part adds up to the loss of the whole batch, so any
    number of replicas trains as one device does. Other extra keywords of
    ``register``: ``tasks`` (a tuple of ``"classification"`` and/or
    ``"regression"``, the data the loss fits; both by default) and
    ``per_class_outputs`` (True when the loss compares class distributions, so even
    two classes get two outputs), and ``probabilities``, a function
    ``probabilities(outputs, **params)`` that turns the model's outputs (a ``[rows, classes]``
    array) into class probabilities, given the loss's hyperparameters (cross-entropy on
    logits: a softmax); ``nnfw predict`` shows scores instead when a loss has none;
    ``default_for``, the tasks for which the loss replaces a default loss that does not
    fit the data (``mse`` for regression: with no ``--loss`` given, regression data is
    not refused for the classification default). For
    classification, the targets the loss sees are one-hot rows when the model has one
    output per class, else a column of 0/1 values.
    """


@hookspec
def register_schedules(register: Register) -> None:
    """Register learning-rate schedules.

    The factory is called as ``factory(learning_rate, steps_per_epoch, **params)``
    and returns a ``keras.optimizers.schedules.LearningRateSchedule`` (called with
    the optimizer's step count, from 0) or a plain float for a constant rate. A
    factory that has a parameter named ``epochs`` also gets the number of epochs
    the run is planned to train (its new total on ``--resume --epochs N``), so that
    a schedule can end where training ends; one that does not is called without it.
    """


@hookspec
def register_activations(register: Register) -> None:
    """Register activation functions.

    The factory returns a callable ``f(tensor) -> tensor``, used as a Dense
    layer's ``activation``. Make it Keras-serializable to save models with it.
    """


@hookspec
def register_regularizers(register: Register) -> None:
    """Register weight regularizers.

    The factory returns a ``keras.regularizers.Regularizer``; nnfw applies it to
    the weights (kernels) of every layer, never to biases.
    """


@hookspec
def register_initializers(register: Register) -> None:
    """Register weight initializers.

    The factory returns a ``keras.initializers.Initializer``, used for kernels
    (``--init``) or biases (``--bias-init``).
    """


@hookspec
def register_datasets(register: Register) -> None:
    """Register data sets.

    The factory returns an :class:`nnfw.Dataset` with its train/test split (and
    optionally a validation part, and the ``preprocessing`` it learnt from its training rows).

    Extra keyword of ``register``: ``read_rows``, a function
    ``read_rows(path, preprocessing, **params) -> (x, y)`` that reads a file of new rows
    (``nnfw predict``, ``nnfw evaluate``) into features exactly as the data set made its own,
    with what it learnt (the ``preprocessing`` of the run's data set) and the run's
    hyperparameters of the data set; ``y`` is the targets, encoded as the data set's, or
    None when the file has no target column. Without it, nnfw reads a CSV file whose header
    names the data set's features (``feature_names``), plus optionally its target column,
    and uses the values as they are.
    """


@hookspec
def register_strategies(register: Register) -> None:
    """Register distribution strategies: where training runs (``nnfw train --strategy``).

    The factory returns a ``tf.distribute.Strategy`` whose replicas run in step
    (``strategy.run``) and sum gradients with an all-reduce, as ``MirroredStrategy``
    and ``MultiWorkerMirroredStrategy`` do. It is called before anything else
    touches TensorFlow, so it may configure devices or connect to other machines.
    Only the worker whose ``strategy.extended.should_checkpoint`` is true writes
    the run directory.
    """


@hookspec
def register_experiments(register: Register) -> None:
    """Register ready-made experiments: named training set-ups.

    The factory takes no arguments and returns the path of a TOML config file
    (the same format as ``nnfw train --config``); ``nnfw train --config NAME``
    runs it, and ``nnfw list experiments`` lists them.
    """


@hookspec
def register_functions(register: Register) -> None:
    """Register objective functions of a few parameters, for ``nnfw paths`` to run optimizers on.

    The factory is called as ``factory(**params)`` and returns an :class:`nnfw.Objective`:
    ``function``, a float32 tensor of shape ``[n]`` (the point) -> a scalar tensor, written with
    TensorFlow operations so that ``tf.GradientTape`` gives its gradient; the default ``start``
    point (``n`` numbers), the drawing range ``bounds`` (one ``(low, high)`` per parameter) and
    optionally the known ``minima`` to mark and an ``lr`` that suits it.
    """


@hookspec
def register_models(register: Register) -> None:
    """Register model architectures (``nnfw train --model NAME --model.KEY VALUE``).

    The factory is called as ``factory(context, **params)`` with an
    :class:`nnfw.ModelContext` (the shape of one example, the output units, the hidden
    sizes and the layer parts the run chose: activations, initializers, regularizer)
    and returns a ``keras.Model``, not yet compiled, whose input is a batch of rows of
    ``context.inputs`` feature values and whose output has ``context.outputs`` units.
    nnfw trains it with every optimizer, loss, schedule and strategy, saves it in the
    run directory and counts its complexity from its Keras layers. Give
    ``keras_objects`` for the model's own layer classes, so saved models load.
    """


@hookspec
def register_metrics(register: Register) -> None:
    """Register evaluation metrics (``nnfw train --metrics accuracy,f1``).

    The factory is called as ``factory(**params)`` and returns a function
    ``metric(targets, outputs) -> tensor`` of TensorFlow operations, evaluated on a
    whole evaluation part (test, validation) at once: for classification, ``targets``
    are int32 class ids ``[rows]`` and ``outputs`` the model's scores ``[rows, classes]``
    (a one-output binary model's ``p`` given as ``[1 - p, p]``); for regression,
    float32 ``[rows, outputs]`` both. Extra keywords of ``register``: ``tasks`` (the data
    it fits; both by default), ``better`` (``"higher"``, the default, or ``"lower"``),
    ``per_epoch`` (True, the default: a scalar recorded every epoch as the history
    column ``test_NAME`` / ``val_NAME``; False: any array, computed once on the final
    model, as a confusion matrix is, kept in the summary and drawn when it is a
    matrix) and ``default`` (used when ``--metrics`` is not given, where it fits).
    """


@hookspec
def register_defaults(register: Callable[[str, Any], None]) -> None:
    """Register default settings for ``nnfw train``: ``register("optimizer", "sgd")``.

    Keys are training settings (``dataset``, ``optimizer``, ``loss``, ``lr``, ...).
    When two plugins give one key different values, neither is used and the
    user is asked to choose.
    """
