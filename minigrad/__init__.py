"""minigrad: a small, readable autograd engine for learning recurrent networks.

>>> import minigrad as mg
>>> x = mg.tensor([[1.0, 2.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad.tolist()
[[2.0, 4.0]]
"""

from minigrad import _moved

from minigrad.tensor import Tensor, grad, tensor  # isort: skip  (ops bind methods to it)
from minigrad import fused, nn, ops, optim
from minigrad.autograd import (
    Function,
    debug_mode,
    enable_grad,
    is_debug,
    is_grad_enabled,
    no_grad,
    set_debug,
    set_grad_enabled,
)
from minigrad.backend import gpu_available, manual_seed
from minigrad.creation import arange, full, ones, ones_like, rand, randn, zeros, zeros_like
from minigrad.errors import (
    ArgumentError,
    CellError,
    CheckpointError,
    DataError,
    DeviceError,
    DTypeError,
    GradcheckError,
    GraphError,
    MinigradError,
    NumericalError,
    OptionError,
    PluginError,
    ShapeError,
    StateDictError,
)
from minigrad.gradcheck import gradcheck
from minigrad.io import load, save
from minigrad.ops import *  # noqa: F403 - every op is minigrad.<name>
from minigrad.version import __version__

_moved.install()  # old module paths (minigrad.rnn, minigrad.cells.conformance, ...) keep working

# The layers above the core (cells, drivers, the plugin markers) load on first
# use, so ``import minigrad`` never imports pluggy.
_LAZY_MODULES = {
    "cells": "minigrad.cells",
    "rnn": "minigrad.cells.drivers",
    "testing": "minigrad.cells.conformance",
}
_LAZY_ATTRS = {"hookimpl": "minigrad.cells.hookspecs", "hookspec": "minigrad.cells.hookspecs"}


def __getattr__(name: str):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(_LAZY_MODULES[name])
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
