"""The lecture's custom loss: over-predicting costs COST per unit, under-predicting PROFIT."""

from __future__ import annotations

from typing import Any

from nnfw import Param, hookimpl
from nnfw_plugins.losses._loss import loss_class


@hookimpl
def register_losses(register):
    """Register ``cost-profit``."""
    register("cost-profit", build, tasks=("regression",), reduction="sum",
             description="Asymmetric loss: over-prediction costs COST, under-prediction PROFIT.",
             formula="loss = sum(where(y > y_, (y - y_) * COST, (y_ - y) * PROFIT))",
             params=[
                 Param("cost", 1.0, "COST: loss per unit predicted too high", bounds="(0, inf)"),
                 Param("profit", 99.0, "PROFIT: loss per unit predicted too low",
                       bounds="(0, inf)"),
             ],
             keras_objects=keras_class)


def cost_profit(y_true: Any, y_pred: Any, cost: float, profit: float) -> Any:
    """``sum(where(y > y_, (y - y_) * COST, (y_ - y) * PROFIT))``: a sum over the batch."""
    import tensorflow as tf

    return tf.reduce_sum(tf.where(tf.greater(y_pred, y_true), (y_pred - y_true) * cost,
                                  (y_true - y_pred) * profit))


def build(cost: float, profit: float) -> Any:
    """A serializable Keras cost/profit loss."""
    return keras_class()(cost=cost, profit=profit)


def keras_class() -> type:
    """The Keras class of this loss (defined on first use), for saving and loading models."""
    return loss_class("CostProfit", cost_profit)
