"""Lesson 1's data: a binary sequence with two hidden echoes, and r2rt's batching.

X_t ~ Bernoulli(0.5). Y_t = 1 with probability 0.5, plus 0.5 if X_{t-3} = 1,
minus 0.25 if X_{t-8} = 1 (``echo_probability``). The same rule gives the data
and, by enumerating its four cases, the best cross-entropy a model can reach
(``expected_losses``), so the reference lines are computed, not typed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

#: How far back each echo reaches: Y_t depends on X_{t-3} and X_{t-8}.
FIRST_LAG, SECOND_LAG = 3, 8
#: r2rt's epoch: one fresh series of a million samples.
EPOCH_SAMPLES = 1_000_000


def echo_probability(x_first: np.ndarray | int, x_second: np.ndarray | int) -> np.ndarray | float:
    """P(Y_t = 1) given X_{t-3} (``x_first``) and X_{t-8} (``x_second``)."""
    return 0.5 + 0.5 * np.asarray(x_first) - 0.25 * np.asarray(x_second)


def gen_data(size: int = EPOCH_SAMPLES, rng: np.random.Generator | None = None):
    """A series of ``size`` inputs X and targets Y (int64 arrays of 0/1), as r2rt builds it.

    r2rt reads X[i-3] and X[i-8] with Python indexing, so the first few
    targets look at the *end* of the series; ``np.roll`` reproduces that.
    """
    rng = rng if rng is not None else np.random.default_rng()
    x = rng.choice(2, size=size, p=[0.5, 0.5]).astype(np.int64)
    threshold = echo_probability(np.roll(x, FIRST_LAG), np.roll(x, SECOND_LAG))
    y = (rng.random(size) <= threshold).astype(np.int64)  # 1 with probability `threshold`
    return x, y


def gen_batch(raw_data, batch_size: int, num_steps: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Windows ``(x, y)`` of shape ``[batch_size, num_steps]``, left to right.

    The series is cut into ``batch_size`` contiguous rows; window k holds
    columns ``k*num_steps .. (k+1)*num_steps - 1`` of every row, so row b of
    window k+1 continues row b of window k: the final state of one window is
    the right initial state of the next.
    """
    raw_x, raw_y = raw_data
    row_length = len(raw_x) // batch_size
    data_x = np.asarray(raw_x[: batch_size * row_length]).reshape(batch_size, row_length)
    data_y = np.asarray(raw_y[: batch_size * row_length]).reshape(batch_size, row_length)
    for k in range(row_length // num_steps):
        columns = slice(k * num_steps, (k + 1) * num_steps)
        yield data_x[:, columns], data_y[:, columns]


def gen_epochs(
    n: int,
    num_steps: int,
    batch_size: int,
    epoch_samples: int = EPOCH_SAMPLES,
    rng: np.random.Generator | None = None,
) -> Iterator[Iterator[tuple[np.ndarray, np.ndarray]]]:
    """``n`` epochs, each a fresh series of ``epoch_samples`` cut into windows."""
    rng = rng if rng is not None else np.random.default_rng()
    for _ in range(n):
        yield gen_batch(gen_data(epoch_samples, rng), batch_size, num_steps)


def windows_per_epoch(epoch_samples: int, batch_size: int, num_steps: int) -> int:
    """How many windows ``gen_batch`` yields for one epoch."""
    return (epoch_samples // batch_size) // num_steps


def entropy(p: float) -> float:
    """Binary entropy H(p) in nats (0 at p = 0 or 1)."""
    return -sum(q * math.log(q) for q in (p, 1.0 - p) if q > 0)


def expected_loss(known: tuple[int, ...]) -> float:
    """The best mean cross-entropy (nats) of a model that sees the echoes at lags ``known``.

    Enumerate the four equally likely cases of (X_{t-3}, X_{t-8}); a model
    that only knows some of them predicts the average probability within each
    group of cases it cannot tell apart; its expected cross-entropy is the
    average binary entropy of those predictions.
    """
    cases = [(a, b) for a in (0, 1) for b in (0, 1)]
    groups: dict[tuple[int, ...], list[float]] = {}
    for a, b in cases:
        key = tuple(value for lag, value in ((FIRST_LAG, a), (SECOND_LAG, b)) if lag in known)
        groups.setdefault(key, []).append(float(echo_probability(a, b)))
    return sum(len(ps) / len(cases) * entropy(sum(ps) / len(ps)) for ps in groups.values())


def expected_losses() -> dict[str, float]:
    """The three reference lines: a model that learns neither echo, the first, or both."""
    return {
        "neither": expected_loss(()),
        "first": expected_loss((FIRST_LAG,)),
        "both": expected_loss((FIRST_LAG, SECOND_LAG)),
    }


def learned_thresholds(expected: dict[str, float]) -> dict[str, float]:
    """Loss boundaries between the labels: midpoints between neighbouring reference lines.

    A run is labelled by the reference line its final loss is nearest to:
    below ``both_below`` it learned both echoes, below ``first_below`` the
    first one, otherwise neither.
    """
    return {
        "both_below": (expected["both"] + expected["first"]) / 2,
        "first_below": (expected["first"] + expected["neither"]) / 2,
    }


def classify(final_loss: float, expected: dict[str, float]) -> str:
    """ "both", "first" or "neither": the reference line nearest to ``final_loss``."""
    limits = learned_thresholds(expected)
    if final_loss < limits["both_below"]:
        return "both"
    if final_loss < limits["first_below"]:
        return "first"
    return "neither"
