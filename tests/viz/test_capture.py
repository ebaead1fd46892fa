"""capture(): the snapshot every view draws, checked against the live graph itself."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import graph_nodes
from minigrad.errors import GraphError
from minigrad.viz import capture, node_label


def test_ops_are_graph_nodes_in_order_with_their_inputs(rnn3) -> None:
    graph = capture(rnn3.loss)
    ops = graph_nodes(rnn3.loss)
    assert [n.op for n in graph.op_nodes()] == [op.name() for op in ops]
    by_id = {node.id: op for node, op in zip(graph.op_nodes(), ops)}
    for node in graph.op_nodes():
        op = by_id[node.id]
        edges = graph.inputs(node.id)
        assert len(edges) == len(op.inputs)
        for edge, t in zip(edges, op.inputs):
            assert edge.shape == t.shape
            src = graph.nodes[edge.src]
            if t._ctx is None:
                assert src.is_leaf and src.shape == t.shape
            else:
                assert by_id[src.id] is t._ctx and edge.output == t._index


def test_output_shapes_and_dtypes_come_from_the_tensors(lstm) -> None:
    graph = capture(lstm.loss)
    root = graph.nodes[graph.roots[0]]
    assert root.op == "add" and root.shape == () and root.dtype == "float32"
    split = [n for n in graph.op_nodes() if n.op == "split"]
    assert len(split) == 1 and split[0].shapes == ((2, 4),) * 4  # the LSTM's four gates


def test_leaves_are_parameters_inputs_or_constants() -> None:
    w = mg.nn.Parameter(np.ones((2, 2), np.float32))
    x = mg.tensor(np.ones((3, 2), np.float32))
    y = (x @ w * 2.0).sum()
    graph = capture(y, names={"x": x})
    kinds = {n.kind: n for n in graph.leaves()}
    assert set(kinds) == {"parameter", "input", "constant"}
    assert kinds["input"].name == "x" and not kinds["input"].requires_grad
    assert kinds["constant"].value == 2.0
    assert node_label(kinds["constant"]) == "constant 2 float32"
    assert node_label(kinds["input"]) == "x input (3, 2) float32"
    assert kinds["parameter"].requires_grad


def test_module_names_parameters_and_scopes_ops(rnn3) -> None:
    graph = capture(rnn3.loss, module=rnn3.module)
    names = {n.name for n in graph.leaves("parameter")}
    assert names == {"cell.U", "cell.W", "cell.b", "head.W", "head.b"}
    modules = {n.op: set() for n in graph.op_nodes()}
    for n in graph.op_nodes():
        modules[n.op].add(n.module)
    assert modules["tanh"] == {"cell"}
    assert "head" in modules["matmul"] and "cell" in modules["matmul"]


def test_steps_scope_each_op_to_its_time_step(rnn3) -> None:
    graph = capture(rnn3.loss, module=rnn3.module, steps=rnn3.steps)
    tanh = [n for n in graph.op_nodes() if n.op == "tanh"]
    assert [n.step for n in tanh] == [0, 1, 2]
    assert [n.scope for n in tanh] == ["cell/t0", "cell/t1", "cell/t2"]
    # The head of each step joins that step; the stack and the loss belong to none.
    head = [n for n in graph.op_nodes() if n.module == "head" and n.op in ("matmul", "add")]
    assert sorted(n.step for n in head) == [0, 0, 1, 1, 2, 2]
    assert {n.op for n in graph.op_nodes() if n.step is None} == {"stack", "crossentropy"}


def test_auto_steps_use_the_stack_of_step_outputs(rnn3) -> None:
    given = capture(rnn3.loss, steps=rnn3.steps)
    auto = capture(rnn3.loss, steps="auto")
    # The stack holds the logits, so the auto steps end one op later: same op sets.
    assert [n.step for n in given.op_nodes()] == [n.step for n in auto.op_nodes()]
    with pytest.raises(GraphError, match="'auto'"):
        capture(rnn3.loss, steps="every")


def test_a_freed_graph_is_refused_with_what_to_do(rnn3) -> None:
    rnn3.loss.backward()
    with pytest.raises(GraphError, match="retain_graph=True"):
        capture(rnn3.loss)


def test_after_backward_edges_carry_the_gradients_that_flowed(rnn3) -> None:
    rnn3.loss.backward(retain_graph=True)
    graph = capture(rnn3.loss, module=rnn3.module)
    assert graph.with_grads
    for edge in graph.edges:
        src = graph.nodes[edge.src]
        if src.is_leaf and not src.requires_grad:
            assert edge.grad_shape is None  # backward stops at a leaf that needs no gradient
        else:
            assert edge.grad_shape == edge.shape
    # A bias used once per step: its three edges' gradients add up to its .grad.
    bias = next(n for n in graph.leaves("parameter") if n.name == "cell.b")
    b_edges = [e for e in graph.edges if e.src == bias.id]
    assert len(b_edges) == 3
    norm = np.linalg.norm(rnn3.module.cell.b.grad)
    assert all(e.grad_norm == pytest.approx(norm, rel=1e-5) for e in b_edges)
    # capture computed them without touching .grad.
    assert np.linalg.norm(rnn3.module.cell.b.grad) == norm


def test_edge_gradients_match_mg_grad_for_an_intermediate_state(make_rnn) -> None:
    built = make_rnn(3)
    s0 = built.steps[0]
    (expected,) = mg.grad(built.loss, [s0], retain_graph=True)
    graph = capture(built.loss, grads=True)
    ops = graph_nodes(built.loss)
    s0_node = next(n for n, op in zip(graph.op_nodes(), ops) if op is s0._ctx)
    norms = [e.grad_norm for e in graph.edges if e.src == s0_node.id]
    assert len(norms) == 2  # step 0's state feeds step 1's cell and step 0's head
    assert norms == [pytest.approx(float(np.linalg.norm(expected)), rel=1e-5)] * 2


def test_no_gradients_unless_asked_or_after_backward(lstm, make_lstm) -> None:
    assert not capture(lstm.loss).with_grads
    assert capture(lstm.loss, grads=True).with_grads
    assert capture(make_lstm().loss, grads=False).edges[0].grad_shape is None


def test_bad_arguments_are_named() -> None:
    with pytest.raises(GraphError, match="capture"):
        capture()
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(GraphError, match="names\\['x'\\]"):
        capture(x * 2, names={"x": [1.0]})


def test_a_tensor_without_history_is_one_leaf() -> None:
    graph = capture(mg.tensor([[1.0, 2.0]]))
    assert len(graph.nodes) == 1 and graph.nodes[0].kind == "input" and not graph.edges
