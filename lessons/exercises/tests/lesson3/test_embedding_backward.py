"""Graded tests of lesson3.embedding_backward: repeated ids must add up their gradients."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import (
    assert_close,
    assert_function_class,
    assert_tensor,
    check,
    seeds,
    student,
)

pytestmark = pytest.mark.exercise("lesson3.embedding_backward")


def case(seed: int):
    rng = np.random.default_rng(seed)
    V, D, B, T = (
        int(rng.integers(3, 7)),
        int(rng.integers(1, 5)),
        int(rng.integers(1, 4)),
        int(rng.integers(2, 6)),
    )
    ids = rng.integers(0, V, (B, T))
    ids[0, 1] = ids[0, 0]  # at least one id appears twice
    return (
        rng.standard_normal((V, D)),
        ids,
        rng.standard_normal((B, T, D)),
        f"table [{V}, {D}], ids {ids.tolist()}",
    )


def run(weight_array, ids, upstream):
    assert_function_class("Embedding")
    weight = mg.tensor(weight_array, requires_grad=True)
    out, (grad,) = student("embed").with_grads(weight, ids, upstream=[upstream])
    assert_tensor(out, "embed")
    return out, grad


@pytest.mark.parametrize("seed", seeds())
def test_forward_and_backward(seed: int) -> None:
    """embed picks the rows; each row's gradient is the sum over every position of its id"""
    weight, ids, upstream, what = case(seed)
    out, grad = run(weight, ids, upstream)
    assert_close(out, weight[ids], f"embed(weight, ids) with {what}")
    expected = np.zeros_like(weight)
    for position in np.ndindex(*ids.shape):
        expected[ids[position]] += upstream[position]
    check(grad is not None, "backward gave no gradient for the table")
    assert_close(grad, expected, f"the gradient of the table with {what}; repeated ids must add up")
