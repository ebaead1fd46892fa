"""The graph as Graphviz DOT text, and a picture of it when Graphviz is installed.

``to_dot(loss)`` returns DOT source: one node per op (``op0``, ``op1``, ... in
``graph_nodes()`` order) and per leaf (``leaf0``, ...), labelled like every
other view (``node_label``); one edge per input, from the input to the op that
uses it, so data flows down the page and ``backward()`` walks it upwards.
Parameters are blue boxes, inputs yellow boxes, constants plain text; an input
that needs no gradient has a dashed border. After ``backward()`` (with the
graph retained) each edge carries the shape of the gradient that flows along
it, and edges no gradient flows along are dashed. Scopes (``module=``,
``steps=``) become boxes (Graphviz clusters).

``render_dot(dot, "graph.png")`` runs Graphviz's ``dot`` program; it is not a
Python package and not needed for anything else (``apt-get install graphviz``,
``brew install graphviz``, or graphviz.org for Windows).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from minigrad.errors import MinigradError
from minigrad.tensor import Tensor
from minigrad.viz.graph import Graph, Node, capture, node_label, shape_text

FORMATS = ("png", "svg", "pdf")
_FILL = {"parameter": "#cfe2ff", "input": "#fff3bf", "constant": "white", "op": "#f1f3f5"}


class GraphvizUnavailableError(MinigradError, RuntimeError):
    """Graphviz's ``dot`` program is not installed (needed only to render pictures)."""


def dot_id(node: Node, graph: Graph) -> str:
    """The DOT name of ``node``: ``op<k>`` for the k-th op of ``graph_nodes()``; ``leaf<k>``."""
    return _names(graph)[node.id]


def _names(graph: Graph) -> dict[int, str]:
    names: dict[int, str] = {}
    ops = leaves = 0
    for node in graph.nodes:
        if node.is_leaf:
            names[node.id] = f"leaf{leaves}"
            leaves += 1
        else:
            names[node.id] = f"op{ops}"
            ops += 1
    return names


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attributes(**values: Any) -> str:
    return "[" + ", ".join(f"{k}={_quote(str(v))}" for k, v in values.items()) + "]"


def _node_line(node: Node, name: str) -> str:
    attrs: dict[str, Any] = {"label": node_label(node), "fillcolor": _FILL[node.kind]}
    if node.kind == "op":
        attrs.update(shape="ellipse", style="filled")
    elif node.kind == "constant":
        attrs.update(shape="plaintext", style="filled")
    else:
        attrs.update(shape="box", style="filled" if node.requires_grad else "filled,dashed")
    return f"  {name} {_attributes(**attrs)};"


def to_dot(source: Tensor | Graph, *, title: str = "", **capture_options: Any) -> str:
    """DOT source for the graph behind ``source`` (a tensor, or a ``capture``'d ``Graph``).

    Keyword arguments (``module``, ``names``, ``steps``, ``grads``) go to
    ``capture``; ``title`` is drawn above the graph.
    """
    graph = source if isinstance(source, Graph) else capture(source, **capture_options)
    names = _names(graph)
    lines = ["digraph minigrad {", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=11];']
    lines.append('  edge [fontname="Helvetica", fontsize=9];')
    if title:
        lines.append(f"  labelloc=t; label={_quote(title)};")
    by_scope: dict[str, list[Node]] = {}
    for node in graph.nodes:
        by_scope.setdefault(node.scope, []).append(node)
    for node in by_scope.pop("", []):
        lines.append(_node_line(node, names[node.id]))
    for k, (scope, nodes) in enumerate(sorted(by_scope.items())):
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f'    label={_quote(scope)}; style="rounded,dashed"; color="gray50";')
        lines.extend("  " + _node_line(node, names[node.id]) for node in nodes)
        lines.append("  }")
    for edge in graph.edges:
        attrs: dict[str, Any] = {}
        if graph.with_grads:
            if edge.grad_shape is None:
                attrs.update(label="no grad", style="dashed", color="gray60")
            else:
                attrs.update(
                    label=f"∇{shape_text([edge.grad_shape])}",
                    tooltip=f"gradient norm {edge.grad_norm:.4g}",
                )
        tail = f"  {names[edge.src]} -> {names[edge.dst]}"
        lines.append(f"{tail} {_attributes(**attrs)};" if attrs else f"{tail};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dot(dot: str, path: str | Path, *, timeout: float = 60.0) -> Path:
    """Draw DOT source to ``path`` (``.png``, ``.svg`` or ``.pdf``) with Graphviz's ``dot``.

    Raises ``GraphvizUnavailableError`` when ``dot`` is not installed, with how
    to install it; the DOT text itself never needs Graphviz.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise MinigradError(
            f"render_dot: cannot write {path.name!r}; name a .png, .svg or .pdf file"
        )
    program = shutil.which("dot")
    if program is None:
        raise GraphvizUnavailableError(
            "Graphviz's `dot` program is not installed, so the graph cannot be drawn as "
            f"{fmt.upper()}: install Graphviz (apt-get install graphviz, brew install graphviz) "
            "or paste the DOT text into any Graphviz viewer"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [program, f"-T{fmt}", "-o", str(path)],
        input=dot.encode("utf-8"),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise MinigradError(f"Graphviz could not draw {path}: {done.stderr.decode().strip()}")
    return path
