"""A third party's plugin for the tests: a small convolutional model, an image data set of bars,
and a metric, each registered through nnfw's public hooks only."""

from __future__ import annotations

from typing import Any

from nnfw import Dataset, ModelContext, Param, hookimpl

SIDE = 8  # images are SIDE x SIDE pixels, one channel


@hookimpl
def register_models(register):
    """Register ``tiny-conv``."""
    register("tiny-conv", build_model, description="A 3x3 convolution, then a dense output layer.",
             params=[Param("filters", 4, "filters of the convolution", bounds="[1, 64]")])


@hookimpl
def register_datasets(register):
    """Register ``bars``."""
    register("bars", build_bars, description="8x8 images of one horizontal or vertical bar.",
             params=[Param("rows", 240, "images in all", bounds="[10, 100000]"),
                     Param("seed", 0, "seed of the images")])


@hookimpl
def register_metrics(register):
    """Register ``top-two``."""
    register("top-two", build_top_two, description="Share of rows whose class is in the top two.",
             tasks=("classification",))


def build_model(context: ModelContext, filters: int = 4) -> Any:
    """Reshape the rows to images, convolve, flatten, classify."""
    import keras

    return keras.Sequential([
        keras.Input((context.inputs,)),
        keras.layers.Reshape(context.input_shape),
        keras.layers.Conv2D(filters, 3, activation="relu", name="conv"),
        keras.layers.Flatten(),
        keras.layers.Dense(context.outputs, activation=context.output_activation(), name="output"),
    ])


def build_bars(rows: int = 240, seed: int = 0) -> Dataset:
    """Class 0: a horizontal bar; class 1: a vertical one; at random places, with noise."""
    import numpy as np

    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, rows)
    images = rng.uniform(0.0, 0.3, (rows, SIDE, SIDE)).astype("float32")
    places = rng.randint(0, SIDE, rows)
    for image, label, place in zip(images, labels, places, strict=True):
        if label == 0:
            image[place, :] = 1.0
        else:
            image[:, place] = 1.0
    x = images.reshape(rows, SIDE * SIDE)
    cut = rows * 4 // 5
    return Dataset(x[:cut], labels[:cut], x[cut:], labels[cut:], task="classification",
                   num_classes=2, name="bars", class_names=("horizontal", "vertical"),
                   input_shape=(SIDE, SIDE, 1))


def build_top_two() -> Any:
    """The share of rows whose true class is among the two highest scores."""
    import tensorflow as tf

    def top_two(targets: Any, scores: Any) -> Any:
        found = tf.math.in_top_k(targets, scores, k=min(2, scores.shape[1]))
        return tf.reduce_mean(tf.cast(found, tf.float32))

    return top_two
