"""Graded tests of lesson4.noaf_plugin: the hook, the kit, the equations, the built-in twin."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.cells.conformance import STEP_CHECKS, check_cell, check_name
from minigrad.cells.registry import CellRegistry
from minigrad.lessons.grader.checks import assert_close, check, seeds, student

pytestmark = pytest.mark.exercise("lesson4.noaf_plugin")

#: Every conformance check except the GPU one (it needs a GPU, and skips without one).
CHECKS = [check_name(c) for c in STEP_CHECKS if check_name(c) != "gpu_parity"]
PARAMETERS = ("U", "W", "b", "p_i", "p_f", "p_o")


def registry() -> CellRegistry:
    module = student()
    check(
        hasattr(module, "minigrad_register_cells"),
        "your file has no function minigrad_register_cells (the hook minigrad calls)",
    )
    loaded = CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(module,))
    for failure in loaded.failures:
        if failure.error.startswith("NotImplementedError"):
            raise NotImplementedError(failure.error.split(": ", 1)[-1])
        raise AssertionError(f"your hook minigrad_register_cells failed: {failure.error}")
    return loaded


def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def numpy_noaf(x, h, c, U, W, b, p_i, p_f, p_o):
    H = h.shape[1]
    a = x @ U + h @ W + b
    i = sigmoid(a[:, :H] + p_i * c)
    f = sigmoid(a[:, H : 2 * H] + p_f * c)
    c_new = f * c + i * np.tanh(a[:, 2 * H : 3 * H])
    return sigmoid(a[:, 3 * H :] + p_o * c_new) * c_new, c_new


def test_the_hook_registers_noaf_lstm() -> None:
    """the hook registers NOAFCell under the name noaf_lstm"""
    names = registry().names()
    check("noaf_lstm" in names, f"the hook registered {names or 'nothing'}, not 'noaf_lstm'")
    check(
        registry().get("noaf_lstm").cls is student("NOAFCell"),
        "noaf_lstm is not registered as NOAFCell",
    )


@pytest.mark.parametrize("name", CHECKS)
def test_conformance(name: str) -> None:
    """the conformance kit (minigrad.cells.conformance.check_cell)"""
    report = check_cell("noaf_lstm", registry=registry(), checks=[name])
    (result,) = report.results
    check(result.status != "fail", f"conformance check '{name}' fails: {result.message}")


@pytest.mark.parametrize("seed", seeds())
def test_parameters_and_their_initial_values(seed: int) -> None:
    """U [I, 4H], W [H, 4H], b [4H], p_i/p_f/p_o [H]; uniform, forget_bias added to b's f block"""
    rng = np.random.default_rng(seed)
    I, H = (int(v) for v in rng.integers(2, 6, 2))
    cell = student("NOAFCell")(I, H, forget_bias=3.0, dtype=np.float64, rng=rng)
    shapes = {name: tuple(p.shape) for name, p in cell.named_parameters()}
    want = {"U": (I, 4 * H), "W": (H, 4 * H), "b": (4 * H,), "p_i": (H,), "p_f": (H,), "p_o": (H,)}
    check(shapes == want, f"with I={I}, H={H} the parameters should be {want}, got {shapes}")
    bound = 1 / math.sqrt(H)
    b = cell.b.numpy()
    f_block = b[H : 2 * H] - 3.0
    others = np.concatenate([b[:H], b[2 * H :]])
    check(
        np.all(np.abs(f_block) <= bound) and np.all(np.abs(others) <= bound),
        f"b should start uniform in +-{bound:.3f}, with forget_bias (3.0 here) added to its "
        f"f block b[H:2H]; got f block {np.round(b[H : 2 * H], 3)} and others within "
        f"[{others.min():.3f}, {others.max():.3f}]",
    )


@pytest.mark.parametrize("seed", seeds())
def test_forward_follows_the_equations(seed: int) -> None:
    """h_t = o_t * c_t with peepholes on c_(t-1) for i, f and on c_t for o"""
    rng = np.random.default_rng(seed)
    I, H, B = (int(v) for v in rng.integers(1, 5, 3))
    cell = student("NOAFCell")(I, H, dtype=np.float64, rng=np.random.default_rng(seed))
    x, h, c = rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    out, (h_new, c_new) = cell(mg.tensor(x), (mg.tensor(h), mg.tensor(c)))
    weights = [getattr(cell, name).numpy() for name in PARAMETERS]
    want_h, want_c = numpy_noaf(x, h, c, *weights)
    assert_close(c_new, want_c, f"c_t (I={I}, H={H}, B={B})")
    assert_close(h_new, want_h, f"h_t (I={I}, H={H}, B={B})")
    assert_close(out, want_h, "the output (the same as h_t)")


def test_the_same_weights_give_the_same_sequence_as_the_built_in_greff_noaf() -> None:
    """a whole sequence matches minigrad's own greff_noaf with the same weights"""
    yours = student("NOAFCell")(3, 4, dtype=np.float64, rng=np.random.default_rng(0))
    builtin = mg.cells.create("greff_noaf", 3, 4, dtype=np.float64)
    builtin.load_state_dict({n: getattr(yours, n).numpy() for n in PARAMETERS})
    x = mg.tensor(np.random.default_rng(1).standard_normal((2, 6, 3)))
    mine, _ = mg.cells.dynamic_rnn(yours, x)
    theirs, _ = mg.cells.dynamic_rnn(builtin, x)
    assert_close(mine, theirs.numpy(), "the outputs over 6 steps")
