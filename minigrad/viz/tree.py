"""The graph as a terminal tree: the loss at the top, each op's inputs below it.

Reading from the top down is the order ``backward()`` walks: the loss first,
then every op that fed it, down to the leaves. Three rules keep an unrolled
RNN readable in 80 columns:

* **shared subgraphs once**: an op used twice (the state of step 1 feeds step 2
  *and* step 1's logits) is drawn in full the first time and afterwards as a
  one-line reference ``↑ #5 tanh``;
* **collapse**: a run of more than ``collapse`` sibling subtrees with the same
  structure (the logits of time steps 1, 2, ..., T-1) shows its first and last
  member and folds the rest into one line;
* **max_depth**: below that depth a subtree becomes ``⋯ N more ops``.
"""

from __future__ import annotations

import io
from collections.abc import Hashable
from typing import Any

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from minigrad.tensor import Tensor
from minigrad.viz.graph import Edge, Graph, Node, capture, node_label, shape_text

#: How deep two sibling subtrees are compared when deciding whether they repeat.
SIGNATURE_DEPTH = 6
KIND_STYLE = {"parameter": "cyan", "input": "yellow", "constant": "dim", "op": "bold"}


def _as_graph(source: Tensor | Graph, capture_options: dict[str, Any]) -> Graph:
    if isinstance(source, Graph):
        return source
    return capture(source, **capture_options)


def _output_index(node: Node, edge: Edge | None) -> str:
    """``[k]`` when the edge carries output k of an op with several outputs (split's gates)."""
    return f"[{edge.output}]" if edge is not None and len(node.shapes) > 1 else ""


class _TreeBuilder:
    def __init__(self, graph: Graph, max_depth: int | None, collapse: int | None) -> None:
        self.graph = graph
        self.max_depth = max_depth
        self.collapse = collapse
        self.number: dict[int, int] = {}  # node id -> the #k it was drawn with
        self.folded: set[int] = set()
        self._signatures: dict[tuple[int, int], Hashable] = {}

    # ------------------------------------------------------------- structure
    def signature(self, node_id: int, depth: int = SIGNATURE_DEPTH) -> Hashable:
        """The node's op, shapes and inputs down to ``depth`` levels (its structure)."""
        key = (node_id, depth)
        if key not in self._signatures:
            node = self.graph.nodes[node_id]
            own = (node.kind, node.op, node.name, node.shapes, node.dtype)
            if node.is_leaf or depth == 0:
                self._signatures[key] = own
            else:
                inputs = tuple(self.signature(e.src, depth - 1) for e in self.graph.inputs(node_id))
                self._signatures[key] = (own, inputs)
        return self._signatures[key]

    def ops_below(self, node_id: int) -> set[int]:
        """Op nodes under ``node_id`` that have not been drawn yet."""
        seen: set[int] = set()
        stack = [e.src for e in self.graph.inputs(node_id)]
        while stack:
            nid = stack.pop()
            if nid in seen or nid in self.number or self.graph.nodes[nid].is_leaf:
                continue
            seen.add(nid)
            stack.extend(e.src for e in self.graph.inputs(nid))
        return seen

    # --------------------------------------------------------------- drawing
    def label(self, node: Node, edge: Edge | None) -> Text:
        text = Text()
        if node.kind == "op":
            text.append(node.op + _output_index(node, edge), style="bold")
            text.append(f" {shape_text(node.shapes)} {node.dtype}")
            text.append(f" #{self.number[node.id]}", style="dim")
        else:
            text.append(node_label(node), style=KIND_STYLE[node.kind])
            if not node.requires_grad and node.kind == "input":
                text.append(" no grad", style="red")
        if node.scope:
            text.append(f" [{node.scope}]", style="blue")
        if edge is not None and self.graph.with_grads:
            grad = "∇ none" if edge.grad_shape is None else f"∇{shape_text([edge.grad_shape])}"
            text.append(f" {grad}", style="magenta")
        return text

    def reference(self, node: Node, edge: Edge | None) -> Text:
        if node.id in self.number:
            text = Text(
                f"↑ #{self.number[node.id]} {node.op}{_output_index(node, edge)}", style="dim"
            )
        else:
            text = Text(f"↑ {node.op} {shape_text(node.shapes)} (in the folded part)", style="dim")
        if edge is not None and self.graph.with_grads and edge.grad_shape is not None:
            text.append(f" ∇{shape_text([edge.grad_shape])}", style="magenta")
        return text

    def add(self, parent: Tree | None, node_id: int, edge: Edge | None, depth: int) -> Tree:
        node = self.graph.nodes[node_id]
        if not node.is_leaf and (node_id in self.number or node_id in self.folded):
            assert parent is not None
            return parent.add(self.reference(node, edge))
        if not node.is_leaf:
            self.number[node_id] = len(self.number) + 1
        label = self.label(node, edge)
        branch = Tree(label, guide_style="dim") if parent is None else parent.add(label)
        if node.is_leaf:
            return branch
        if self.max_depth is not None and depth >= self.max_depth:
            hidden = self.ops_below(node_id)
            if hidden:
                branch.add(Text(f"⋯ {len(hidden)} more ops", style="dim"))
            return branch
        self.add_children(branch, node_id, depth)
        return branch

    def add_children(self, branch: Tree, node_id: int, depth: int) -> None:
        edges = self.graph.inputs(node_id)
        for start, stop in self.runs(edges):
            if self.collapse and stop - start > max(self.collapse, 2):
                self.add(branch, edges[start].src, edges[start], depth + 1)
                hidden: set[int] = set()
                for e in edges[start + 1 : stop - 1]:
                    hidden |= {e.src} | self.ops_below(e.src)
                hidden -= set(self.number)
                self.folded |= hidden
                branch.add(
                    Text(
                        f"⋯ inputs {start + 2}-{stop - 1} of {len(edges)} look the same: "
                        f"folded ({len(hidden)} ops)",
                        style="dim italic",
                    )
                )
                self.add(branch, edges[stop - 1].src, edges[stop - 1], depth + 1)
            else:
                for e in edges[start:stop]:
                    self.add(branch, e.src, e, depth + 1)

    def runs(self, edges: list[Edge]) -> list[tuple[int, int]]:
        """Split ``edges`` into runs of consecutive inputs whose subtrees look alike."""
        runs: list[tuple[int, int]] = []
        start = 0
        for i in range(1, len(edges) + 1):
            if i == len(edges) or self.signature(edges[i].src) != self.signature(edges[start].src):
                runs.append((start, i))
                start = i
        return runs


def graph_tree(
    source: Tensor | Graph,
    *,
    max_depth: int | None = None,
    collapse: int | None = 3,
    **capture_options: Any,
) -> Tree:
    """A rich ``Tree`` of the graph behind ``source`` (a tensor, or a ``capture``'d ``Graph``).

    Each op shows ``name (shape) dtype #k``; leaves say whether they are a
    parameter, an input or a constant, and ``no grad`` where ``backward()``
    stops. ``collapse`` folds runs of more than that many look-alike inputs
    (``None``: never); ``max_depth`` cuts deeper subtrees. Other keyword
    arguments (``module``, ``names``, ``steps``, ``grads``) go to ``capture``.
    """
    graph = _as_graph(source, capture_options)
    builder = _TreeBuilder(graph, max_depth, collapse)
    if len(graph.roots) == 1:
        return builder.add(None, graph.roots[0], None, 0)
    top = Tree(Text(f"{len(graph.roots)} outputs", style="bold"), guide_style="dim")
    for root in graph.roots:
        builder.add(top, root, None, 1)
    return top


def tree_text(
    source: Tensor | Graph,
    *,
    width: int = 80,
    max_depth: int | None = None,
    collapse: int | None = 3,
    **capture_options: Any,
) -> str:
    """``graph_tree`` as plain text ``width`` columns wide (for logs, tests and docs)."""
    tree = graph_tree(source, max_depth=max_depth, collapse=collapse, **capture_options)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, legacy_windows=False)
    console.print(tree, crop=False, soft_wrap=False)
    return buffer.getvalue()
