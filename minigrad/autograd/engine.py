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

from minigrad.autograd.inplace import check_checksums, check_unmodified
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
    visited: set[Function] = set()
    stack: list[tuple[Function, bool]] = [(root, False) for root in roots]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        if node.inputs is None:
            raise GraphError(
                f"backward through the graph of '{node.name()}' a second time: its saved "
                "arrays were freed by the first backward(). Call backward(retain_graph=True) "
                "the first time, or recompute the forward pass."
            )
        for t in node.inputs:
            child = t._ctx
            if child is not None and child not in visited:
                stack.append((child, False))
    return order


def graph_nodes(*tensors: Tensor) -> list[Function]:
    """The op nodes that ``tensors`` were computed through, each after its inputs' nodes.

    ``len(graph_nodes(loss))`` is how many ops ``loss.backward()`` will call: a
    handy measure of what a model costs in per-op overhead (see
    docs/performance.md). Leaves and tensors made under ``no_grad`` add none.
    """
    return topological_order([t._ctx for t in tensors if t._ctx is not None])


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
    # d(roots)/d(output of node), summed over every consumer seen so far.
    grads: dict[Function, Any] = {}
    leaf_grads: dict[Tensor, Any] = {}
    # Non-leaf tensors asked for in ``wrt`` are found through the node that made them.
    wanted_nodes: dict[Function, list[tuple[int, int]]] = {}
    found: list[Any] = [None] * len(wrt or ())
    for i, t in enumerate(wrt or ()):
        if t._ctx is not None:
            wanted_nodes.setdefault(t._ctx, []).append((i, t._index))

    for root, g in zip(roots, root_grads):
        if root._version and root._ctx is not None and root._version > root._ctx.clock:
            check_unmodified(root._ctx, root)
        _deliver(root, g, grads, leaf_grads)
    order = topological_order([r._ctx for r in roots if r._ctx is not None])

    debug = flags.debug
    for node in reversed(order):
        g = grads.pop(node, None)
        if g is None:
            continue
        if node.n_outputs > 1:
            g = _fill_missing(node, g)
        if wanted_nodes and node in wanted_nodes:
            for i, k in wanted_nodes[node]:
                found[i] = g[k] if node.n_outputs > 1 else g
        inputs = node.inputs
        if inputs is None or node.saved is None:  # both are freed together, below
            raise GraphError(
                f"backward through '{node.name()}' a second time: the graph was freed. "
                "Pass retain_graph=True to the first backward()."
            )
        if debug:
            check_checksums(node)
        in_grads = node.backward(node, g)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        if debug:
            _check_grads(node, inputs, in_grads)
        for t, gi in zip(inputs, in_grads):
            child = t._ctx
            # Written (its .data assigned) after this op or its own op ran? Rare: look closer.
            if t._version and t._version > (node if child is None else child).clock:
                check_unmodified(node, t)
            if gi is None or not t.requires_grad:
                continue
            # The common case inline (one consumer's gradient for a
            # single-output node, no broadcasting); ``_deliver`` does the rest.
            if child is not None and child.n_outputs == 1 and gi.shape == t._data.shape:
                prev = grads.get(child)
                grads[child] = gi if prev is None else prev + gi
            else:
                _deliver(t, gi, grads, leaf_grads)
        if not retain_graph:
            node.saved = None
            node.inputs = None

    if wrt is not None:
        for i, t in enumerate(wrt):
            if t._ctx is None:
                found[i] = leaf_grads.get(t)
        return found
    for t, g in leaf_grads.items():
        # A copy, so that a leaf's .grad never shares memory with another
        # leaf's or with the caller's seed gradient (Add passes it through).
        t.grad = g.copy() if t.grad is None else t.grad + g
    return None


def _deliver(t: Tensor, g: Any, grads: dict, leaf_grads: dict) -> None:
    """Add ``g`` (a gradient for tensor ``t``) to what ``t`` has received so far."""
    if g.shape != t._data.shape:
        g = unbroadcast(g, t._data.shape)
    node = t._ctx
    if node is None:
        prev = leaf_grads.get(t)
        leaf_grads[t] = g if prev is None else prev + g
    elif node.n_outputs == 1:
        prev = grads.get(node)
        grads[node] = g if prev is None else prev + g
    else:  # one slot per output of a multi-output op (split, unstack)
        slots = grads.get(node)
        if slots is None:
            slots = grads[node] = [None] * node.n_outputs
        k = t._index
        slots[k] = g if slots[k] is None else slots[k] + g


def _check_grads(node: Function, inputs: Sequence[Tensor], in_grads: tuple) -> None:
    """Debug mode: refuse a NaN or Inf produced by ``node``'s backward."""
    from minigrad.autograd.function import check_finite

    for gi in in_grads:
        if gi is not None:
            check_finite(gi, node.name(), inputs, "gradient (backward)")


def _fill_missing(node: Function, slots: list[Any]) -> tuple[Any, ...]:
    """Zeros for the outputs of a multi-output op that received no gradient."""
    xp = get_array_module(next(g for g in slots if g is not None))
    return tuple(
        xp.zeros(shape, dtype=dtype) if g is None else g
        for g, (shape, dtype) in zip(slots, node.output_meta)
    )
