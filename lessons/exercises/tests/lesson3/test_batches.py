"""Graded tests of lesson3.batches: epoch size and the shifted, contiguous batches."""

import numpy as np
import pytest

from minigrad.lessons.grader.checks import assert_equal, check, seeds, student

pytestmark = pytest.mark.exercise("lesson3.batches")


def test_epoch_size_of_tiny_shakespeare() -> None:
    """tiny-shakespeare (1,115,394 characters), batch 32, 200 steps: 174 batches"""
    got = student("epoch_size")(1_115_394, 32, 200)
    check(got == 174, f"epoch_size(1115394, 32, 200) should be 174, got {got}")


@pytest.mark.parametrize("seed", seeds())
def test_batches(seed: int) -> None:
    """batch k: x = rows[:, kT:(k+1)T], y the same columns shifted by one"""
    rng = np.random.default_rng(seed)
    n, batch, steps = int(rng.integers(60, 400)), int(rng.integers(1, 6)), int(rng.integers(2, 9))
    data = rng.integers(0, 50, n)
    batch_len = n // batch
    expected_count = (batch_len - 1) // steps
    what = f"ptb_iterator(data of {n} ids, batch_size={batch}, num_steps={steps})"
    got_size = student("epoch_size")(n, batch, steps)
    check(
        got_size == expected_count,
        f"epoch_size({n}, {batch}, {steps}) should be {expected_count}, got {got_size}",
    )
    batches = list(student("ptb_iterator")(data, batch, steps))
    check(
        len(batches) == expected_count,
        f"{what} gave {len(batches)} batches, expected {expected_count}",
    )
    for k, pair in enumerate(batches):
        check(len(pair) == 2, f"{what}: batch {k} should be a pair (x, y)")
        x, y = pair
        rows = [data[i * batch_len : (i + 1) * batch_len] for i in range(batch)]
        assert_equal(
            x, np.stack([r[k * steps : (k + 1) * steps] for r in rows]), f"{what}: x of batch {k}"
        )
        assert_equal(
            y,
            np.stack([r[k * steps + 1 : (k + 1) * steps + 1] for r in rows]),
            f"{what}: y of batch {k}",
        )
