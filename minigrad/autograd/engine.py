"""The backward engine: walk the graph from the loss back to the leaves.

Two ideas matter, and both show up in recurrent networks:

1. **Topological order.** A node's ``backward`` may run only once the gradient
   of its output is complete, i.e. after every op that *used* that output has
   sent its share. An RNN uses the same weight at every time step, so the
   weight's gradient is the sum of T contributions; processing nodes in reverse
   topological order guarantees each sum is complete before it is passed on.
2. **No recursion.** The order is found with an explicit stack, not recursive
   calls, so an RNN unrolled over 100,000 steps does not hit Python's recursion
   limit (about 1,000 frames).

Gradients of intermediate results live in a dictionary keyed by the node that
produced them and are dropped as soon as they have been passed on; only leaf
tensors (parameters, inputs created by you) keep ``.grad``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from minigrad.autograd.mode import flags
from minigrad.backend import get_array_module
from minigrad.errors import GraphError, ShapeError

if TYPE_CHECKING:
    from minigrad.autograd.function import Function
    from minigrad.tensor import Tensor


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    If ``x`` of shape (3, 1) was broadcast to (2, 3, 4) in the forward pass,
    each element of ``x`` was used 2 * 4 times, so its gradient is the sum of
    those uses: sum over the added leading axis, then over the stretched axis.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ShapeError(f"gradient of shape {grad.shape} cannot be reduced to {shape}")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def topological_order(roots: Sequence[Function]) -> list[Function]:
    """Every node reachable from ``roots``, each listed after all nodes it feeds.

    An iterative depth-first search: a node is appended only after all of its
    inputs' nodes, so the reversed list visits the loss first and a node only
    once every consumer of its output has been visited.
    """
    order: list[Function] = []
    visited: set[int] = set()
    stack: list[tuple[Function, bool]] = [(root, False) for root in roots]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if node.inputs is None:
            raise GraphError(
                f"backward through the graph of '{node.name()}' a second time: its saved "
                "arrays were freed by the first backward(). Call backward(retain_graph=True) "
                "the first time, or recompute the forward pass."
            )
        for t in node.inputs:
            child = t._ctx
            if child is not None and id(child) not in visited:
                stack.append((child, False))
    return order


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    retain_graph: bool = False,
    wrt: Sequence[Tensor] | None = None,
) -> list[Any] | None:
    """Backpropagate ``root_grads`` from ``roots``.

    Without ``wrt`` the gradients of leaf tensors are *added* to their
    ``.grad``. With ``wrt`` (a list of tensors, leaves or not) nothing is
    accumulated and the gradients with respect to those tensors are returned.
    """
    from minigrad.autograd.function import check_finite

    grads: dict[int, Any] = {}
    wanted = {id(t): i for i, t in enumerate(wrt)} if wrt is not None else None
    found: list[Any] = [None] * len(wrt) if wrt is not None else []
    # Non-leaf tensors asked for in ``wrt`` are found through the node that made them.
    wanted_nodes: dict[int, list[tuple[int, int]]] = {}
    for i, t in enumerate(wrt or ()):
        if t._ctx is not None:
            wanted_nodes.setdefault(id(t._ctx), []).append((i, t._index))

    def deliver(t: Tensor, g: Any) -> None:
        if g.shape != t.data.shape:
            g = unbroadcast(g, t.data.shape)
        node = t._ctx
        if node is not None:
            key = id(node)
            if node.n_outputs == 1:
                grads[key] = g if key not in grads else grads[key] + g
            else:  # one slot per output of a multi-output op (split, unstack)
                slots = grads.setdefault(key, [None] * node.n_outputs)
                k = t._index
                slots[k] = g if slots[k] is None else slots[k] + g
        elif wanted is not None:
            i = wanted.get(id(t))
            if i is not None:
                found[i] = g if found[i] is None else found[i] + g
        else:
            # A copy, so that two leaves never share one gradient array.
            t.grad = g.copy() if t.grad is None else t.grad + g

    for root, g in zip(roots, root_grads):
        deliver(root, g)
    nodes = topological_order([r._ctx for r in roots if r._ctx is not None])

    for node in reversed(nodes):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if node.n_outputs > 1:
            g = _fill_missing(node, g)
        for i, k in wanted_nodes.get(id(node), ()):
            found[i] = g[k] if node.n_outputs > 1 else g
        inputs = node.inputs
        if inputs is None or node.saved is None:
            raise GraphError(
                f"backward through '{node.name()}' a second time: the graph was freed. "
                "Pass retain_graph=True to the first backward()."
            )
        in_grads = node.backward(node, g)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        if flags.debug:
            for gi in in_grads:
                if gi is not None:
                    check_finite(gi, node.name(), inputs, "gradient (backward)")
        for t, gi in zip(inputs, in_grads):
            if gi is not None and t.requires_grad:
                deliver(t, gi)
        if not retain_graph:
            node.saved = None
            node.inputs = None
    return found if wrt is not None else None


def _fill_missing(node: Function, slots: list[Any]) -> tuple[Any, ...]:
    """Zeros for the outputs of a multi-output op that received no gradient."""
    xp = get_array_module(next(g for g in slots if g is not None))
    return tuple(
        xp.zeros(shape, dtype=dtype) if g is None else g
        for g, (shape, dtype) in zip(slots, node.output_meta)
    )
