"""The graph as TensorBoard's ``GraphDef``: what its Graphs tab draws.

Each op becomes a node whose ``op`` is the minigrad op's name and whose
``input`` list names the nodes it reads (``name:k`` for output k of an op with
several outputs); each leaf becomes a ``Parameter``, ``Input`` or ``Const``
node. A node's name starts with its scope (``cell/t2/matmul_7``), so
TensorBoard draws one box per module and per time step and groups the boxes
``t0``, ``t1``, ... of an unrolled loop. The ``_output_shapes`` attribute puts
the shapes on the edges, as TensorFlow's graphs have them.

The protocol buffers come from ``tensorboardX`` (the ``tensorboard`` extra),
imported only when a ``GraphDef`` is built.
"""

from __future__ import annotations

from typing import Any

from minigrad.errors import MinigradError
from minigrad.tensor import Tensor
from minigrad.viz.graph import Graph, Node, capture, node_label

#: The GraphDef op type of each kind of leaf.
LEAF_OPS = {"parameter": "Parameter", "input": "Input", "constant": "Const"}


class TensorBoardUnavailableError(MinigradError, ImportError):
    """tensorboardX is not installed (``pip install 'minigrad[tensorboard]'``)."""


def require_tensorboardx() -> Any:
    """Import and return the ``tensorboardX`` module, or say how to install it."""
    try:
        import tensorboardX
    except ImportError as exc:
        raise TensorBoardUnavailableError(
            "TensorBoard logging needs the tensorboardX package: install minigrad's "
            "tensorboard extra, e.g. .venv/bin/pip install -e '.[tensorboard]' "
            f"(import failed: {exc})"
        ) from exc
    return tensorboardX


def node_names(graph: Graph) -> dict[int, str]:
    """A unique TensorBoard name per node: ``scope/op_k`` for ops, ``scope/name`` for leaves."""
    names: dict[int, str] = {}
    used: set[str] = set()
    for node in graph.nodes:
        if node.is_leaf:
            base = node.name.split(".")[-1] if node.name else node.kind
        else:
            base = node.op
        prefix = f"{node.scope}/" if node.scope else ""
        name = f"{prefix}{base}"
        if name in used or not node.is_leaf or not node.name:
            name = f"{prefix}{base}_{node.id}"
        used.add(name)
        names[node.id] = name
    return names


def _shape_attr(pb: Any, shapes: tuple[tuple[int, ...], ...]) -> Any:
    dims = [
        pb.tensor_shape_pb2.TensorShapeProto(
            dim=[pb.tensor_shape_pb2.TensorShapeProto.Dim(size=n) for n in shape]
        )
        for shape in shapes
    ]
    return pb.attr_value_pb2.AttrValue(list=pb.attr_value_pb2.AttrValue.ListValue(shape=dims))


def _text_attr(pb: Any, text: str) -> Any:
    return pb.attr_value_pb2.AttrValue(s=text.encode("utf-8"))


def to_graphdef(source: Tensor | Graph, **capture_options: Any) -> Any:
    """A ``GraphDef`` protocol buffer of the graph behind ``source`` (a tensor or a ``Graph``).

    Keyword arguments (``module``, ``names``, ``steps``, ``grads``) go to
    ``capture``. ``minigrad.tensorboard.SummaryWriter.add_graph`` writes it.
    """
    require_tensorboardx()
    from types import SimpleNamespace

    from tensorboardX.proto import attr_value_pb2, graph_pb2, tensor_shape_pb2, versions_pb2

    pb = SimpleNamespace(attr_value_pb2=attr_value_pb2, tensor_shape_pb2=tensor_shape_pb2)
    graph = source if isinstance(source, Graph) else capture(source, **capture_options)
    names = node_names(graph)
    graph_def = graph_pb2.GraphDef(versions=versions_pb2.VersionDef(producer=22))
    for node in graph.nodes:
        graph_def.node.append(_node_def(graph, node, names, pb))
    return graph_def


def _node_def(graph: Graph, node: Node, names: dict[int, str], pb: Any) -> Any:
    from tensorboardX.proto import node_def_pb2

    node_def = node_def_pb2.NodeDef(name=names[node.id], op=LEAF_OPS.get(node.kind, node.op))
    for edge in graph.inputs(node.id):
        source = names[edge.src]
        multi = len(graph.nodes[edge.src].shapes) > 1
        node_def.input.append(f"{source}:{edge.output}" if multi else source)
    node_def.attr["_output_shapes"].CopyFrom(_shape_attr(pb, node.shapes))
    node_def.attr["dtype"].CopyFrom(_text_attr(pb, node.dtype))
    node_def.attr["label"].CopyFrom(_text_attr(pb, node_label(node)))
    if node.is_leaf:
        node_def.attr["requires_grad"].CopyFrom(pb.attr_value_pb2.AttrValue(b=node.requires_grad))
    return node_def
