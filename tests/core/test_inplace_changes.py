"""An array kept for backward, changed in place after the forward pass, is refused by name.

The write clock (docs/autograd.md, "In-place changes") sees every assignment to
``.data``; debug mode also sees writes through an index.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.errors import GraphError


def test_changing_a_saved_output_is_refused_naming_the_ops() -> None:
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = a.tanh()  # tanh keeps its output for 1 - b**2
    loss = (b * b).sum()  # mul keeps b too
    b.data *= 2  # the case: .data changed after the forward pass
    with pytest.raises(GraphError) as info:
        loss.backward()
    message = str(info.value)
    assert "'tanh' (as its output)" in message and "'mul' (as an input)" in message
    assert "shape (2,)" in message and "after backward()" in message
    assert a.grad is None  # nothing was accumulated


def test_changing_an_input_that_needs_no_gradient_is_refused_too() -> None:
    x = mg.tensor(np.ones((2, 3), np.float32))  # data, not a parameter...
    w = mg.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    loss = (x @ w).sum()  # ...but W's gradient is x.T @ g: matmul keeps x
    x.data += 1
    with pytest.raises(GraphError, match=r"'matmul' \(as an input\)"):
        loss.backward()


def test_a_loss_changed_in_place_is_refused() -> None:
    a = mg.tensor([0.5, 1.0], requires_grad=True)
    y = a.exp()  # keeps its output, which is y itself
    y.data -= 1
    with pytest.raises(GraphError, match=r"'exp' \(as its output\)") as caught:
        y.backward(np.ones(2, np.float32))
    assert "as an input" not in str(caught.value)  # its own op, named once


def test_an_optimizer_step_between_forward_and_backward_is_refused() -> None:
    model = nn.Linear(3, 2, rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = mg.tensor(np.ones((4, 3), np.float32))
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    opt.step()  # changes W, which the graph's matmul kept for x's gradient
    x.requires_grad_(True)
    with pytest.raises(GraphError, match="'matmul'"):
        loss.backward()


def test_the_gradient_before_the_change_is_what_the_refusal_protects() -> None:
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = a.tanh()
    (b * b).sum().backward()
    right = a.grad.copy()  # 2 b (1 - b^2)
    np.testing.assert_allclose(right, 2 * np.tanh([1, 2]) * (1 - np.tanh([1, 2]) ** 2), 1e-6)
    a.grad = None
    b = a.tanh()
    loss = (b * b).sum()
    b.data[0] = 5.0  # a write through an index: not announced, so not seen...
    loss.backward()
    assert not np.allclose(a.grad, right)  # ...and the gradient is wrong, which is why:
    with mg.debug_mode():  # debug mode checksums what each op keeps
        a.grad = None
        b = a.tanh()
        loss = (b * b).sum()
        b.data[0] = 5.0
        with pytest.raises(GraphError, match="debug mode: an array that 'mul' kept"):
            loss.backward()


def test_harmless_writes_pass() -> None:
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([1.0, 1.0])
    h = a + c  # add keeps nothing
    c.data += 1
    h.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])

    w = mg.tensor([3.0, 4.0], requires_grad=True)
    a.grad = None
    y = (a * w).sum()
    w.data = w.data * 10  # a new array: mul still holds the old one, so its gradient is right
    y.backward()
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])


def test_training_loops_write_between_steps_without_complaint() -> None:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8, rng=rng), mg.tanh, nn.Linear(8, 3, rng=rng))
    opt = optim.Adam(model.parameters(), lr=0.05)
    x, y = mg.tensor(rng.standard_normal((16, 4)).astype(np.float32)), np.arange(16) % 3
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = mg.cross_entropy(model(x), y)
        loss.backward()
        opt.step()  # writes every parameter's .data: after backward, as it should
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(p._version > 0 for p in model.parameters())  # the writes were seen


def test_assigning_a_list_to_data_stores_an_array() -> None:
    t = mg.tensor([1.0, 2.0])
    t.data = [3.0, 4.0]
    assert isinstance(t.data, np.ndarray) and t.shape == (2,)
