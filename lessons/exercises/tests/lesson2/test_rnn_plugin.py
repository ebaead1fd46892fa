"""Graded tests of lesson2.rnn_plugin: the hook, the conformance kit, the numbers."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.cells.conformance import STEP_CHECKS, check_cell, check_name
from minigrad.cells.registry import CellRegistry
from minigrad.lessons.grader.checks import assert_close, check, seeds, student

pytestmark = pytest.mark.exercise("lesson2.rnn_plugin")

#: Every conformance check except the GPU one (it needs a GPU, and skips without one).
CHECKS = [check_name(c) for c in STEP_CHECKS if check_name(c) != "gpu_parity"]


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


def test_the_hook_registers_concat_rnn() -> None:
    """the hook registers ConcatRNNCell under the name concat_rnn"""
    names = registry().names()
    check("concat_rnn" in names, f"the hook registered {names or 'nothing'}, not 'concat_rnn'")
    info = registry().get("concat_rnn")
    check(
        info.cls is student("ConcatRNNCell"),
        f"concat_rnn is registered as {info.cls.__name__}, not ConcatRNNCell",
    )


@pytest.mark.parametrize("name", CHECKS)
def test_conformance(name: str) -> None:
    """the conformance kit (minigrad.cells.conformance.check_cell)"""
    report = check_cell("concat_rnn", registry=registry(), checks=[name])
    (result,) = report.results
    check(result.status != "fail", f"conformance check '{name}' fails: {result.message}")


@pytest.mark.parametrize("seed", seeds())
def test_forward_is_lesson1s_cell(seed: int) -> None:
    """parameters W [I+H, H] and b [H]; s_t = tanh([x_t, s_(t-1)] @ W + b)"""
    rng = np.random.default_rng(seed)
    I, H, B = (int(v) for v in rng.integers(1, 5, 3))
    cell = student("ConcatRNNCell")(I, H, dtype=np.float64, rng=np.random.default_rng(seed))
    shapes = {name: tuple(p.shape) for name, p in cell.named_parameters()}
    check(
        shapes == {"W": (I + H, H), "b": (H,)},
        f"with I={I}, H={H} the parameters should be W {(I + H, H)} and b {(H,)}, got {shapes}",
    )
    bound = 1 / math.sqrt(H)
    for name, p in cell.named_parameters():
        values = p.numpy()
        check(
            np.all(np.abs(values) <= bound) and (values.size < 2 or values.std() > 0),
            f"{name} should start uniform in [-1/sqrt(H), 1/sqrt(H)] = +-{bound:.3f}, "
            f"got values in [{values.min():.3f}, {values.max():.3f}]",
        )
    x, s = rng.standard_normal((B, I)), rng.standard_normal((B, H))
    out, new = cell(mg.tensor(x), mg.tensor(s))
    W, b = cell.W.numpy(), cell.b.numpy()
    expected = np.tanh(np.concatenate([x, s], axis=1) @ W + b)
    assert_close(out, expected, f"the output of ConcatRNNCell (I={I}, H={H}, B={B})")
    assert_close(new, expected, "the new state (the same as the output)")
