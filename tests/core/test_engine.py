"""The backward engine: order, accumulation, graph freeing, grad modes and unbroadcasting."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import topological_order, unbroadcast


def _leaf(data, dtype=np.float64):
    return mg.tensor(data, dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------- deep graphs
@pytest.mark.slow
def test_chain_of_100k_ops_backpropagates_without_recursion_error() -> None:
    x = _leaf([0.5])
    c = 1.000001
    y = x
    for _ in range(100_000):  # 100x Python's default recursion limit
        y = y * c
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [c**100_000], rtol=1e-9)


def test_deep_retained_graph_can_be_freed() -> None:
    x = _leaf([1.0])
    y = x
    for _ in range(50_000):
        y = y + 1.0
    y.backward(retain_graph=True)
    probe = weakref.ref(y._ctx)
    del y
    gc.collect()
    assert probe() is None  # deallocating a long chain must not crash or leak
    assert x.grad.tolist() == [1.0]


# ------------------------------------------------------------ re-used nodes
def test_reused_node_gets_the_sum_of_both_uses() -> None:
    a = _leaf([1.5, -2.0, 3.0])
    b = a + a
    c = b * b
    c.backward(np.ones(3))
    # c = (2a)^2 = 4a^2, dc/da = 8a: exact in binary floating point.
    assert a.grad.tolist() == [12.0, -16.0, 24.0]


def test_diamond_graph() -> None:
    x = _leaf([0.3, -1.2])
    left = x * 2.0
    right = x.tanh()
    z = (left * right + left).sum()
    z.backward()
    t = np.tanh(x.numpy())
    expected = 2 * t + 2 * x.numpy() * (1 - t**2) + 2
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)


def test_intermediate_feeding_many_consumers_is_complete_before_it_is_passed_on() -> None:
    # h is consumed by three ops at different depths; exp(h) needs the *whole* dL/dh.
    x = _leaf([0.7])
    h = x.exp()
    deep = h
    for _ in range(10):
        deep = deep * 1.1
    loss = (h * 3.0 + deep + h * h).sum()
    loss.backward()
    e = np.exp(0.7)
    np.testing.assert_allclose(x.grad, [e * (3.0 + 1.1**10 + 2 * e)], rtol=1e-14)


def test_shared_weight_rnn_matches_hand_written_bptt() -> None:
    rng = np.random.default_rng(0)
    w_np, x_np = rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((2, 5, 3))
    w = _leaf(w_np)
    h = mg.zeros((2, 3), dtype=np.float64)
    for t in range(5):
        h = (h @ w + mg.tensor(x_np[:, t])).tanh()
    h.sum().backward()

    hs = [np.zeros((2, 3))]
    for t in range(5):
        hs.append(np.tanh(hs[-1] @ w_np + x_np[:, t]))
    dh, dw = np.ones((2, 3)), np.zeros((3, 3))
    for t in range(5, 0, -1):
        da = dh * (1 - hs[t] ** 2)
        dw += hs[t - 1].T @ da  # the same weight collects one term per step
        dh = da @ w_np.T
    np.testing.assert_allclose(w.grad, dw, rtol=1e-12)


def test_topological_order_lists_each_node_once_after_its_inputs() -> None:
    x = _leaf([1.0])
    a = x * 2.0
    b = a + x
    c = a * b
    d = c + a
    order = topological_order([d._ctx])
    position = {id(node): k for k, node in enumerate(order)}
    assert len(order) == len(position) == 4
    for node in order:
        for t in node.inputs:
            if t._ctx is not None:
                assert position[id(t._ctx)] < position[id(node)]


# --------------------------------------------------- accumulation and freeing
def test_two_backward_calls_accumulate_with_retain_graph() -> None:
    x = _leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_zero_grad_starts_over() -> None:
    x = _leaf([3.0])
    (x * x).sum().backward()
    x.zero_grad()
    (x * 5.0).sum().backward()
    assert x.grad.tolist() == [5.0]


def test_second_backward_through_a_freed_graph_raises_helpfully() -> None:
    x = _leaf([1.0, 2.0])
    y = (x.tanh() * x).sum()
    y.backward()
    with pytest.raises(mg.GraphError) as info:
        y.backward()
    message = str(info.value)
    assert "retain_graph=True" in message and "second time" in message


def test_reusing_an_intermediate_after_its_graph_was_freed_raises() -> None:
    x = _leaf([1.0])
    h = x * 2.0
    (h * 3.0).sum().backward()
    with pytest.raises(mg.GraphError, match="retain_graph"):
        (h * 4.0).sum().backward()


def test_leaves_never_share_a_gradient_array() -> None:
    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad += 100.0
    assert b.grad.tolist() == [1.0, 1.0]


# ------------------------------------------------------------- misuse errors
def test_backward_on_non_scalar_needs_a_gradient() -> None:
    x = _leaf(np.ones((2, 3)))
    with pytest.raises(mg.GraphError, match=r"\(2, 3\)"):
        (x * 2.0).backward()


def test_backward_with_explicit_gradient_on_non_scalar() -> None:
    x = _leaf([1.0, 2.0, 3.0])
    (x * x).backward(np.array([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -6.0]


def test_backward_gradient_of_the_wrong_shape_raises() -> None:
    x = _leaf([1.0, 2.0])
    with pytest.raises(mg.ShapeError, match=r"\(3,\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_on_a_tensor_without_grad_raises() -> None:
    with pytest.raises(mg.GraphError, match="requires_grad"):
        (mg.tensor([1.0]) * 2.0).sum().backward()


@pytest.mark.parametrize("data", [[1, 2], [True, False]])
def test_requires_grad_on_integer_or_bool_tensors_raises(data) -> None:
    t = mg.tensor(data)
    with pytest.raises(mg.DTypeError, match=str(t.dtype)):
        t.requires_grad_()
    with pytest.raises(mg.DTypeError, match="astype"):
        mg.tensor(data, requires_grad=True)


def test_requires_grad_false_on_non_leaf_points_to_detach() -> None:
    y = _leaf([1.0]) * 2.0
    with pytest.raises(mg.GraphError, match="detach"):
        y.requires_grad_(False)


def test_casting_to_integers_cuts_the_graph() -> None:
    x = _leaf([1.7, -2.2])
    as_int = x.astype(np.int64)
    assert not as_int.requires_grad and as_int.tolist() == [1, -2]


# --------------------------------------------------------------- grad modes
def test_no_grad_records_nothing() -> None:
    x = _leaf([1.0, 2.0])
    with mg.no_grad():
        y = (x * x).tanh()
    assert not y.requires_grad and y._ctx is None and y.is_leaf
    assert mg.is_grad_enabled()


def test_no_grad_keeps_no_reference_to_inputs() -> None:
    x = _leaf(np.ones(4))
    with mg.no_grad():
        h = x * 2.0
        y = h.exp()
    probe = weakref.ref(h)
    del h
    gc.collect()
    assert probe() is None  # nothing saved for a backward that cannot happen
    assert y.tolist() == [np.exp(2.0)] * 4


def test_enable_grad_inside_no_grad_and_restore_after_errors() -> None:
    x = _leaf([1.0])
    with mg.no_grad():
        with mg.enable_grad():
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad
    with pytest.raises(RuntimeError), mg.no_grad():
        raise RuntimeError("inside")
    assert mg.is_grad_enabled()
    mg.set_grad_enabled(False)
    assert not (x * 2.0).requires_grad
    mg.set_grad_enabled(True)
    assert (x * 2.0).requires_grad


def test_detach_cuts_the_graph_and_shares_data() -> None:
    x = _leaf([2.0, 3.0])
    frozen = (x * x).detach()
    assert frozen.is_leaf and not frozen.requires_grad
    (frozen * x).sum().backward()
    assert x.grad.tolist() == [4.0, 9.0]  # only d(c * x)/dx with c = x^2 held constant
    np.testing.assert_array_equal(x.detach().numpy(), x.numpy())
    assert x.detach().data is x.data


# ------------------------------------------------------------------ mg.grad
def test_grad_with_respect_to_intermediate_states() -> None:
    w = _leaf([[0.5, -0.3], [0.2, 0.8]])
    s0 = mg.tensor([[1.0, -1.0]], dtype=np.float64)
    states = [s0]
    for _ in range(4):
        states.append((states[-1] @ w).tanh())
    loss = states[-1].sum()
    grads = mg.grad(loss, states[1:] + [w])

    # Closed form, backwards from the last state: dL/ds_{k-1} = (dL/ds_k * (1 - s_k^2)) W^T.
    w_np = w.numpy()
    s = [t.numpy() for t in states]
    expected = [None] * 5
    expected[4] = np.ones((1, 2))
    for k in range(4, 1, -1):
        expected[k - 1] = (expected[k] * (1 - s[k] ** 2)) @ w_np.T
    for k in range(1, 5):
        np.testing.assert_allclose(grads[k - 1], expected[k], rtol=1e-13)
    assert w.grad is None  # mg.grad returns gradients, it does not accumulate them


def test_grad_of_an_unrelated_tensor_is_none() -> None:
    x, other = _leaf([1.0]), _leaf([2.0])
    gx, gother = mg.grad((x * 3.0).sum(), [x, other])
    assert gx.tolist() == [3.0] and gother is None


def test_grad_with_grad_outputs_and_retain_graph() -> None:
    x = _leaf([1.0, 2.0])
    y = x * x
    (g1,) = mg.grad(y, [x], grad_outputs=np.array([1.0, 10.0]), retain_graph=True)
    (g2,) = mg.grad(y, [x], grad_outputs=np.array([1.0, 1.0]))
    assert g1.tolist() == [2.0, 40.0] and g2.tolist() == [2.0, 4.0]


def test_grad_with_respect_to_a_piece_of_a_multi_output_op() -> None:
    x = _leaf(np.arange(6.0).reshape(2, 3))
    first, second, third = mg.unstack(x, axis=1)
    loss = (first * second * 2.0).sum()
    g_second, g_x = mg.grad(loss, [second, x])
    np.testing.assert_array_equal(g_second, 2 * first.numpy())
    expected = np.stack([2 * second.numpy(), 2 * first.numpy(), np.zeros(2)], axis=1)
    np.testing.assert_array_equal(g_x, expected)


# -------------------------------------------------------------- unbroadcast
def _reference_unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum grad into shape by tracking which source element each output element came from."""
    source = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), grad.shape)
    summed = np.bincount(source.ravel(), weights=grad.ravel(), minlength=int(np.prod(shape)))
    return summed.reshape(shape)


@pytest.mark.parametrize(
    "grad_shape, shape",
    [
        ((2, 3, 4), (2, 3, 4)),
        ((2, 3, 4), (3, 1)),
        ((2, 3, 4), (4,)),
        ((2, 3, 4), ()),
        ((2, 3, 4), (1, 1, 1)),
        ((2, 3, 4), (2, 1, 4)),
        ((5, 1, 3), (1, 3)),
        ((3,), (1,)),
    ],
)
def test_unbroadcast_sums_each_use_of_an_element(grad_shape, shape) -> None:
    grad = np.random.default_rng(0).standard_normal(grad_shape)
    result = unbroadcast(grad, shape)
    assert result.shape == shape
    np.testing.assert_allclose(result, _reference_unbroadcast(grad, shape), rtol=1e-12)


def test_unbroadcast_refuses_a_bigger_target() -> None:
    with pytest.raises(mg.ShapeError, match=r"\(2, 3\)"):
        unbroadcast(np.ones(3), (2, 3))


def test_broadcast_operands_get_gradients_of_their_own_shape() -> None:
    a = _leaf(np.ones((3, 1)))
    b = _leaf(np.ones((4,)))
    c = _leaf(np.ones(()))
    (a * b + c).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.ravel().tolist() == [4.0] * 3
    assert b.grad.shape == (4,) and b.grad.tolist() == [3.0] * 4
    assert c.grad.shape == () and c.grad.item() == 12.0


def test_keep_freed_memory_leaves_results_unchanged() -> None:
    """The allocator tweak the CLI applies is a speed setting only."""
    x = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x * x).sum().backward()
    before = x.grad.copy()
    assert mg.backend.keep_freed_memory() is sys.platform.startswith("linux")
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, before)


def test_graph_nodes_lists_each_op_once_after_its_inputs() -> None:
    from minigrad.autograd import graph_nodes

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = (y + y).sum()  # y feeds the add twice but is one node
    nodes = graph_nodes(z)
    assert [n.name() for n in nodes] == ["mul", "add", "sum"]
    assert graph_nodes(x) == [] and graph_nodes(y) == [y._ctx]
    with mg.no_grad():
        assert graph_nodes(x * 3.0) == []
