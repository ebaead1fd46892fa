"""Graded tests of lesson3.sampling: the probabilities, and draws that follow them."""

import numpy as np
import pytest

from minigrad.lessons.grader.checks import assert_close, check, probe, seeds, student

pytestmark = pytest.mark.exercise("lesson3.sampling")


def expected_probs(logits, temperature, top_k):
    z = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return np.eye(z.size)[np.argmax(z)]
    keep = np.ones(z.size, bool) if top_k == 0 else z >= np.sort(z)[::-1][min(top_k, z.size) - 1]
    w = np.where(keep, np.exp((z - z.max()) / temperature), 0.0)
    return w / w.sum()


@pytest.mark.parametrize("seed", seeds())
def test_probabilities(seed: int) -> None:
    """softmax(logits / temperature), restricted to the top k and renormalised"""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(int(rng.integers(4, 12))) * 2
    for temperature in (1.0, 0.5, 2.0, 0.0):
        for top_k in (0, 1, 3, logits.size):
            p = student("next_char_probs")(logits, temperature, top_k)
            what = (
                f"next_char_probs({logits.size} logits, temperature={temperature}, top_k={top_k})"
            )
            assert_close(
                np.asarray(p, dtype=np.float64), expected_probs(logits, temperature, top_k), what
            )


@probe
def draws(logits, seeds: list, temperature: float, top_k: int) -> list:
    """In the student's process: sample(logits, default_rng(s), temperature, top_k) for each s."""
    sample = student("sample")
    return [sample(logits, np.random.default_rng(s), temperature, top_k) for s in seeds]


@pytest.mark.parametrize("seed", seeds(2))
def test_draws_follow_the_probabilities(seed: int) -> None:
    """sample draws with the rng it is given, in proportion to the probabilities"""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(6)
    first = [seed * 10_000 + i for i in range(3000)]
    got = draws(logits, first, 1.5, 3)
    check(
        all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in got),
        f"sample should return an int id, got {type(got[0]).__name__ if got else 'nothing'}",
    )
    values = np.array(got, dtype=np.int64)
    p = expected_probs(logits, 1.5, 3)
    outside = sorted(set(values.tolist()) - set(np.flatnonzero(p).tolist()))
    check(not outside, f"sample(top_k=3) drew ids {outside}, which are not among the 3 most likely")
    freq = np.bincount(values, minlength=logits.size) / values.size
    worst = float(np.abs(freq - p).max())
    check(
        worst < 0.04,
        f"sample's frequencies {np.round(freq, 3).tolist()} differ from "
        f"the probabilities {np.round(p, 3).tolist()}",
    )
    again = draws(logits, first[:20], 1.5, 3)
    check(
        list(again) == list(got[:20]),
        "sample should draw from the rng it is given (same seed, same draw)",
    )
    greedy = draws(logits, list(range(5)), 0.0, 0)
    check(
        all(d == int(np.argmax(logits)) for d in greedy),
        "with temperature 0, sample should always return the most likely id",
    )
