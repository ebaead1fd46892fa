"""Differentiable operations, grouped by kind. Importing this package also binds
them to ``Tensor`` as operators and methods (see ``methods.py``)."""

from minigrad.ops.activations import log_softmax, relu, sigmoid, softmax, tanh
from minigrad.ops.elementwise import (
    abs,
    add,
    astype,
    clip,
    div,
    exp,
    log,
    mul,
    neg,
    pow,
    sqrt,
    sub,
)
from minigrad.ops.linalg import matmul
from minigrad.ops.losses import cross_entropy, mean_squared_error, mse_loss
from minigrad.ops.methods import bind_tensor_methods
from minigrad.ops.random import dropout
from minigrad.ops.reductions import max, mean, sum
from minigrad.ops.select import embedding, one_hot, where
from minigrad.ops.shape import (
    concat,
    getitem,
    reshape,
    split,
    stack,
    swapaxes,
    to_device,
    transpose,
    unstack,
)

bind_tensor_methods()

__all__ = [
    "abs",
    "add",
    "astype",
    "clip",
    "concat",
    "cross_entropy",
    "div",
    "dropout",
    "embedding",
    "exp",
    "getitem",
    "log",
    "log_softmax",
    "matmul",
    "max",
    "mean",
    "mean_squared_error",
    "mse_loss",
    "mul",
    "neg",
    "one_hot",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "split",
    "sqrt",
    "stack",
    "sub",
    "sum",
    "swapaxes",
    "tanh",
    "to_device",
    "transpose",
    "unstack",
    "where",
]
