"""Binds the functional ops to ``Tensor`` as operators and methods.

``a + b`` calls ``add(a, b)``, ``x.tanh()`` calls ``tanh(x)``: these tables are
the whole connection between the data structure (``tensor.py``) and the
maths (the other modules of ``minigrad.ops``). Keeping it in one place means
``tensor.py`` never imports the ops, and every method has exactly one
implementation, the functional one.
"""

from __future__ import annotations

from minigrad.ops import activations as act
from minigrad.ops import elementwise as ew
from minigrad.ops import linalg, reductions, shape
from minigrad.tensor import Tensor


def _rmatmul(a: Tensor, b: Tensor) -> Tensor:
    return linalg.matmul(b, a)


def _pow(a: Tensor, exponent: float) -> Tensor:
    return ew.pow(a, exponent)


def _to(a: Tensor, device: str) -> Tensor:
    """This tensor on ``device`` ("cpu" or "cuda"); differentiable."""
    return shape.to_device(a, device)


def _T(a: Tensor) -> Tensor:  # noqa: N802 - NumPy's name
    """The tensor with its axes reversed (the matrix transpose for 2-D)."""
    return shape.transpose(a)


OPERATORS = {
    "__add__": ew.add,
    "__radd__": ew.radd,
    "__sub__": ew.sub,
    "__rsub__": ew.rsub,
    "__mul__": ew.mul,
    "__rmul__": ew.rmul,
    "__truediv__": ew.div,
    "__rtruediv__": ew.rdiv,
    "__neg__": ew.neg,
    "__pow__": _pow,
    "__matmul__": linalg.matmul,
    "__rmatmul__": _rmatmul,
    "__getitem__": shape.getitem,
}

METHODS = {
    "exp": ew.exp,
    "log": ew.log,
    "sqrt": ew.sqrt,
    "abs": ew.abs,
    "clip": ew.clip,
    "astype": ew.astype,
    "tanh": act.tanh,
    "sigmoid": act.sigmoid,
    "relu": act.relu,
    "softmax": act.softmax,
    "log_softmax": act.log_softmax,
    "sum": reductions.sum,
    "mean": reductions.mean,
    "max": reductions.max,
    "reshape": shape.reshape,
    "transpose": shape.transpose,
    "swapaxes": shape.swapaxes,
    "matmul": linalg.matmul,
    "to": _to,
}

PROPERTIES = {
    "T": _T,
}


def bind_tensor_methods() -> None:
    """Attach every operator, method and property above to ``Tensor`` (idempotent)."""
    for name, fn in {**OPERATORS, **METHODS}.items():
        setattr(Tensor, name, fn)
    for name, getter in PROPERTIES.items():
        setattr(Tensor, name, property(getter))
