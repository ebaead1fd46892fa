"""DOT export, parsed back by pydot and checked node by node against graph_nodes()."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pydot
import pytest

from minigrad.autograd import graph_nodes
from minigrad.errors import MinigradError
from minigrad.viz import GraphvizUnavailableError, capture, node_label, render_dot, to_dot
from minigrad.viz.dot import dot_id

# pydot's parser calls pyparsing names that pyparsing 3.3 deprecates (not ours to fix).
pytestmark = pytest.mark.filterwarnings("ignore:'\\w+' deprecated:DeprecationWarning")


def _parse(text: str) -> pydot.Dot:
    (graph,) = pydot.graph_from_dot_data(text)
    return graph


def _nodes(dot: pydot.Dot) -> dict[str, pydot.Node]:
    found = {n.get_name(): n for n in dot.get_nodes()}
    for sub in dot.get_subgraphs():
        found.update({n.get_name(): n for n in sub.get_nodes()})
    found.pop("node", None)  # the default-attribute statement
    found.pop("edge", None)
    return found


def _label(node: pydot.Node) -> str:
    return node.get("label").strip('"')


def test_every_op_of_graph_nodes_is_a_dot_node_with_its_label_and_inputs(rnn3) -> None:
    text = to_dot(rnn3.loss, module=rnn3.module, steps=rnn3.steps)
    dot = _parse(text)
    nodes = _nodes(dot)
    ops = graph_nodes(rnn3.loss)
    graph = capture(rnn3.loss, module=rnn3.module, steps=rnn3.steps)
    assert len([n for n in nodes if n.startswith("op")]) == len(ops)
    edges = [(e.get_source(), e.get_destination()) for e in dot.get_edges()]
    for k, (op, node) in enumerate(zip(ops, graph.op_nodes())):
        assert dot_id(node, graph) == f"op{k}"
        label = _label(nodes[f"op{k}"])
        assert label.split(" ")[0] == op.name()
        assert label == node_label(node)
        into = [src for src, dst in edges if dst == f"op{k}"]
        assert len(into) == len(op.inputs)  # one edge per input, in order
    for leaf in graph.leaves():
        assert _label(nodes[dot_id(leaf, graph)]) == node_label(leaf)


def test_scopes_become_clusters(rnn3) -> None:
    dot = _parse(to_dot(rnn3.loss, module=rnn3.module, steps=rnn3.steps))
    labels = sorted(sub.get("label").strip('"') for sub in dot.get_subgraphs())
    assert labels == [
        "cell",
        "cell/t0",
        "cell/t1",
        "cell/t2",
        "head",
        "head/t0",
        "head/t1",
        "head/t2",
    ]


def test_edges_carry_gradient_shapes_after_backward(rnn3) -> None:
    assert "∇" not in to_dot(rnn3.loss)
    rnn3.loss.backward(retain_graph=True)
    dot = _parse(to_dot(rnn3.loss, title="after backward"))
    labels = [e.get("label") for e in dot.get_edges()]
    assert all(label is not None for label in labels)
    assert '"∇(2, 4)"' in labels and '"no grad"' in labels
    assert dot.get("label") == '"after backward"'


def test_quotes_in_names_are_escaped(make_lstm) -> None:
    built = make_lstm()
    text = to_dot(built.loss, names={'x "raw"': built.extra["x"]})
    nodes = _nodes(_parse(text))
    assert any(_label(n).startswith('x \\"raw\\" input') for n in nodes.values())


def test_render_needs_graphviz_and_says_how_to_get_it(rnn3, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizUnavailableError, match="apt-get install graphviz"):
        render_dot(to_dot(rnn3.loss), tmp_path / "g.png")
    with pytest.raises(MinigradError, match=r"\.png, \.svg or \.pdf"):
        render_dot("digraph {}", tmp_path / "g.gif")


def test_render_runs_dot_with_the_format_of_the_file(rnn3, tmp_path, monkeypatch) -> None:
    # A stand-in for Graphviz's `dot` that records its arguments and input.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(
        '#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\ncat > "$(dirname "$0")/input"\n'
        'for a in "$@"; do last="$a"; done\necho drawn > "$last"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    text = to_dot(rnn3.loss)
    out = render_dot(text, tmp_path / "pics" / "g.svg")
    assert out.read_text().strip() == "drawn"
    assert (bin_dir / "args").read_text().split()[0] == "-Tsvg"
    assert (bin_dir / "input").read_text() == text
    fake.write_text("#!/bin/sh\necho 'syntax error' >&2\nexit 1\n")
    with pytest.raises(MinigradError, match="syntax error"):
        render_dot(text, Path(tmp_path / "g.png"))
