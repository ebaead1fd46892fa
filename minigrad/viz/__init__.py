"""Seeing inside: the graph that ``backward()`` walks, drawn three ways.

* ``capture(loss)``: the graph as plain data (``Graph``: nodes and edges);
* ``graph_tree`` / ``tree_text``: a terminal tree (rich), readable at 80 columns;
* ``to_dot`` / ``render_dot``: Graphviz's DOT text, and a PNG or SVG of it when
  Graphviz's ``dot`` program is installed;
* ``to_graphdef``: TensorBoard's ``GraphDef`` (needs the ``tensorboard`` extra).

All of them take the same hints (``module=``, ``names=``, ``steps=``,
``grads=``) and label each node the same way (``node_label``). This package
sits above the core: the core never imports it. See docs/visualizing.md.
"""

from minigrad.viz.dot import GraphvizUnavailableError, render_dot, to_dot
from minigrad.viz.graph import Edge, Graph, Node, capture, node_label, shape_text
from minigrad.viz.graphdef import TensorBoardUnavailableError, to_graphdef
from minigrad.viz.tree import graph_tree, tree_text

__all__ = [
    "Edge",
    "Graph",
    "GraphvizUnavailableError",
    "Node",
    "capture",
    "graph_tree",
    "node_label",
    "render_dot",
    "shape_text",
    "TensorBoardUnavailableError",
    "to_graphdef",
    "to_dot",
    "tree_text",
]
