"""The settings ``nnfw train`` uses when none are given: the lecture's iris set-up."""

from nnfw import hookimpl

DEFAULTS = {
    "dataset": "iris",
    "model": "dense",
    "optimizer": "sgd",
    "loss": "cross-entropy",
    "schedule": "constant",
    "activation": "relu",
    "output-activation": "linear",
    "init": "he-normal",
    "bias-init": "zeros",
    "strategy": "default",
}


@hookimpl
def register_defaults(register):
    """Register which plugin each training setting uses by default."""
    for key, value in DEFAULTS.items():
        register(key, value)
