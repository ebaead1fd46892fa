"""A snapshot of the graph behind a tensor: the nodes ``backward()`` walks, as plain data.

``capture(loss)`` follows ``loss``'s record of operations back to its leaves and
returns a ``Graph``: one ``Node`` per op (in ``graph_nodes()`` order, each after
its inputs) and one per leaf tensor, and one ``Edge`` per input of each op. The
three views (the terminal tree, DOT and TensorBoard's ``GraphDef``) all draw
this one snapshot, so they show the same nodes with the same labels.

Leaves come in three kinds: a **parameter** (an ``nn.Parameter``: what training
changes), an **input** (any other leaf array: data, a carried state) and a
**constant** (a number written in an expression, e.g. the ``2`` of ``2 * x``).
A leaf that does not require a gradient is where ``backward()`` stops.

Two optional hints give nodes a *scope*, a path such as ``cell/t2``:

* ``module=``: a ``Module`` whose parameter names (``cell.W``) name the leaves,
  and whose sub-module names become scopes: an op that uses parameters directly
  belongs to the module that owns them; any other op to the module its inputs
  come from, when they agree.
* ``steps=``: the tensors an unrolled loop produced, one per time step (the
  states or outputs of steps 0, 1, ...). An op belongs to the first step whose
  tensor depends on it; an op after the loop that uses one step only (the
  logits of that step) belongs to that step too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from minigrad import backend
from minigrad.autograd import graph_nodes
from minigrad.autograd.function import Function
from minigrad.errors import GraphError
from minigrad.nn import Module, Parameter
from minigrad.tensor import Tensor, grad

LeafKind = Literal["parameter", "input", "constant"]
Kind = Literal["op", "parameter", "input", "constant"]


@dataclass(frozen=True)
class Node:
    """One node of a captured graph: an op, or a leaf tensor.

    ``shapes`` holds one shape per output (several for ``unstack``, ``split``
    and the fused sequence ops); ``scope`` is ``""`` or a path like ``"cell/t0"``
    made of ``module`` and ``step``.
    """

    id: int
    kind: Kind
    op: str
    name: str
    shapes: tuple[tuple[int, ...], ...]
    dtype: str
    requires_grad: bool
    #: The module that owns it (``"rnn/layers/0"``; ``""``: none known), and its time step.
    module: str = ""
    step: int | None = None
    #: The value of a one-element constant, shown in its label.
    value: float | None = None

    @property
    def scope(self) -> str:
        """``module/t<step>``, either part left out when unknown (``""``: no scope)."""
        parts = [self.module] if self.module else []
        if self.step is not None:
            parts.append(f"t{self.step}")
        return "/".join(parts)

    @property
    def is_leaf(self) -> bool:
        """True for parameters, inputs and constants."""
        return self.kind != "op"

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the (first) output."""
        return self.shapes[0]


@dataclass(frozen=True)
class Edge:
    """Output ``output`` of node ``src`` is input number ``index`` of node ``dst``.

    ``grad_shape`` and ``grad_norm`` are filled when the graph was captured with
    gradients: the shape and L2 norm of d(root)/d(this tensor). ``None`` there
    means no gradient flows along this edge (the leaf does not require one).
    """

    src: int
    dst: int
    index: int
    output: int
    shape: tuple[int, ...]
    grad_shape: tuple[int, ...] | None = None
    grad_norm: float | None = None


@dataclass
class Graph:
    """A captured graph: ``nodes`` (inputs before the ops that use them, roots last), ``edges``.

    ``op_nodes()`` lists the ops in exactly the order of
    ``minigrad.autograd.graph_nodes(*roots)``; ``with_grads`` says whether the
    edges carry gradients.
    """

    nodes: list[Node]
    edges: list[Edge]
    roots: list[int]
    with_grads: bool = False
    _inputs: dict[int, list[Edge]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for edge in self.edges:
            self._inputs.setdefault(edge.dst, []).append(edge)
        for edges in self._inputs.values():
            edges.sort(key=lambda e: e.index)

    def inputs(self, node_id: int) -> list[Edge]:
        """The edges into ``node_id``, in the op's argument order."""
        return self._inputs.get(node_id, [])

    def op_nodes(self) -> list[Node]:
        """The op nodes, in ``graph_nodes()`` order."""
        return [n for n in self.nodes if not n.is_leaf]

    def leaves(self, kind: LeafKind | None = None) -> list[Node]:
        """The leaf nodes (of one ``kind`` if given)."""
        return [n for n in self.nodes if n.is_leaf and (kind is None or n.kind == kind)]

    def ops_per_scope(self) -> dict[str, int]:
        """How many op nodes each scope holds (``""``: no scope)."""
        counts: dict[str, int] = {}
        for node in self.op_nodes():
            counts[node.scope] = counts.get(node.scope, 0) + 1
        return counts


def _format_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def shape_text(shapes: Sequence[tuple[int, ...]]) -> str:
    """``(2, 4)``, or ``3×(2, 4)`` for three outputs of one shape."""
    if len(shapes) == 1:
        return _format_shape(shapes[0])
    if len(set(shapes)) == 1:
        return f"{len(shapes)}×{_format_shape(shapes[0])}"
    return " ".join(_format_shape(s) for s in shapes)


def node_label(node: Node) -> str:
    """The one-line label every view uses: ``matmul (2, 4) float32``, ``W parameter (6, 4) ...``."""
    shape, dtype = shape_text(node.shapes), node.dtype
    if node.kind == "op":
        return f"{node.op} {shape} {dtype}"
    if node.kind == "constant" and node.value is not None:
        return f"constant {node.value:g} {dtype}"
    name = f"{node.name} " if node.name else ""
    return f"{name}{node.kind} {shape} {dtype}"


def _leaf_kind(t: Tensor) -> LeafKind:
    if isinstance(t, Parameter):
        return "parameter"
    return "constant" if t.ndim == 0 else "input"


def _leaf_node(t: Tensor, node_id: int, name: str) -> Node:
    kind = _leaf_kind(t)
    value = float(backend.to_numpy(t.data)) if kind == "constant" else None
    return Node(node_id, kind, kind, name, (t.shape,), str(t.dtype), t.requires_grad, value=value)


def _leaf_names(module: Module | None, names: Mapping[str, Tensor] | None) -> dict[int, str]:
    found: dict[int, str] = {}
    if module is not None:
        found.update({id(p): name for name, p in module.named_parameters()})
    for name, t in (names or {}).items():
        if not isinstance(t, Tensor):
            raise GraphError(f"names[{name!r}] must be a Tensor, got {type(t).__name__}")
        found[id(t)] = name
    return found


def _check_alive(ops: Iterable[Function]) -> None:
    """``graph_nodes`` walks only live graphs; say plainly what to do about a freed one."""
    for op in ops:
        if op.inputs is None:
            raise GraphError(
                f"the graph behind '{op.name()}' was freed by backward(); to draw it after "
                "backward, call backward(retain_graph=True), or draw it before backward()"
            )


def _root_ops(roots: Sequence[Tensor]) -> list[Function]:
    ops = [t._ctx for t in roots if t._ctx is not None]
    _check_alive(ops)
    return ops


def capture(
    *roots: Tensor,
    module: Module | None = None,
    names: Mapping[str, Tensor] | None = None,
    steps: Sequence[Any] | str | None = None,
    grads: bool | None = None,
) -> Graph:
    """Snapshot the graph behind ``roots`` (usually one loss).

    ``module`` names parameters and gives op nodes module scopes; ``names``
    (``{"x": x, "h0": h0}``) names other leaves; ``steps`` are the tensors of
    an unrolled loop's time steps (a state may be a tuple: LSTM's ``(h, c)``),
    or ``"auto"``: the inputs of the ``stack`` nearest the roots, which is how
    ``dynamic_rnn`` and lesson 1 gather their steps' outputs.
    ``grads``: ``True`` computes d(root)/d(tensor) for every edge (``mg.grad``
    on the live graph, nothing accumulated), ``False`` never, ``None`` when
    ``backward()`` has already filled some leaf's ``.grad``. The graph must be
    alive: before ``backward()`` or after ``backward(retain_graph=True)``.
    """
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        raise GraphError("capture(): pass the tensor(s) whose graph to draw, e.g. capture(loss)")
    # graph_nodes raises for a freed graph too, but in backward()'s words; check every op first.
    ops = _walk_checked(roots)
    leaf_names = _leaf_names(module, names)

    ids: dict[int, int] = {}  # id(Function) or id(leaf Tensor) -> node id
    out_meta: dict[int, list[tuple[tuple[int, ...], str]]] = {}
    leaves: list[Tensor] = []
    for op in ops:
        for t in op.inputs or ():
            if t._ctx is None:
                if id(t) not in ids:
                    ids[id(t)] = -1
                    leaves.append(t)
            else:
                _note_output(out_meta, t)
    for t in roots:
        if t._ctx is not None:
            _note_output(out_meta, t)

    # A root with no history at all is a leaf: its graph is itself.
    leaves += [t for t in roots if t._ctx is None and id(t) not in ids]
    nodes: list[Node] = []
    for t in leaves:
        ids[id(t)] = len(nodes)
        nodes.append(_leaf_node(t, len(nodes), leaf_names.get(id(t), "")))
    for op in ops:
        ids[id(op)] = len(nodes)
        meta = out_meta[id(op)]
        nodes.append(
            Node(
                len(nodes),
                "op",
                op.name(),
                "",
                tuple(shape for shape, _ in meta),
                meta[0][1],
                True,
            )
        )

    edge_grads = _edge_grads(roots, ops, grads)
    edges = []
    for op in ops:
        for index, t in enumerate(op.inputs or ()):
            src = ids[id(t._ctx) if t._ctx is not None else id(t)]
            g = edge_grads.get(id(t)) if edge_grads is not None else None
            edges.append(
                Edge(
                    src,
                    ids[id(op)],
                    index,
                    t._index if t._ctx is not None else 0,
                    t.shape,
                    None if g is None else tuple(g.shape),
                    None if g is None else float(np.linalg.norm(backend.to_numpy(g))),
                )
            )
    root_ids = [ids[id(t._ctx) if t._ctx is not None else id(t)] for t in roots]
    graph = Graph(nodes, edges, root_ids, with_grads=edge_grads is not None)
    return _with_scopes(graph, ops, ids, module, steps)


def _walk_checked(roots: Sequence[Tensor]) -> list[Function]:
    """``graph_nodes(*roots)``, after making sure no op on the way was freed."""
    stack = _root_ops(roots)
    seen: set[int] = set()
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        _check_alive([op])
        stack.extend(t._ctx for t in op.inputs or () if t._ctx is not None)
    return graph_nodes(*roots)


def _note_output(out_meta: dict[int, list[tuple[tuple[int, ...], str]]], t: Tensor) -> None:
    """Remember the shape and dtype of each output of ``t``'s op (ops keep no output)."""
    op = t._ctx
    assert op is not None
    if id(op) in out_meta:
        return
    if op.n_outputs > 1:
        out_meta[id(op)] = [(tuple(s), str(np.dtype(d))) for s, d in op.output_meta]
    else:
        out_meta[id(op)] = [(t.shape, str(t.dtype))]


def _edge_grads(
    roots: Sequence[Tensor], ops: list[Function], grads: bool | None
) -> dict[int, Any] | None:
    """d(roots)/d(t) for every tensor ``t`` on an edge, keyed by ``id(t)`` (or None)."""
    if grads is None:
        grads = any(t.grad is not None for op in ops for t in op.inputs or () if t._ctx is None)
    if not grads or not ops:
        return None
    tensors: dict[int, Tensor] = {}
    for op in ops:
        for t in op.inputs or ():
            tensors.setdefault(id(t), t)
    wanted = list(tensors.values())
    outputs = [r for r in roots if r._ctx is not None]
    xp = backend.get_array_module(outputs[0].data)
    seeds = [xp.ones(r.shape, dtype=r.dtype) for r in outputs]
    found = grad(outputs, wanted, grad_outputs=seeds, retain_graph=True)
    return {id(t): g for t, g in zip(wanted, found) if g is not None}


def _with_scopes(
    graph: Graph,
    ops: list[Function],
    ids: dict[int, int],
    module: Module | None,
    steps: Sequence[Any] | str | None,
) -> Graph:
    """Fill each node's ``scope`` from the module and step hints (see the module docstring)."""
    module_scope = _module_scopes(graph, module)
    if isinstance(steps, str):
        if steps != "auto":
            raise GraphError(f"steps: a list of tensors or 'auto', got {steps!r}")
        steps = _auto_steps(graph, ops)
    step_of = _step_scopes(graph, ids, steps) if steps else {}
    scoped = [
        replace(node, module=module_scope.get(node.id, ""), step=step_of.get(node.id))
        for node in graph.nodes
    ]
    return Graph(scoped, graph.edges, graph.roots, graph.with_grads)


def _module_scopes(graph: Graph, module: Module | None) -> dict[int, str]:
    """Node id -> the module path that owns it ("rnn/cell"), as described in the docstring."""
    scopes: dict[int, str] = {}
    if module is None:
        return scopes
    for node in graph.leaves("parameter"):
        if node.name:
            scopes[node.id] = "/".join(node.name.split(".")[:-1])
    for node in graph.op_nodes():
        edges = graph.inputs(node.id)
        owners = [scopes.get(e.src, "") for e in edges if graph.nodes[e.src].kind == "parameter"]
        if not owners:
            owners = [scopes.get(e.src, "") for e in edges if not graph.nodes[e.src].is_leaf]
        if owners:
            scopes[node.id] = _common_path(owners)
    return scopes


def _common_path(paths: list[str]) -> str:
    parts = [p.split("/") if p else [] for p in paths]
    common: list[str] = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/".join(common)


def _flatten(items: Iterable[Any]) -> list[Tensor]:
    out: list[Tensor] = []
    for item in items:
        if isinstance(item, Tensor):
            out.append(item)
        elif isinstance(item, (tuple, list)):
            out.extend(_flatten(item))
        else:
            raise GraphError(
                f"steps: expected tensors (or tuples of them), got {type(item).__name__}"
            )
    return out


def _auto_steps(graph: Graph, ops: list[Function]) -> list[Tensor]:
    """The inputs of the ``stack`` nearest the roots that stacks op results: an unrolled loop."""
    by_node = {node.id: op for node, op in zip(graph.op_nodes(), ops)}
    frontier, seen = list(graph.roots), set(graph.roots)
    while frontier:
        following = []
        for nid in frontier:
            op = by_node.get(nid)
            if op is None:
                continue
            inputs = op.inputs or ()
            if op.name() == "stack" and sum(t._ctx is not None for t in inputs) >= 2:
                return list(inputs)
            for e in graph.inputs(nid):
                if e.src not in seen:
                    seen.add(e.src)
                    following.append(e.src)
        frontier = following
    return []


def _step_scopes(graph: Graph, ids: dict[int, int], steps: Sequence[Any]) -> dict[int, int]:
    """Op node id -> time step, from the tensors each step produced."""
    step_of: dict[int, int] = {}
    for k, produced in enumerate(steps):
        tensors = _flatten([produced])
        stack = [ids[id(t._ctx)] for t in tensors if t._ctx is not None and id(t._ctx) in ids]
        while stack:
            nid = stack.pop()
            if nid in step_of:
                continue
            step_of[nid] = k
            stack.extend(e.src for e in graph.inputs(nid) if not graph.nodes[e.src].is_leaf)
    # Ops after the loop that use a single step (that step's logits) join it.
    for node in graph.op_nodes():
        if node.id in step_of:
            continue
        found = {
            step_of.get(e.src) for e in graph.inputs(node.id) if not graph.nodes[e.src].is_leaf
        }
        if len(found) == 1 and None not in found:
            step_of[node.id] = found.pop()  # type: ignore[assignment]
    return step_of
