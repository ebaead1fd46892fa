"""Graded tests of lesson4.noaf_plugin: the hook, the kit, the equations, the built-in twin.

The cell runs in the student's process (``minigrad.lessons.grader.probes`` and the
probe below); every number it returns is checked here, in the grading process,
against Greff et al.'s NOAF equations written in NumPy and against minigrad's own
``greff_noaf`` loaded with the same weights.
"""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.cells.conformance import STEP_CHECKS, check_name
from minigrad.lessons.grader.checks import (
    assert_close,
    check,
    numerical_gradients,
    probe,
    seeds,
    student,
)
from minigrad.lessons.grader.probes import cell_behaviour, conformance, registered_cells

pytestmark = pytest.mark.exercise("lesson4.noaf_plugin")

#: Every conformance check except the GPU one (it needs a GPU, and skips without one).
CHECKS = [check_name(c) for c in STEP_CHECKS if check_name(c) != "gpu_parity"]
PARAMETERS = ("U", "W", "b", "p_i", "p_f", "p_o")


def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def numpy_noaf(x, h, c, U, W, b, p_i, p_f, p_o):
    """One NOAF step: the LSTM with peepholes and no output activation (h_t = o_t * c_t)."""
    H = h.shape[1]
    a = x @ U + h @ W + b
    i = sigmoid(a[:, :H] + p_i * c)
    f = sigmoid(a[:, H : 2 * H] + p_f * c)
    c_new = f * c + i * np.tanh(a[:, 2 * H : 3 * H])
    return sigmoid(a[:, 3 * H :] + p_o * c_new) * c_new, c_new


def run(seed: int, dtype: str = "float64"):
    """One step of noaf_lstm on random sizes and inputs, with its gradients."""
    rng = np.random.default_rng(seed)
    I, H, B = (int(v) for v in rng.integers(1, 5, 3))
    x, h, c = rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    upstream = [rng.standard_normal((B, H)) for _ in range(3)]  # output, h_t, c_t
    got = cell_behaviour("noaf_lstm", I, H, seed, x, [h, c], upstream, dtype=dtype)
    return got, (x, h, c, upstream), (I, H, B)


def parameters(got, sizes):
    I, H, _ = sizes
    params = got["parameters"]
    shapes = {name: tuple(np.shape(p)) for name, p in params.items()}
    want = {"U": (I, 4 * H), "W": (H, 4 * H), "b": (4 * H,), "p_i": (H,), "p_f": (H,), "p_o": (H,)}
    check(shapes == want, f"with I={I}, H={H} the parameters should be {want}, got {shapes}")
    return [params[name] for name in PARAMETERS]


def test_the_hook_registers_noaf_lstm() -> None:
    """the hook registers NOAFCell under the name noaf_lstm"""
    names = registered_cells()
    check(
        "noaf_lstm" in names, f"the hook registered {sorted(names) or 'nothing'}, not 'noaf_lstm'"
    )
    check(
        names["noaf_lstm"] == "NOAFCell",
        f"noaf_lstm is registered as {names['noaf_lstm']}, not NOAFCell",
    )


@pytest.mark.parametrize("name", CHECKS)
def test_conformance(name: str) -> None:
    """the conformance kit (minigrad.cells.conformance.check_cell)"""
    result = conformance("noaf_lstm", name)
    check(result["status"] != "fail", f"conformance check '{name}' fails: {result['message']}")


@pytest.mark.parametrize("seed", seeds())
def test_parameters_and_their_initial_values(seed: int) -> None:
    """U [I, 4H], W [H, 4H], b [4H], p_i/p_f/p_o [H]; uniform, forget_bias 1 added to b's f block"""
    got, _, sizes = run(seed)
    U, W, b, *peepholes = parameters(got, sizes)
    H = sizes[1]
    bound = 1 / math.sqrt(H)
    f_block = b[H : 2 * H] - 1.0
    others = np.concatenate([b[:H], b[2 * H :]])
    check(
        np.all(np.abs(f_block) <= bound) and np.all(np.abs(others) <= bound),
        f"b should start uniform in +-{bound:.3f}, with forget_bias (1.0 by default) added to "
        f"its f block b[H:2H]; got f block {np.round(b[H : 2 * H], 3)} and others within "
        f"[{others.min():.3f}, {others.max():.3f}]",
    )
    for name, values in (("U", U), ("W", W), *zip(("p_i", "p_f", "p_o"), peepholes)):
        check(
            np.all(np.abs(values) <= bound) and (values.size < 2 or values.std() > 0),
            f"{name} should start uniform in [-1/sqrt(H), 1/sqrt(H)] = +-{bound:.3f}, "
            f"got values in [{values.min():.3f}, {values.max():.3f}]",
        )


@pytest.mark.parametrize("seed", seeds())
def test_forward_follows_the_equations(seed: int) -> None:
    """h_t = o_t * c_t with peepholes on c_(t-1) for i, f and on c_t for o"""
    got, (x, h, c, _), sizes = run(seed)
    want_h, want_c = numpy_noaf(x, h, c, *parameters(got, sizes))
    where = "(I={}, H={}, B={})".format(*sizes)
    check(len(got["state"]) == 2, "the new state should be the pair (h_t, c_t)")
    assert_close(got["state"][1], want_c, f"c_t {where}")
    assert_close(got["state"][0], want_h, f"h_t {where}")
    assert_close(got["output"], want_h, "the output (the same as h_t)")


@pytest.mark.parametrize("seed", seeds(2))
def test_gradients(seed: int) -> None:
    """gradients of x, h_(t-1), c_(t-1) and every parameter agree with finite differences"""
    got, (x, h, c, upstream), sizes = run(seed)
    weights = parameters(got, sizes)

    def step(*arrays):
        h_new, c_new = numpy_noaf(*arrays)
        return np.concatenate([h_new, h_new, c_new], axis=1)

    expected = numerical_gradients(step, [x, h, c, *weights], np.concatenate(upstream, axis=1))
    grads = got["grads"]
    found = [grads["x"], *grads["state"], *(grads["parameters"][n] for n in PARAMETERS)]
    for name, g, want in zip(("x", "h_(t-1)", "c_(t-1)", *PARAMETERS), found, expected):
        check(g is not None, f"no gradient reached {name}: use minigrad operations only")
        assert_close(g, want, f"the gradient of {name}", rtol=1e-5, atol=1e-7)


@probe
def sequence(seed: int, x: np.ndarray) -> dict:
    """In the student's process: NOAFCell (built from ``seed``) over a whole sequence."""
    cell = student("NOAFCell")(x.shape[2], 4, dtype=np.float64, rng=np.random.default_rng(seed))
    outputs, _ = mg.cells.dynamic_rnn(cell, mg.tensor(x))
    return {
        "outputs": outputs.numpy(),
        "parameters": {n: p.numpy() for n, p in cell.named_parameters()},
    }


def test_the_same_weights_give_the_same_sequence_as_the_built_in_greff_noaf() -> None:
    """a whole sequence matches minigrad's own greff_noaf with the same weights"""
    x = np.random.default_rng(seeds(1)[0]).standard_normal((2, 6, 3))
    got = sequence(0, x)
    builtin = mg.cells.create("greff_noaf", 3, 4, dtype=np.float64)
    builtin.load_state_dict({n: np.asarray(v) for n, v in got["parameters"].items()})
    theirs, _ = mg.cells.dynamic_rnn(builtin, mg.tensor(x))
    assert_close(got["outputs"], theirs.numpy(), "the outputs over 6 steps")
