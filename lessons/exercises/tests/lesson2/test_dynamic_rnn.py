"""Graded tests of lesson2.dynamic_rnn: outputs, final state and gradients of a whole batch."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import (
    TensorValue,
    assert_close,
    check,
    probe,
    seeds,
    student,
)

pytestmark = pytest.mark.exercise("lesson2.dynamic_rnn")


def parts(state):
    return list(state) if isinstance(state, (tuple, list)) else [state]


def make_cell(cell_name: str, I: int, H: int, seed: int):
    return mg.cells.create(
        cell_name, I, H, dtype=np.float64, fused=False, rng=np.random.default_rng(seed)
    )


def run_and_backward(run, cell, data: np.ndarray, upstream: np.ndarray) -> dict:
    """Outputs, final state and the gradients of sum(outputs * upstream) + sum(final state)."""
    inputs = mg.tensor(data, requires_grad=True)
    cell.zero_grad()
    out = run(cell, inputs, cell.zero_state(data.shape[0]))
    if not (isinstance(out, tuple) and len(out) == 2):
        return {"returned": out}
    outputs, final = out
    if not isinstance(outputs, mg.Tensor):
        return {"outputs": outputs}
    loss = (outputs * mg.tensor(upstream)).sum()
    for part in parts(final):
        loss = loss + part.sum()
    loss.backward()
    grads = [inputs.grad] + [p.grad for p in cell.parameters()]
    return {"outputs": outputs, "final": parts(final), "grads": grads}


@probe
def run_registered_cell(cell_name: str, I: int, H: int, seed: int, data, upstream) -> dict:
    """In the student's process: run_rnn over a registered cell built from ``seed``."""
    return run_and_backward(student("run_rnn"), make_cell(cell_name, I, H, seed), data, upstream)


@pytest.mark.parametrize("cell_name", ["rnn", "lstm"])
@pytest.mark.parametrize("seed", seeds(2))
def test_matches_dynamic_rnn(cell_name: str, seed: int) -> None:
    """a registered cell (rnn, lstm): the same outputs, state and gradients as dynamic_rnn"""
    rng = np.random.default_rng(seed)
    B, T, I, H = (int(v) for v in rng.integers(1, 5, 4))
    data = rng.standard_normal((B, T, I))
    upstream = np.random.default_rng(seed + 1).standard_normal((B, T, H))
    sizes = f"{cell_name} cell, inputs [B={B}, T={T}, I={I}], H={H}"
    mine = run_registered_cell(cell_name, I, H, seed, data, upstream)
    cell = make_cell(cell_name, I, H, seed)
    ref = run_and_backward(mg.cells.dynamic_rnn, cell, data, upstream)
    check("returned" not in mine, "run_rnn should return (outputs, final_state)")
    check(
        isinstance(mine["outputs"], TensorValue),
        "run_rnn should return the outputs as a minigrad Tensor built with minigrad operations",
    )
    assert_close(mine["outputs"], ref["outputs"], f"the outputs ({sizes})")
    check(
        len(mine["final"]) == len(ref["final"]),
        f"the final state should have {len(ref['final'])} part(s)",
    )
    for k, (a, b) in enumerate(zip(mine["final"], ref["final"])):
        assert_close(a, b, f"part {k} of the final state ({sizes})")
    names = ["the inputs"] + [n for n, _ in cell.named_parameters()]
    for name, a, b in zip(names, mine["grads"], ref["grads"]):
        check(a is not None, f"no gradient reached {name}: use minigrad operations only")
        assert_close(a, b, f"the gradient of {name} ({sizes})")


@probe
def run_function_cell(U, W, data) -> tuple:
    """In the student's process: run_rnn over a plain function cell(x_t, state)."""
    U, W = mg.tensor(U), mg.tensor(W)

    def cell(x_t, state):
        new = mg.tanh(x_t @ U + state @ W)
        return new * 2.0, new

    B, H = data.shape[0], W.shape[0]
    return student("run_rnn")(cell, mg.tensor(data), mg.zeros((B, H), dtype=np.float64))


@pytest.mark.parametrize("seed", seeds(2))
def test_any_step_function(seed: int) -> None:
    """any function cell(x_t, state) -> (output, new_state) works, not only registered cells"""
    rng = np.random.default_rng(seed)
    B, T, I, H = (int(v) for v in rng.integers(1, 5, 4))
    U, W = rng.standard_normal((I, H)), rng.standard_normal((H, H))
    data = rng.standard_normal((B, T, I))
    out = run_function_cell(U, W, data)
    check(isinstance(out, tuple) and len(out) == 2, "run_rnn should return (outputs, final_state)")
    outputs, final = out
    s, expected = np.zeros((B, H)), []
    for t in range(T):
        s = np.tanh(data[:, t] @ U + s @ W)
        expected.append(2 * s)
    assert_close(outputs, np.stack(expected, axis=1), f"the outputs [B={B}, T={T}, H={H}]")
    assert_close(final, s, "the final state")
