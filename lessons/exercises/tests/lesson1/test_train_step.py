"""Graded tests of lesson1.train_step: losses, updates and states over consecutive windows."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import assert_close, check, reference, seeds, student

pytestmark = pytest.mark.exercise("lesson1.train_step")


def make(seed: int, H: int):
    rng = np.random.default_rng(seed)
    shapes = {"W": (2 + H, H), "b": (H,), "W_out": (H, 2), "b_out": (2,)}
    return {
        k: mg.tensor(rng.standard_normal(s) * 0.5, requires_grad=True) for k, s in shapes.items()
    }


def numpy_loss(params, x, y, state):
    p = {k: v.numpy() for k, v in params.items()}
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
    mine, ref = make(seed + 1, H), make(seed + 1, H)
    opt_mine = mg.optim.Adagrad(list(mine.values()), lr=0.1)
    opt_ref = mg.optim.Adagrad(list(ref.values()), lr=0.1)
    s0 = rng.standard_normal((B, H)) * 0.5
    s_mine, s_ref = mg.tensor(s0), mg.tensor(s0)
    sizes = f"B={B}, T={T}, H={H}"
    for window in range(1, 4):
        x, y = rng.integers(0, 2, (B, T)), rng.integers(0, 2, (B, T))
        expected_loss = numpy_loss(mine, x, y, s_mine.numpy()) if window == 1 else None
        out = student("train_step")(mine, opt_mine, x, y, s_mine)
        check(
            isinstance(out, tuple) and len(out) == 2, "train_step should return (loss, final_state)"
        )
        loss, s_mine = out
        ref_loss, s_ref = reference("train_step")(ref, opt_ref, x, y, s_ref)
        check(
            isinstance(loss, (float, np.floating)),
            f"the loss should be a Python float (loss.item()), got {type(loss).__name__}",
        )
        if expected_loss is not None:
            assert_close(
                np.float64(loss), np.float64(expected_loss), f"the loss of window 1 ({sizes})"
            )
        assert_close(
            np.float64(loss), np.float64(ref_loss), f"the loss of window {window} ({sizes})"
        )
        check(isinstance(s_mine, mg.Tensor), "the final state should be a minigrad Tensor")
        check(
            not s_mine.requires_grad,
            "the final state must be detached (state.detach()): otherwise the next window "
            "backpropagates into this one",
        )
        assert_close(s_mine, s_ref, f"the final state after window {window} ({sizes})")
        for name in mine:
            assert_close(
                mine[name],
                ref[name],
                f"parameter {name} after window {window} ({sizes}); did you clear the old "
                "gradients and call optimizer.step() once?",
            )
