"""Reverse-mode automatic differentiation: ops as nodes, an iterative engine."""

from minigrad.autograd.engine import graph_nodes, run_backward, topological_order, unbroadcast
from minigrad.autograd.function import Function
from minigrad.autograd.mode import (
    debug_mode,
    enable_grad,
    is_debug,
    is_grad_enabled,
    no_grad,
    set_debug,
    set_grad_enabled,
)

__all__ = [
    "Function",
    "debug_mode",
    "enable_grad",
    "graph_nodes",
    "is_debug",
    "is_grad_enabled",
    "no_grad",
    "run_backward",
    "set_debug",
    "set_grad_enabled",
    "topological_order",
    "unbroadcast",
]
