"""Every differentiable op's backward agrees with central finite differences (float64).

``CASES`` maps each name in ``minigrad.ops.__all__`` to small cases, including broadcasting
variants; ``test_every_differentiable_op_has_a_case`` fails when an op is added without one.
Inputs stay away from kinks (relu, abs, clip, max ties) where the derivative is undefined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops

#: Ops with no gradient to check: they return constants built from integer data.
NOT_DIFFERENTIABLE = {"one_hot"}


def _normal(
    shape: tuple[int, ...], seed: int, requires_grad: bool = True, scale: float = 1.0
) -> mg.Tensor:
    data = np.random.default_rng(seed).standard_normal(shape) * scale
    return mg.tensor(data, dtype=np.float64, requires_grad=requires_grad)


def _away_from_zero(
    shape: tuple[int, ...], seed: int, low: float = 0.2, requires_grad: bool = True
) -> mg.Tensor:
    """Values with |x| >= low and random signs, so |x| and relu are smooth there."""
    r = np.random.default_rng(seed)
    data = r.uniform(low, 2.0, shape) * r.choice([-1.0, 1.0], shape)
    return mg.tensor(data, dtype=np.float64, requires_grad=requires_grad)


def _positive(shape: tuple[int, ...], seed: int) -> mg.Tensor:
    data = np.random.default_rng(seed).uniform(0.5, 2.0, shape)
    return mg.tensor(data, dtype=np.float64, requires_grad=True)


def _distinct(shape: tuple[int, ...], seed: int) -> mg.Tensor:
    """A permutation of well-separated values: no ties, so max is differentiable."""
    n = int(np.prod(shape))
    data = np.random.default_rng(seed).permutation(n).reshape(shape) * 0.5 - n * 0.25
    return mg.tensor(data.astype(np.float64), requires_grad=True)


Case = tuple[str, Callable[..., mg.Tensor], Callable[[], tuple[Any, ...]]]

BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((), (3,)),
    ((2, 1, 4), (2, 3, 1)),
]


def _binary_cases(name: str, fn: Callable[..., mg.Tensor], make_b=_normal) -> list[Case]:
    cases: list[Case] = []
    for sa, sb in BROADCAST_PAIRS:
        cases.append((f"{name}{sa}{sb}", fn, lambda sa=sa, sb=sb: (_normal(sa, 1), make_b(sb, 2))))
        cases.append(
            (f"{name}{sb}{sa}-swapped", fn, lambda sa=sa, sb=sb: (make_b(sb, 3), _normal(sa, 4)))
        )
    cases.append(
        (
            f"{name}-one-constant",
            fn,
            lambda: (_normal((2, 3), 5), make_b((3,), 6, requires_grad=False)),
        )
    )
    return cases


def _nonzero(shape: tuple[int, ...], seed: int, requires_grad: bool = True) -> mg.Tensor:
    return _away_from_zero(shape, seed, low=0.5, requires_grad=requires_grad)


CASES: dict[str, list[Case]] = {
    "add": _binary_cases("add", mg.add)
    + [
        ("add-python-scalar", lambda x: x + 2.5, lambda: (_normal((2, 3), 7),)),
        ("radd-python-scalar", lambda x: 2.5 + x, lambda: (_normal((2, 3), 7),)),
        ("add-same-tensor", lambda x: x + x, lambda: (_normal((3,), 8),)),
    ],
    "sub": _binary_cases("sub", mg.sub)
    + [("rsub-python-scalar", lambda x: 1.5 - x, lambda: (_normal((2, 3), 9),))],
    "mul": _binary_cases("mul", mg.mul)
    + [
        ("rmul-python-scalar", lambda x: 3.0 * x, lambda: (_normal((4,), 10),)),
        ("mul-same-tensor", lambda x: x * x, lambda: (_normal((3, 2), 11),)),
    ],
    "div": _binary_cases("div", mg.div, make_b=_nonzero)
    + [("rdiv-python-scalar", lambda x: 2.0 / x, lambda: (_nonzero((2, 3), 12),))],
    "neg": [("neg", mg.neg, lambda: (_normal((2, 3), 13),))],
    "pow": [
        ("pow-2", lambda x: mg.pow(x, 2), lambda: (_normal((2, 3), 14),)),
        ("pow-3-operator", lambda x: x**3, lambda: (_normal((2, 3), 15),)),
        ("pow-half", lambda x: x**0.5, lambda: (_positive((2, 3), 16),)),
        ("pow-negative-fraction", lambda x: x**-1.5, lambda: (_positive((3,), 17),)),
        ("pow-0", lambda x: x**0, lambda: (_normal((3,), 18),)),
    ],
    "exp": [("exp", mg.exp, lambda: (_normal((2, 3), 19),))],
    "log": [("log", mg.log, lambda: (_positive((2, 3), 20),))],
    "sqrt": [("sqrt", mg.sqrt, lambda: (_positive((2, 3), 21),))],
    "abs": [("abs", mg.abs, lambda: (_away_from_zero((2, 3), 22),))],
    "clip": [
        ("clip-both", lambda x: mg.clip(x, -0.5, 0.7), lambda: (_away_from_zero((3, 4), 23),)),
        ("clip-low", lambda x: mg.clip(x, low=0.1), lambda: (_away_from_zero((3, 4), 24),)),
        ("clip-high", lambda x: x.clip(high=-0.1), lambda: (_away_from_zero((3, 4), 25),)),
    ],
    "astype": [
        # A float64 -> float32 -> float64 round trip rounds to ~1e-7 relative, so the
        # finite-difference step must be large (see gradcheck's docstring on float32).
        (
            "astype-float32-roundtrip",
            lambda x: (x.astype(np.float32) * 3.0).astype(np.float64),
            lambda: (_normal((2, 3), 26),),
        ),
        ("astype-same-dtype", lambda x: mg.astype(x, np.float64) * x, lambda: (_normal((3,), 27),)),
    ],
    "tanh": [("tanh", mg.tanh, lambda: (_normal((2, 3), 28),))],
    "sigmoid": [("sigmoid", mg.sigmoid, lambda: (_normal((2, 3), 29, scale=3.0),))],
    "relu": [("relu", mg.relu, lambda: (_away_from_zero((3, 4), 30),))],
    "softmax": [
        ("softmax-last", mg.softmax, lambda: (_normal((3, 4), 31),)),
        ("softmax-axis0", lambda x: mg.softmax(x, axis=0), lambda: (_normal((3, 4), 32),)),
        ("softmax-3d", lambda x: x.softmax(axis=1), lambda: (_normal((2, 3, 4), 33),)),
    ],
    "log_softmax": [
        ("log_softmax-last", mg.log_softmax, lambda: (_normal((3, 4), 34),)),
        ("log_softmax-axis0", lambda x: mg.log_softmax(x, 0), lambda: (_normal((3, 4), 35),)),
    ],
    "sum": [
        ("sum-all", mg.sum, lambda: (_normal((2, 3, 4), 36),)),
        ("sum-axis1", lambda x: mg.sum(x, axis=1), lambda: (_normal((2, 3, 4), 37),)),
        ("sum-neg-keep", lambda x: x.sum(axis=-1, keepdims=True), lambda: (_normal((2, 3), 38),)),
        ("sum-tuple", lambda x: x.sum(axis=(0, 2)), lambda: (_normal((2, 3, 4), 39),)),
        ("sum-0d", mg.sum, lambda: (_normal((), 40),)),
    ],
    "mean": [
        ("mean-all", mg.mean, lambda: (_normal((2, 3, 4), 41),)),
        ("mean-axis0", lambda x: x.mean(axis=0), lambda: (_normal((2, 3, 4), 42),)),
        (
            "mean-keep",
            lambda x: x.mean(axis=(1, 2), keepdims=True),
            lambda: (_normal((2, 3, 4), 43),),
        ),
    ],
    "max": [
        ("max-all", mg.max, lambda: (_distinct((3, 4), 44),)),
        ("max-axis1", lambda x: x.max(axis=1), lambda: (_distinct((3, 4), 45),)),
        ("max-keep", lambda x: x.max(axis=0, keepdims=True), lambda: (_distinct((3, 4), 46),)),
        ("max-tuple", lambda x: x.max(axis=(0, 2)), lambda: (_distinct((2, 3, 4), 47),)),
    ],
    "matmul": [
        ("matmul-2d", mg.matmul, lambda: (_normal((3, 4), 48), _normal((4, 2), 49))),
        ("matmul-op", lambda a, b: a @ b, lambda: (_normal((1, 4), 50), _normal((4, 1), 51))),
        ("matmul-batched", mg.matmul, lambda: (_normal((2, 3, 4), 52), _normal((2, 4, 2), 53))),
        ("matmul-bcast-a", mg.matmul, lambda: (_normal((3, 4), 54), _normal((2, 4, 2), 55))),
        ("matmul-bcast-b", mg.matmul, lambda: (_normal((2, 3, 4), 56), _normal((4, 2), 57))),
        ("matmul-bcast-1", mg.matmul, lambda: (_normal((1, 3, 4), 58), _normal((2, 1, 4, 2), 59))),
        (
            "matmul-one-constant",
            mg.matmul,
            lambda: (_normal((3, 4), 60), _normal((4, 2), 61, requires_grad=False)),
        ),
    ],
    "reshape": [
        ("reshape", lambda x: x.reshape(4, 3), lambda: (_normal((2, 6), 63),)),
        ("reshape-minus1", lambda x: mg.reshape(x, (-1,)), lambda: (_normal((2, 3), 64),)),
    ],
    "transpose": [
        ("transpose-T", lambda x: x.T, lambda: (_normal((2, 3), 65),)),
        ("transpose-axes", lambda x: mg.transpose(x, 1, 2, 0), lambda: (_normal((2, 3, 4), 66),)),
        (
            "transpose-negative",
            lambda x: x.transpose((0, -1, -2)),
            lambda: (_normal((2, 3, 4), 67),),
        ),
    ],
    "swapaxes": [("swapaxes", lambda x: mg.swapaxes(x, 0, -1), lambda: (_normal((2, 3, 4), 68),))],
    "getitem": [
        ("getitem-int", lambda x: x[1], lambda: (_normal((3, 4), 69),)),
        ("getitem-slice", lambda x: x[1:, ::2], lambda: (_normal((3, 4), 70),)),
        ("getitem-negative-step", lambda x: x[::-1, 1:3], lambda: (_normal((3, 4), 71),)),
        ("getitem-ellipsis-none", lambda x: x[None, ..., -1], lambda: (_normal((2, 3, 4), 72),)),
        (
            "getitem-bool-mask",
            lambda x: x[np.array([[True, False, True, True], [False, True, False, True]])],
            lambda: (_normal((2, 4), 73),),
        ),
        (
            "getitem-repeated-ints",
            lambda x: x[np.array([0, 2, 0, 0])],
            lambda: (_normal((3, 2), 74),),
        ),
        ("getitem-repeated-list", lambda x: x[[1, 1, 0]], lambda: (_normal((3, 2), 75),)),
        (
            "getitem-slice-and-array",
            lambda x: x[:, np.array([2, 2, 0])],
            lambda: (_normal((2, 3), 76),),
        ),
        (
            "getitem-two-arrays",
            lambda x: x[np.array([0, 0, 1]), np.array([1, 1, 2])],
            lambda: (_normal((2, 3), 77),),
        ),
        ("getitem-fn", lambda x: mg.getitem(x, (0, slice(None))), lambda: (_normal((2, 3), 78),)),
    ],
    "concat": [
        (
            "concat-axis0",
            lambda a, b: mg.concat([a, b]),
            lambda: (_normal((2, 3), 79), _normal((1, 3), 80)),
        ),
        (
            "concat-axis-last-three",
            lambda a, b, c: mg.concat([a, b, c], axis=-1),
            lambda: (_normal((2, 1), 81), _normal((2, 3), 82), _normal((2, 2), 83)),
        ),
        (
            "concat-same-tensor",
            lambda a: mg.concat([a, a * 2], axis=0),
            lambda: (_normal((2, 2), 84),),
        ),
    ],
    "stack": [
        (
            "stack-axis0",
            lambda a, b: mg.stack([a, b]),
            lambda: (_normal((2, 3), 85), _normal((2, 3), 86)),
        ),
        (
            "stack-axis-last",
            lambda a, b, c: mg.stack([a, b, c], axis=-1),
            lambda: (_normal((2,), 87), _normal((2,), 88), _normal((2,), 89)),
        ),
    ],
    "split": [
        ("split-equal", lambda x: _combine(mg.split(x, 2, axis=1)), lambda: (_normal((3, 4), 90),)),
        (
            "split-bounds",
            lambda x: _combine(mg.split(x, [1, 3], axis=0)),
            lambda: (_normal((4, 2), 91),),
        ),
        # Pieces that never reach the output must get zero gradient, not be skipped.
        (
            "split-unused-piece",
            lambda x: mg.split(x, 3, axis=-1)[1],
            lambda: (_normal((2, 6), 104),),
        ),
    ],
    "unstack": [
        (
            "unstack-axis1",
            lambda x: _combine(mg.unstack(x, axis=1)),
            lambda: (_normal((2, 3, 2), 105),),
        ),
        (
            "unstack-last",
            lambda x: _combine(mg.unstack(x, axis=-1)),
            lambda: (_normal((3, 2), 106),),
        ),
        ("unstack-one-used", lambda x: mg.unstack(x)[2] * 2.0, lambda: (_normal((4, 2), 107),)),
    ],
    "to_device": [
        ("to_device-cpu", lambda x: mg.to_device(x, "cpu") * x, lambda: (_normal((3,), 92),))
    ],
    "where": [
        (
            "where",
            lambda a, b: mg.where(np.array([[True, False, True]]), a, b),
            lambda: (_normal((2, 3), 93), _normal((2, 3), 94)),
        ),
        (
            "where-broadcast",
            lambda a, b: mg.where(np.array([True, False, False, True])[:, None], a, b),
            lambda: (_normal((1, 3), 95), _normal((4, 1), 96)),
        ),
        (
            "where-scalar-b",
            lambda a: mg.where(a.data > 0, a, 0.0),
            lambda: (_away_from_zero((3, 3), 97),),
        ),
    ],
    "embedding": [
        (
            "embedding-duplicates",
            lambda w: mg.embedding(w, np.array([[0, 2, 2], [4, 0, 2]])),
            lambda: (_normal((5, 3), 98),),
        ),
        (
            "embedding-1d",
            lambda w: mg.embedding(w, np.array([1, 1, 1])),
            lambda: (_normal((3, 2), 99),),
        ),
    ],
    "cross_entropy": [
        (
            f"cross_entropy-{reduction}",
            lambda x, reduction=reduction: mg.cross_entropy(x, np.array([0, 3, 1]), reduction),
            lambda: (_normal((3, 4), 100),),
        )
        for reduction in ("mean", "sum", "none")
    ]
    + [
        (
            f"cross_entropy-ignore-{reduction}",
            lambda x, reduction=reduction: mg.cross_entropy(
                x, np.array([[0, -100, 2], [-100, 1, 1]]), reduction, ignore_index=-100
            ),
            lambda: (_normal((2, 3, 4), 101),),
        )
        for reduction in ("mean", "sum", "none")
    ],
    "mse_loss": [
        (
            f"mse_loss-{reduction}",
            lambda x, t, reduction=reduction: mg.mse_loss(x, t, reduction),
            lambda: (_normal((3, 4), 104), _normal((3, 4), 105)),
        )
        for reduction in ("mean", "sum", "none")
    ]
    + [
        (
            "mse_loss-array-target",
            lambda x: mg.mse_loss(x * x, np.arange(6.0).reshape(2, 3)),
            lambda: (_normal((2, 3), 106),),
        )
    ],
    "mean_squared_error": [
        (
            "mean_squared_error",
            lambda x, t: mg.mean_squared_error(x.tanh(), t),
            lambda: (_normal((5,), 107), _normal((5,), 108)),
        )
    ],
    "dropout": [
        # A fresh generator per call makes the mask the same in every evaluation.
        (
            "dropout",
            lambda x: mg.dropout(x, 0.4, rng=np.random.default_rng(7)),
            lambda: (_normal((4, 5), 102),),
        ),
        (
            "dropout-eval",
            lambda x: mg.dropout(x, 0.4, training=False) * x,
            lambda: (_normal((3,), 103),),
        ),
    ],
}

#: Cases whose op is computed at reduced precision and needs a larger step (float32 rounding).
COARSE = {"astype-float32-roundtrip": {"eps": 1e-3, "atol": 1e-4, "rtol": 1e-3}}


def _combine(parts: list[mg.Tensor]) -> mg.Tensor:
    """Mix the pieces non-linearly so each one's gradient differs."""
    out = parts[0] * parts[0]
    for k, p in enumerate(parts[1:], start=2):
        out = out + p * k
    return out


ALL_CASES = [case for cases in CASES.values() for case in cases]


def test_every_differentiable_op_has_a_case() -> None:
    missing = set(ops.__all__) - NOT_DIFFERENTIABLE - set(CASES)
    stale = set(CASES) - set(ops.__all__)
    assert not missing, f"add gradcheck cases for new ops: {sorted(missing)}"
    assert not stale, f"cases for ops that no longer exist: {sorted(stale)}"


def test_case_names_are_unique() -> None:
    names = [name for name, _, _ in ALL_CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name, fn, make_inputs", ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_gradcheck(name: str, fn: Callable[..., mg.Tensor], make_inputs: Callable) -> None:
    inputs = make_inputs()
    assert mg.gradcheck(fn, *inputs, **COARSE.get(name, {}))


#: Cases that cast to float64 on purpose, so a float32 run cannot stay float32.
CASTS_TO_FLOAT64 = {"astype-float32-roundtrip", "astype-same-dtype"}
FLOAT32_CASES = [c for c in ALL_CASES if c[0] not in CASTS_TO_FLOAT64]


@pytest.mark.parametrize("name, fn, make_inputs", FLOAT32_CASES, ids=[c[0] for c in FLOAT32_CASES])
def test_backward_keeps_float32(
    name: str, fn: Callable[..., mg.Tensor], make_inputs: Callable
) -> None:
    """The same cases in float32: every leaf gradient comes back float32, never float64."""
    inputs = [
        t.astype(np.float32).detach().requires_grad_() if isinstance(t, mg.Tensor) else t
        for t in make_inputs()
    ]
    out = fn(*inputs)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in inputs:
        if isinstance(t, mg.Tensor) and t.requires_grad:
            assert t.grad.dtype == np.float32, f"{name}: gradient dtype {t.grad.dtype}"
            assert t.grad.shape == t.shape
