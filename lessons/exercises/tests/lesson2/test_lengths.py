"""Graded tests of lesson2.lengths: padded steps give zeros, keep the state, get no gradient."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import assert_close, assert_tensor, check, seeds, student

pytestmark = pytest.mark.exercise("lesson2.lengths")


def parts(state):
    return list(state) if isinstance(state, tuple) else [state]


def case(cell_name: str, seed: int):
    rng = np.random.default_rng(seed)
    B, T, I, H = (
        int(rng.integers(2, 5)),
        int(rng.integers(3, 6)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, 4)),
    )
    cell = mg.cells.create(
        cell_name, I, H, dtype=np.float64, fused=False, rng=np.random.default_rng(seed)
    )
    lengths = rng.integers(1, T + 1, B)
    lengths[0] = T  # one full-length example
    state = tuple(mg.tensor(rng.standard_normal((B, H))) for _ in parts(cell.zero_state(B)))
    state = state if len(state) > 1 else state[0]
    return (
        cell,
        rng.standard_normal((B, T, I)),
        state,
        lengths,
        f"{cell_name} cell, lengths {lengths.tolist()}",
    )


@pytest.mark.parametrize("cell_name", ["rnn", "lstm"])
@pytest.mark.parametrize("seed", seeds(2))
def test_matches_dynamic_rnn_with_lengths(cell_name: str, seed: int) -> None:
    """outputs and final state equal mg.cells.dynamic_rnn(..., lengths=...)"""
    cell, data, state, lengths, what = case(cell_name, seed)
    out = student("run_rnn_with_lengths")(cell, mg.tensor(data), state, lengths)
    check(
        isinstance(out, tuple) and len(out) == 2,
        "run_rnn_with_lengths should return (outputs, final_state)",
    )
    outputs, final = out
    assert_tensor(outputs, "run_rnn_with_lengths")
    ref_outputs, ref_final = mg.cells.dynamic_rnn(cell, mg.tensor(data), state, lengths)
    assert_close(outputs, ref_outputs, f"the outputs ({what}); padded steps must be 0")
    for k, (a, b) in enumerate(zip(parts(final), parts(ref_final))):
        assert_close(
            a,
            b,
            f"part {k} of the final state ({what}): the state after each example's last real step",
        )


@pytest.mark.parametrize("seed", seeds(2))
def test_padding_gets_no_gradient(seed: int) -> None:
    """padded inputs receive exactly zero gradient; real ones the same as dynamic_rnn's"""
    cell, data, state, lengths, what = case("rnn", seed)
    grads = []
    for run in (student("run_rnn_with_lengths"), mg.cells.dynamic_rnn):
        inputs = mg.tensor(data, requires_grad=True)
        outputs, final = run(cell, inputs, state, lengths)
        (outputs.sum() + final.sum() * 2.0).backward()
        check(inputs.grad is not None, "no gradient reached the inputs: use minigrad operations")
        grads.append(inputs.grad)
    padded = np.arange(data.shape[1])[None, :] >= lengths[:, None]
    leaked = np.abs(grads[0][padded]).max() if padded.any() else 0.0
    check(leaked == 0, f"padded steps received a gradient (up to {leaked:.3g}) with {what}")
    assert_close(grads[0], grads[1], f"the gradient of the inputs ({what})")
