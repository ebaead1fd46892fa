"""Graded tests of lesson2.lengths: padded steps give zeros, keep the state, get no gradient."""

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

pytestmark = pytest.mark.exercise("lesson2.lengths")


def parts(state):
    return list(state) if isinstance(state, (tuple, list)) else [state]


def case(cell_name: str, seed: int):
    """The cell's sizes, the inputs, a random initial state, the lengths and a description."""
    rng = np.random.default_rng(seed)
    B, T, I, H = (
        int(rng.integers(2, 5)),
        int(rng.integers(3, 6)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, 4)),
    )
    lengths = rng.integers(1, T + 1, B)
    lengths[0] = T  # one full-length example
    count = len(parts(make_cell(cell_name, I, H, seed).zero_state(B)))
    state = [rng.standard_normal((B, H)) for _ in range(count)]
    data = rng.standard_normal((B, T, I))
    return (I, H), data, state, lengths, f"{cell_name} cell, lengths {lengths.tolist()}"


def make_cell(cell_name: str, I: int, H: int, seed: int):
    return mg.cells.create(
        cell_name, I, H, dtype=np.float64, fused=False, rng=np.random.default_rng(seed)
    )


def run_and_backward(run, cell, data, state, lengths) -> dict:
    """Outputs, final state, and the inputs' gradient of sum(outputs) + 2 sum(final state)."""
    inputs = mg.tensor(data, requires_grad=True)
    start = tuple(mg.tensor(s) for s in state)
    out = run(cell, inputs, start if len(start) > 1 else start[0], lengths)
    if not (isinstance(out, tuple) and len(out) == 2):
        return {"returned": out}
    outputs, final = out
    if not isinstance(outputs, mg.Tensor):
        return {"outputs": outputs}
    loss = outputs.sum()
    for part in parts(final):
        loss = loss + part.sum() * 2.0
    loss.backward()
    return {"outputs": outputs, "final": parts(final), "grad": inputs.grad}


@probe
def run_with_lengths(cell_name: str, sizes, seed: int, data, state, lengths) -> dict:
    """In the student's process: run_rnn_with_lengths over a registered cell built from ``seed``."""
    cell = make_cell(cell_name, *sizes, seed)
    return run_and_backward(student("run_rnn_with_lengths"), cell, data, state, lengths)


def both(cell_name: str, seed: int):
    sizes, data, state, lengths, what = case(cell_name, seed)
    mine = run_with_lengths(cell_name, sizes, seed, data, state, lengths)
    ref = run_and_backward(
        mg.cells.dynamic_rnn, make_cell(cell_name, *sizes, seed), data, state, lengths
    )
    check("returned" not in mine, "run_rnn_with_lengths should return (outputs, final_state)")
    check(
        isinstance(mine["outputs"], TensorValue),
        "run_rnn_with_lengths should return the outputs as a minigrad Tensor",
    )
    return mine, ref, data, lengths, what


@pytest.mark.parametrize("cell_name", ["rnn", "lstm"])
@pytest.mark.parametrize("seed", seeds(2))
def test_matches_dynamic_rnn_with_lengths(cell_name: str, seed: int) -> None:
    """outputs and final state equal mg.cells.dynamic_rnn(..., lengths=...)"""
    mine, ref, _, _, what = both(cell_name, seed)
    assert_close(mine["outputs"], ref["outputs"], f"the outputs ({what}); padded steps must be 0")
    check(
        len(mine["final"]) == len(ref["final"]),
        f"the final state should have {len(ref['final'])} part(s)",
    )
    for k, (a, b) in enumerate(zip(mine["final"], ref["final"])):
        assert_close(
            a,
            b,
            f"part {k} of the final state ({what}): the state after each example's last real step",
        )


@pytest.mark.parametrize("seed", seeds(2))
def test_padding_gets_no_gradient(seed: int) -> None:
    """padded inputs receive exactly zero gradient; real ones the same as dynamic_rnn's"""
    mine, ref, data, lengths, what = both("rnn", seed)
    grad = mine["grad"]
    check(grad is not None, "no gradient reached the inputs: use minigrad operations")
    check(
        grad.shape == data.shape, f"the inputs' gradient has shape {grad.shape}, not {data.shape}"
    )
    padded = np.arange(data.shape[1])[None, :] >= lengths[:, None]
    leaked = np.abs(grad[padded]).max() if padded.any() else 0.0
    check(leaked == 0, f"padded steps received a gradient (up to {leaked:.3g}) with {what}")
    assert_close(grad, ref["grad"], f"the gradient of the inputs ({what})")
