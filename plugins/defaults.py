"""The settings ``nnfw train`` uses when none are given: the lecture's iris set-up."""

from nnfw import hookimpl

DEFAULTS = {
    "dataset": "iris",
    "optimizer": "sgd",
    "loss": "cross-entropy",
    "schedule": "constant",
    "activation": "relu",
    "output_activation": "linear",
    "init": "he-normal",
    "bias_init": "zeros",
    "lr": 0.1,
    "epochs": 100,
    "batch_size": 32,
    "seed": 116,
}


@hookimpl
def register_defaults(register):
    """Register the default plugin choices and training settings."""
    for key, value in DEFAULTS.items():
        register(key, value)
