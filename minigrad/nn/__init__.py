"""Layers, parameters and initialisers.

``Module`` and ``Parameter`` are the building blocks; the layers below are
written with them and minigrad's differentiable ops. Initialisers live in
``minigrad.nn.init``.
"""

from minigrad.nn import init
from minigrad.nn.container import ModuleList, Sequential
from minigrad.nn.dropout import Dropout
from minigrad.nn.embedding import Embedding
from minigrad.nn.layernorm import LayerNorm
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module, Parameter

__all__ = [
    "Dropout",
    "Embedding",
    "LayerNorm",
    "Linear",
    "Module",
    "ModuleList",
    "Parameter",
    "Sequential",
    "init",
]


def __getattr__(name: str):
    # nn.RNN looks cells up in the plugin registry, a layer above nn: import it
    # on first use so that ``import minigrad.nn`` never imports the registry.
    if name == "RNN":
        from minigrad.cells.layer import RNN

        return RNN
    raise AttributeError(f"module 'minigrad.nn' has no attribute {name!r}")
