"""Graded tests of lesson1.bptt: the hand-written gradients against minigrad's autograd."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import assert_close, check, seeds, student

pytestmark = pytest.mark.exercise("lesson1.bptt")

NAMES = ("W", "b", "W_out", "b_out", "s0")


def case(seed: int):
    rng = np.random.default_rng(seed)
    B, T, I, H, C = (
        int(rng.integers(lo, hi)) for lo, hi in ((1, 4), (1, 6), (2, 4), (2, 5), (2, 4))
    )
    x = np.eye(I)[rng.integers(0, I, (B, T))]
    y = rng.integers(0, C, (B, T))
    arrays = {
        "W": rng.standard_normal((I + H, H)) * 0.7,
        "b": rng.standard_normal(H) * 0.5,
        "W_out": rng.standard_normal((H, C)),
        "b_out": rng.standard_normal(C),
        "s0": rng.standard_normal((B, H)) * 0.5,
    }
    return x, y, arrays, f"B={B}, T={T}, I={I}, H={H}, C={C}"


def autograd(x, y, arrays):
    p = {k: mg.tensor(v, requires_grad=True) for k, v in arrays.items()}
    s, logits = p["s0"], []
    for t in range(x.shape[1]):
        s = mg.tanh(mg.concat([mg.tensor(x[:, t]), s], axis=1) @ p["W"] + p["b"])
        logits.append(s @ p["W_out"] + p["b_out"])
    loss = mg.cross_entropy(mg.stack(logits, axis=1), y)
    loss.backward()
    return loss.item(), {k: t.grad for k, t in p.items()}, s.numpy()


def run(seed: int):
    x, y, arrays, sizes = case(seed)
    out = student("rnn_forward_backward")(
        x, y, arrays["s0"], arrays["W"], arrays["b"], arrays["W_out"], arrays["b_out"]
    )
    check(
        isinstance(out, tuple) and len(out) == 3,
        "rnn_forward_backward should return a tuple (loss, grads, final_state)",
    )
    return out, autograd(x, y, arrays), sizes


@pytest.mark.parametrize("seed", seeds())
def test_loss_and_final_state(seed: int) -> None:
    """the forward pass: the mean cross-entropy over the window, and the final state s_T"""
    (loss, _, final), (ref_loss, _, ref_final), sizes = run(seed)
    assert_close(np.asarray(loss, dtype=np.float64), np.asarray(ref_loss), f"the loss ({sizes})")
    assert_close(final, ref_final, f"the final state s_T ({sizes})")


@pytest.mark.parametrize("seed", seeds())
def test_gradients(seed: int) -> None:
    """the backward pass: every gradient equals autograd's (summed over all time steps)"""
    (_, grads, _), (_, ref_grads, _), sizes = run(seed)
    check(isinstance(grads, dict), f"grads should be a dict with the keys {NAMES}")
    missing = [k for k in NAMES if k not in grads]
    check(not missing, f"grads is missing the keys {missing} (it needs {NAMES})")
    for name in NAMES:
        assert_close(
            grads[name], ref_grads[name], f"the gradient of {name} ({sizes})", rtol=1e-6, atol=1e-9
        )
