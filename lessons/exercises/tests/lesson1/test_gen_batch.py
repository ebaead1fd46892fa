"""Graded tests of lesson1.gen_batch: the data's statistics and the exact batching."""

import numpy as np
import pytest

from minigrad.lessons.grader.checks import Rng, assert_equal, check, seeds, student

pytestmark = pytest.mark.exercise("lesson1.gen_batch")

SIZE = 200_000


def data(seed: int, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    out = student("gen_data")(size, Rng(seed))
    check(
        isinstance(out, (tuple, list)) and len(out) == 2, "gen_data should return the pair (x, y)"
    )
    x, y = out
    x, y = np.asarray(x), np.asarray(y)
    for name, a in (("x", x), ("y", y)):
        check(
            a.shape == (size,),
            f"gen_data({size}, rng): {name} should have shape ({size},), got {a.shape}",
        )
        check(
            a.dtype.kind in "iub",
            f"gen_data: {name} should hold integers 0 and 1, got dtype {a.dtype}",
        )
        values = sorted(set(np.unique(a).tolist()))
        check(set(values) <= {0, 1}, f"gen_data: {name} should hold only 0 and 1, got {values[:5]}")
    return x, y


@pytest.mark.parametrize("seed", seeds(2))
def test_inputs_are_fair_coin_flips(seed: int) -> None:
    """gen_data: X_t is 0 or 1 with probability 0.5 each"""
    x, _ = data(seed)
    check(abs(x.mean() - 0.5) < 0.01, f"gen_data: X is 1 in {x.mean():.1%} of the steps, not 50%")
    same = np.mean(x[1:] == x[:-1])
    check(
        abs(same - 0.5) < 0.01,
        f"gen_data: X_t equals X_(t-1) {same:.1%} of the time: the X_t must be independent",
    )


@pytest.mark.parametrize("seed", seeds(2))
def test_targets_follow_both_echoes(seed: int) -> None:
    """gen_data: P(Y_t = 1) is 0.5, 1.0, 0.25, 0.75 for (X_(t-3), X_(t-8)) = 00, 10, 01, 11"""
    x, y = data(seed)
    x3, x8, yt = x[5:-3], x[:-8], y[8:]
    for a, b, p in ((0, 0, 0.5), (1, 0, 1.0), (0, 1, 0.25), (1, 1, 0.75)):
        mask = (x3 == a) & (x8 == b)
        got = yt[mask].mean()
        check(
            abs(got - p) < 0.015,
            f"gen_data: when X_(t-3)={a} and X_(t-8)={b}, Y_t should be 1 with probability {p}, "
            f"but it is 1 in {got:.1%} of those steps",
        )


def test_same_seed_same_data() -> None:
    """gen_data draws its random numbers from the rng it is given"""
    first = data(7, 1000)
    again = data(7, 1000)
    other = data(8, 1000)
    check(
        all(np.array_equal(a, b) for a, b in zip(first, again)),
        "gen_data: two calls with generators of the same seed gave different data; draw every "
        "random number from `rng` (not np.random.*)",
    )
    check(not np.array_equal(first[0], other[0]), "gen_data: different seeds gave the same data")


def windows(raw: tuple[np.ndarray, np.ndarray], batch_size: int, num_steps: int) -> list:
    result = student("gen_batch")(raw, batch_size, num_steps)
    check(result is not None, "gen_batch returned None: yield the windows (or return a list)")
    return list(result)


@pytest.mark.parametrize("seed", seeds())
def test_windows_cut_contiguous_rows(seed: int) -> None:
    """gen_batch: rows are contiguous stretches of the series, windows go left to right"""
    rng = np.random.default_rng(seed)
    size = int(rng.integers(200, 600))
    batch_size, num_steps = int(rng.integers(2, 7)), int(rng.integers(2, 9))
    raw = (rng.integers(0, 10, size), rng.integers(10, 20, size))
    got = windows(raw, batch_size, num_steps)
    row = size // batch_size
    expected_count = row // num_steps
    check(
        len(got) == expected_count,
        f"gen_batch(series of {size}, batch_size={batch_size}, num_steps={num_steps}) gave "
        f"{len(got)} windows; expected {expected_count} (rows of {size}//{batch_size}={row} "
        f"values, {num_steps} per window)",
    )
    for k, pair in enumerate(got):
        check(len(pair) == 2, f"gen_batch: window {k} should be a pair (x, y)")
        for name, part, series in (("x", pair[0], raw[0]), ("y", pair[1], raw[1])):
            expected = np.stack(
                [
                    series[b * row + k * num_steps : b * row + (k + 1) * num_steps]
                    for b in range(batch_size)
                ]
            )
            assert_equal(
                part,
                expected,
                f"gen_batch(size {size}, batch_size={batch_size}, num_steps={num_steps}): "
                f"{name} of window {k}",
            )


def test_windows_match_the_reference_on_real_data() -> None:
    """gen_batch on gen_data's output: the same windows as the reference"""
    from minigrad.lessons.grader.checks import reference

    raw = reference("gen_data")(1003, np.random.default_rng(3))
    expected = list(reference("gen_batch")(raw, 5, 7))
    got = windows(raw, 5, 7)
    check(len(got) == len(expected), f"gen_batch gave {len(got)} windows, expected {len(expected)}")
    for k, ((gx, gy), (ex, ey)) in enumerate(zip(got, expected)):
        assert_equal(gx, ex, f"x of window {k}")
        assert_equal(gy, ey, f"y of window {k}")
