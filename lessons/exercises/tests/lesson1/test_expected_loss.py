"""Graded tests of lesson1.expected_loss, against conditional entropies computed here.

The best model's expected cross-entropy equals the conditional entropy of Y
given what the model sees: sum over what it sees of P(seen) * H(P(Y=1 | seen)).
That is a different formula from the one the exercise asks for, so the two
agree only if the student's code is right.
"""

import math

import numpy as np
import pytest

from minigrad.lessons.grader.checks import check, seeds, student

pytestmark = pytest.mark.exercise("lesson1.expected_loss")


def binary_entropy(p: float) -> float:
    return -sum(q * math.log(q) for q in (p, 1 - p) if q > 0)


def conditional_entropy(knows_first, knows_second, base, first, second) -> float:
    table = {(a, b): base + first * a + second * b for a in (0, 1) for b in (0, 1)}
    groups: dict = {}
    for (a, b), p in table.items():
        groups.setdefault((knows_first and a, knows_second and b), []).append(p)
    return sum(len(ps) / 4 * binary_entropy(float(np.mean(ps))) for ps in groups.values())


def answer(*args, **kwargs) -> float:
    value = student("expected_cross_entropy")(*args, **kwargs)
    check(
        isinstance(value, (float, int, np.floating)) and not isinstance(value, bool),
        f"expected_cross_entropy should return a number, got {type(value).__name__}",
    )
    return float(value)


@pytest.mark.parametrize(
    ("knows", "value"),
    [((False, False), 0.661563), ((True, False), 0.519167), ((True, True), 0.454454)],
)
def test_lesson1_reference_lines(knows, value) -> None:
    """lesson 1's three reference lines: 0.661563 (neither), 0.519167 (first), 0.454454 (both)"""
    got = answer(*knows)
    check(
        abs(got - value) < 5e-7,
        f"expected_cross_entropy(knows_first={knows[0]}, knows_second={knows[1]}) = {got:.6f}, "
        f"expected {value}",
    )


@pytest.mark.parametrize("seed", seeds())
def test_other_tasks(seed: int) -> None:
    """other echo strengths: every combination of known echoes"""
    rng = np.random.default_rng(seed)
    base = float(rng.uniform(0.35, 0.65))
    first, second = (float(v) for v in rng.uniform(-0.17, 0.17, 2))
    for knows in ((False, False), (True, False), (False, True), (True, True)):
        expected = conditional_entropy(*knows, base, first, second)
        got = answer(*knows, base=base, first=first, second=second)
        check(
            abs(got - expected) < 1e-9,
            f"expected_cross_entropy(knows_first={knows[0]}, knows_second={knows[1]}, "
            f"base={base:.4f}, first={first:.4f}, second={second:.4f}) = {got:.6f}, "
            f"expected {expected:.6f}",
        )


def test_certain_situations() -> None:
    """probabilities of exactly 0 and 1 (0 * log 0 counts as 0)"""
    for knows in ((True, True), (True, False), (False, False)):
        expected = conditional_entropy(*knows, 0.5, 0.5, -0.5)
        got = answer(*knows, base=0.5, first=0.5, second=-0.5)
        check(
            math.isfinite(got) and abs(got - expected) < 1e-9,
            f"with base=0.5, first=0.5, second=-0.5 (P(Y=1) is 0 or 1 in some situations) and "
            f"knows={knows}: got {got}, expected {expected:.6f}; remember 0 * log(0) = 0",
        )
