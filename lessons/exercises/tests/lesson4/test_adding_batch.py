"""Graded tests of lesson4.adding_batch: shapes, the two markers, the sums, the randomness."""

import numpy as np
import pytest

from minigrad.lessons.grader.checks import Rng, as_numpy, assert_close, check, seeds, student

pytestmark = pytest.mark.exercise("lesson4.adding_batch")


def batch(batch_size: int, length: int, seed: int):
    out = student("adding_batch")(batch_size, length, Rng(seed))
    check(
        isinstance(out, (tuple, list)) and len(out) == 2,
        "adding_batch should return a pair (x, y)",
    )
    x, y = (as_numpy(v, name) for v, name in zip(out, ("x", "y")))
    check(
        x.shape == (batch_size, length, 2),
        f"x should have shape {(batch_size, length, 2)} (batch, length, 2), got {x.shape}",
    )
    check(y.shape == (batch_size,), f"y should have shape {(batch_size,)}, got {y.shape}")
    check(
        x.dtype == np.float32 and y.dtype == np.float32,
        f"x and y should be float32 (.astype(np.float32)), got {x.dtype} and {y.dtype}",
    )
    return x, y


@pytest.mark.parametrize("seed", seeds())
def test_two_markers_one_in_each_half(seed: int) -> None:
    """x[..., 1] is 1 at one step of each half and 0 elsewhere"""
    length = 7 + seed % 6  # odd lengths too: the first half is t < length // 2
    x, _ = batch(64, length, seed)
    markers = x[..., 1]
    check(
        set(np.unique(markers).tolist()) <= {0.0, 1.0},
        f"the markers x[..., 1] should be 0 or 1, got values {np.unique(markers)[:5]}",
    )
    half = length // 2
    first, second = markers[:, :half].sum(axis=1), markers[:, half:].sum(axis=1)
    bad = np.flatnonzero((first != 1) | (second != 1))
    check(
        bad.size == 0,
        f"example {bad[0] if bad.size else 0} (length {length}) has "
        f"{int(first[bad[0]]) if bad.size else 0} marker(s) in steps 0..{half - 1} and "
        f"{int(second[bad[0]]) if bad.size else 0} in steps {half}..{length - 1}; "
        "each half needs exactly one",
    )


@pytest.mark.parametrize("seed", seeds())
def test_the_target_is_the_sum_of_the_marked_numbers(seed: int) -> None:
    """y = the sum of the two numbers whose marker is 1; the numbers lie in [0, 1)"""
    x, y = batch(50, 20, seed)
    values = x[..., 0]
    check(
        bool(((values >= 0) & (values < 1)).all()),
        f"the numbers x[..., 0] should lie in [0, 1), got [{values.min():.3g}, {values.max():.3g}]",
    )
    assert_close(y, (values * x[..., 1]).sum(axis=1), "y", rtol=1e-5, atol=1e-6)


def test_the_same_seed_gives_the_same_batch_and_another_seed_another() -> None:
    """every random number comes from rng"""
    a, b, c = batch(16, 30, 5), batch(16, 30, 5), batch(16, 30, 6)
    check(
        np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]),
        "two calls with generators of the same seed gave different batches: draw every "
        "random number from rng (not np.random.*)",
    )
    check(not np.array_equal(a[0], c[0]), "another seed gave the same batch")


def test_markers_and_numbers_are_spread_out() -> None:
    """marker positions cover each half, and the numbers look uniform"""
    x, y = batch(4000, 10, 0)
    positions = np.argwhere(x[..., 1] == 1)[:, 1]
    counts = np.bincount(positions, minlength=10)
    check(
        bool((counts > 4000 / 5 * 0.8).all()),
        f"each step should be marked about equally often within its half; counts per step: "
        f"{counts.tolist()}",
    )
    check(
        abs(float(x[..., 0].mean()) - 0.5) < 0.01 and abs(float(y.mean()) - 1.0) < 0.03,
        f"the numbers should be uniform in [0, 1) (mean 0.5) and y average 1; got "
        f"{float(x[..., 0].mean()):.3f} and {float(y.mean()):.3f}",
    )
