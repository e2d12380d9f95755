"""A short training run on wine.csv with the csv data set's defaults, against plain Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tabular_sets import write_sklearn_set

import nnfw

EPOCHS, HIDDEN, LR = 50, 16, 0.1  # nnfw's default learning rate, given to Keras too


def keras_test_accuracy(data: nnfw.Dataset) -> float:
    """Test accuracy of the same network trained by plain Keras on the same split."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((data.num_features,)),
                              keras.layers.Dense(HIDDEN, "relu", kernel_initializer="he_normal"),
                              keras.layers.Dense(data.num_classes)])
    model.compile(keras.optimizers.Adam(LR),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(data.x_train, data.y_train, epochs=EPOCHS, batch_size=32, verbose=0)
    return float(model.evaluate(data.x_test, data.y_test, verbose=0)[1])


def test_wine_trains_as_well_as_plain_keras(tmp_path: Path) -> None:
    path = write_sklearn_set(tmp_path, "wine")
    result = nnfw.train(dataset="csv", params={"dataset": {"path": str(path)}}, epochs=EPOCHS,
                        hidden=str(HIDDEN), optimizer="adam", lr=LR)
    data = result.data
    assert data.name == "wine" and data.preprocessing["columns"][0]["std"] > 0
    accuracy = result.history.final()["test_accuracy"]
    reference = keras_test_accuracy(data)
    majority = np.bincount(data.y_test).max() / len(data.y_test)
    assert accuracy > majority + 0.2, (accuracy, majority)
    assert accuracy >= reference - 2 / len(data.y_test), (accuracy, reference)  # two test rows
