"""Graded tests of lesson2.rnn_plugin: the hook, the conformance kit, the numbers.

The cell runs in the student's process (``minigrad.lessons.grader.probes``);
every number it returns is checked here against lesson 1's equation, computed
with NumPy from the parameters it reports.
"""

import math

import numpy as np
import pytest

from minigrad.cells.conformance import STEP_CHECKS, check_name
from minigrad.lessons.grader.checks import (
    TensorValue,
    assert_close,
    check,
    numerical_gradients,
    seeds,
)
from minigrad.lessons.grader.probes import cell_behaviour, conformance, registered_cells

pytestmark = pytest.mark.exercise("lesson2.rnn_plugin")

#: Every conformance check except the GPU one (it needs a GPU, and skips without one).
CHECKS = [check_name(c) for c in STEP_CHECKS if check_name(c) != "gpu_parity"]


def lesson1_cell(x, s, W, b):
    return np.tanh(np.concatenate([x, s], axis=1) @ W + b)


def run(seed: int, dtype: str = "float64"):
    """One step of concat_rnn on random sizes and inputs, with its gradients."""
    rng = np.random.default_rng(seed)
    I, H, B = (int(v) for v in rng.integers(1, 5, 3))
    x, s = rng.standard_normal((B, I)), rng.standard_normal((B, H))
    upstream = [rng.standard_normal((B, H)), rng.standard_normal((B, H))]
    got = cell_behaviour("concat_rnn", I, H, seed, x, [s], upstream, dtype=dtype)
    return got, (x, s, upstream), f"I={I}, H={H}, B={B}"


def parameters(got, sizes: str):
    params = got["parameters"]
    shapes = {name: tuple(np.shape(p)) for name, p in params.items()}
    I_H = np.shape(params.get("W", np.zeros((0, 0))))
    check(set(shapes) == {"W", "b"}, f"the parameters should be W and b, got {sorted(shapes)}")
    check(
        len(I_H) == 2 and shapes["b"] == (I_H[1],),
        f"with {sizes} the parameters should be W [I+H, H] and b [H], got {shapes}",
    )
    return params["W"], params["b"]


def test_the_hook_registers_concat_rnn() -> None:
    """the hook registers ConcatRNNCell under the name concat_rnn"""
    names = registered_cells()
    check(
        "concat_rnn" in names, f"the hook registered {sorted(names) or 'nothing'}, not 'concat_rnn'"
    )
    check(
        names["concat_rnn"] == "ConcatRNNCell",
        f"concat_rnn is registered as {names['concat_rnn']}, not ConcatRNNCell",
    )


@pytest.mark.parametrize("name", CHECKS)
def test_conformance(name: str) -> None:
    """the conformance kit (minigrad.cells.conformance.check_cell)"""
    result = conformance("concat_rnn", name)
    check(result["status"] != "fail", f"conformance check '{name}' fails: {result['message']}")


@pytest.mark.parametrize("seed", seeds())
def test_forward_is_lesson1s_cell(seed: int) -> None:
    """parameters W [I+H, H] and b [H]; s_t = tanh([x_t, s_(t-1)] @ W + b)"""
    got, (x, s, _), sizes = run(seed)
    W, b = parameters(got, sizes)
    check(W.shape == (x.shape[1] + s.shape[1], s.shape[1]), f"W should be [I+H, H] with {sizes}")
    bound = 1 / math.sqrt(s.shape[1])
    for name, values in (("W", W), ("b", b)):
        check(
            np.all(np.abs(values) <= bound) and (values.size < 2 or values.std() > 0),
            f"{name} should start uniform in [-1/sqrt(H), 1/sqrt(H)] = +-{bound:.3f}, "
            f"got values in [{values.min():.3f}, {values.max():.3f}]",
        )
    expected = lesson1_cell(x, s, W, b)
    check(isinstance(got["output"], TensorValue), "the output should be a minigrad Tensor")
    assert_close(got["output"], expected, f"the output of ConcatRNNCell ({sizes})")
    check(len(got["state"]) == 1, "the new state should be one Tensor [B, H]")
    assert_close(got["state"][0], expected, "the new state (the same as the output)")


@pytest.mark.parametrize("seed", seeds(2))
def test_gradients(seed: int) -> None:
    """gradients of x, s_(t-1), W and b agree with finite differences"""
    got, (x, s, upstream), sizes = run(seed)
    W, b = parameters(got, sizes)
    both = np.concatenate(upstream, axis=1)
    expected = numerical_gradients(
        lambda *a: np.concatenate([lesson1_cell(*a)] * 2, axis=1), [x, s, W, b], both
    )
    grads = got["grads"]
    found = [grads["x"], grads["state"][0], grads["parameters"]["W"], grads["parameters"]["b"]]
    for name, g, want in zip(("x", "s_(t-1)", "W", "b"), found, expected):
        check(g is not None, f"no gradient reached {name}: use minigrad operations only")
        assert_close(g, want, f"the gradient of {name} ({sizes})", rtol=1e-5, atol=1e-7)


def test_seed_float32_and_saving() -> None:
    """the same rng seed gives the same parameters; float32 stays float32; state_dict round trip"""
    got, (x, s, _), sizes = run(5, dtype="float32")
    W, b = parameters(got, sizes)
    for name, value in got["same_seed"].items():
        assert_close(value, got["parameters"][name], f"{name} built twice with the same rng seed")
    check(
        any(not np.array_equal(v, got["parameters"][n]) for n, v in got["other_seed"].items()),
        "two different rng seeds gave the same parameters: draw them from the rng you are given",
    )
    check(W.dtype == np.float32, f"with dtype=float32 W has dtype {W.dtype}")
    check(got["output"].dtype == np.float32, f"a float32 cell gave a {got['output'].dtype} output")
    zero = got["zero_state"]
    check(
        len(zero) == 1 and np.shape(zero[0]) == s.shape and not np.any(np.asarray(zero[0])),
        f"zero_state(B) should be one Tensor of zeros [B, H] = {list(s.shape)}",
    )
    expected = lesson1_cell(x, s, W.astype(np.float64), b.astype(np.float64))
    assert_close(
        got["reloaded_output"],
        expected,
        "the output of a cell after load_state_dict of another cell's state_dict",
        rtol=1e-5,
        atol=1e-6,
    )
