"""Is a difference between two cells real or noise? Welch's t-test, written out.

Train the same cell twice with different seeds and you get two different
losses: the seed decides the initial weights and the order of the data. So a
cell that beats the LSTM by 0.01 in one run may lose by 0.01 in the next. The
question is whether the difference between the two *means* is large compared
with how much the runs of each cell scatter.

Welch's t-test answers it without assuming both cells scatter equally::

    t  = (mean_a - mean_b) / sqrt(s_a^2 / n_a + s_b^2 / n_b)
    df = (s_a^2/n_a + s_b^2/n_b)^2 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1))

(s the standard deviation over seeds, n the number of seeds). If the cells
were equally good, |t| would rarely be large; the p-value is the probability
of a |t| at least this large by luck alone, read from Student's t distribution
with df degrees of freedom. The 95% interval ``diff +- t_0.975 * se`` is the
range of true differences the runs are compatible with: when it contains 0,
the difference is **within the noise**. With 2 or 3 seeds the interval is
wide: only large differences can be told apart, which is the honest answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: The significance level the verdicts use.
ALPHA = 0.05


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1 in the denominator; 0 for one value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom."""
    if math.isinf(t):
        return 0.0
    return incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p (for p > 0.5), by bisection on the two-sided p-value."""
    target = 2.0 * (1.0 - p)
    low, high = 0.0, 1.0
    while t_two_sided_p(high, df) > target:
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_two_sided_p(middle, df) > target:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


@dataclass(frozen=True)
class Comparison:
    """Cell a against baseline b: difference of means, its 95% interval, p-value, verdict."""

    diff: float
    low: float
    high: float
    p: float
    df: float
    verdict: str  # "better", "worse", "within noise" or "too few seeds"


def welch(a: Sequence[float], b: Sequence[float], lower_is_better: bool = True) -> Comparison:
    """Welch's t-test of mean(a) - mean(b) (see the module docstring for the formulas)."""
    mean_a, sd_a = mean_std(a)
    mean_b, sd_b = mean_std(b)
    diff = mean_a - mean_b
    if len(a) < 2 or len(b) < 2:
        return Comparison(diff, math.nan, math.nan, math.nan, math.nan, "too few seeds")
    va, vb = sd_a**2 / len(a), sd_b**2 / len(b)
    se = math.sqrt(va + vb)
    if se == 0.0:
        p = 1.0 if diff == 0 else 0.0
        return Comparison(diff, diff, diff, p, math.inf, _verdict(diff, p, lower_is_better))
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    p = t_two_sided_p(diff / se, df)
    half = t_quantile(1.0 - ALPHA / 2.0, df) * se
    return Comparison(diff, diff - half, diff + half, p, df, _verdict(diff, p, lower_is_better))


def _verdict(diff: float, p: float, lower_is_better: bool) -> str:
    if p >= ALPHA:
        return "within noise"
    return "better" if (diff < 0) == lower_is_better else "worse"
