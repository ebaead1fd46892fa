"""Graded tests of lesson2.dynamic_rnn: outputs, final state and gradients of a whole batch."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import assert_close, assert_tensor, check, seeds, student

pytestmark = pytest.mark.exercise("lesson2.dynamic_rnn")


def parts(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("cell_name", ["rnn", "lstm"])
@pytest.mark.parametrize("seed", seeds(2))
def test_matches_dynamic_rnn(cell_name: str, seed: int) -> None:
    """a registered cell (rnn, lstm): the same outputs, state and gradients as dynamic_rnn"""
    rng = np.random.default_rng(seed)
    B, T, I, H = (int(v) for v in rng.integers(1, 5, 4))
    cell = mg.cells.create(
        cell_name, I, H, dtype=np.float64, fused=False, rng=np.random.default_rng(seed)
    )
    data = rng.standard_normal((B, T, I))
    sizes = f"{cell_name} cell, inputs [B={B}, T={T}, I={I}], H={H}"
    results = []
    for run in (student("run_rnn"), mg.cells.dynamic_rnn):
        inputs = mg.tensor(data, requires_grad=True)
        cell.zero_grad()
        out = run(cell, inputs, cell.zero_state(B))
        check(
            isinstance(out, tuple) and len(out) == 2, "run_rnn should return (outputs, final_state)"
        )
        outputs, final = out
        assert_tensor(outputs, "run_rnn")
        upstream = np.random.default_rng(seed + 1).standard_normal(outputs.shape)
        loss = (outputs * mg.tensor(upstream)).sum()
        for part in parts(final):
            loss = loss + part.sum()
        loss.backward()
        grads = [inputs.grad] + [p.grad for p in cell.parameters()]
        results.append((outputs, parts(final), grads))
    (outputs, final, grads), (ref_outputs, ref_final, ref_grads) = results
    assert_close(outputs, ref_outputs, f"the outputs ({sizes})")
    check(len(final) == len(ref_final), f"the final state should have {len(ref_final)} part(s)")
    for k, (a, b) in enumerate(zip(final, ref_final)):
        assert_close(a, b, f"part {k} of the final state ({sizes})")
    names = ["the inputs"] + [n for n, _ in cell.named_parameters()]
    for name, a, b in zip(names, grads, ref_grads):
        check(a is not None, f"no gradient reached {name}: use minigrad operations only")
        assert_close(a, b, f"the gradient of {name} ({sizes})")


@pytest.mark.parametrize("seed", seeds(2))
def test_any_step_function(seed: int) -> None:
    """any function cell(x_t, state) -> (output, new_state) works, not only registered cells"""
    rng = np.random.default_rng(seed)
    B, T, I, H = (int(v) for v in rng.integers(1, 5, 4))
    U, W = mg.tensor(rng.standard_normal((I, H))), mg.tensor(rng.standard_normal((H, H)))

    def cell(x_t, state):
        new = mg.tanh(x_t @ U + state @ W)
        return new * 2.0, new

    data = rng.standard_normal((B, T, I))
    outputs, final = student("run_rnn")(cell, mg.tensor(data), mg.zeros((B, H), dtype=np.float64))
    s, expected = np.zeros((B, H)), []
    for t in range(T):
        s = np.tanh(data[:, t] @ U.numpy() + s @ W.numpy())
        expected.append(2 * s)
    assert_close(outputs, np.stack(expected, axis=1), f"the outputs [B={B}, T={T}, H={H}]")
    assert_close(final, s, "the final state")
