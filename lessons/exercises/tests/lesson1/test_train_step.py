"""Graded tests of lesson1.train_step: losses, updates and states over consecutive windows."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import (
    TensorValue,
    assert_close,
    check,
    probe,
    reference,
    seeds,
    student,
)

pytestmark = pytest.mark.exercise("lesson1.train_step")

NAMES = ("W", "b", "W_out", "b_out")


def initial(seed: int, H: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = {"W": (2 + H, H), "b": (H,), "W_out": (H, 2), "b_out": (2,)}
    return {k: rng.standard_normal(s) * 0.5 for k, s in shapes.items()}


@probe
def train_windows(arrays: dict, s0: np.ndarray, windows: list) -> list:
    """In the student's process: train_step on each (x, y) window with one Adagrad optimizer."""
    params = {k: mg.tensor(v, requires_grad=True) for k, v in arrays.items()}
    optimizer = mg.optim.Adagrad(list(params.values()), lr=0.1)
    state, results = mg.tensor(s0), []
    for x, y in windows:
        out = student("train_step")(params, optimizer, x, y, state)
        if not (isinstance(out, tuple) and len(out) == 2):
            return results + [{"returned": out}]
        loss, state = out
        results.append(
            {
                "loss": loss,
                "state": state,
                "params": {k: np.array(p.numpy()) for k, p in params.items()},
            }
        )
    return results


def numpy_loss(p, x, y, state):
    s, total = state, 0.0
    for t in range(x.shape[1]):
        s = np.tanh(np.concatenate([np.eye(2)[x[:, t]], s], axis=1) @ p["W"] + p["b"])
        z = s @ p["W_out"] + p["b_out"]
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        total -= logp[np.arange(len(x)), y[:, t]].sum()
    return total / x.size


@pytest.mark.parametrize("seed", seeds())
def test_three_windows(seed: int) -> None:
    """three windows in a row: the loss, the Adagrad updates and the carried, detached state"""
    rng = np.random.default_rng(seed)
    B, T, H = int(rng.integers(2, 5)), int(rng.integers(2, 6)), int(rng.integers(2, 5))
    arrays = initial(seed + 1, H)
    s0 = rng.standard_normal((B, H)) * 0.5
    windows = [(rng.integers(0, 2, (B, T)), rng.integers(0, 2, (B, T))) for _ in range(3)]
    mine = train_windows(arrays, s0, windows)
    ref = {k: mg.tensor(v, requires_grad=True) for k, v in arrays.items()}
    opt_ref = mg.optim.Adagrad(list(ref.values()), lr=0.1)
    s_ref = mg.tensor(s0)
    sizes = f"B={B}, T={T}, H={H}"
    check(isinstance(mine, list) and len(mine) >= 1, "train_step could not be run")
    for window, ((x, y), got) in enumerate(zip(windows, mine), 1):
        check("returned" not in got, "train_step should return (loss, final_state)")
        loss, state = got["loss"], got["state"]
        if window == 1:
            expected_loss = numpy_loss(arrays, x, y, s0)
            assert_close(
                np.float64(loss), np.float64(expected_loss), f"the loss of window 1 ({sizes})"
            )
        ref_loss, s_ref = reference("train_step")(ref, opt_ref, x, y, s_ref)
        check(
            isinstance(loss, (float, np.floating)),
            f"the loss should be a Python float (loss.item()), got {type(loss).__name__}",
        )
        assert_close(
            np.float64(loss), np.float64(ref_loss), f"the loss of window {window} ({sizes})"
        )
        check(isinstance(state, TensorValue), "the final state should be a minigrad Tensor")
        check(
            not state.requires_grad,
            "the final state must be detached (state.detach()): otherwise the next window "
            "backpropagates into this one",
        )
        assert_close(state, s_ref, f"the final state after window {window} ({sizes})")
        for name in NAMES:
            assert_close(
                got["params"][name],
                ref[name],
                f"parameter {name} after window {window} ({sizes}); did you clear the old "
                "gradients and call optimizer.step() once?",
            )
    check(len(mine) == 3, "train_step could not be run on every window")
