"""Property tests: random shapes (with broadcasting), random axes, batched matmul.

Gradients are compared with closed forms written independently of the engine: an operand
broadcast into the output collects, for each of its elements, the sum over every output
element that read it (``_sum_into``, built from index bookkeeping rather than axis sums).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

SETTINGS = settings(max_examples=40, deadline=None)


def _sum_into(full: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``full`` into ``shape``: each element gets the entries broadcast from it."""
    size = int(np.prod(shape))
    source = np.broadcast_to(np.arange(size).reshape(shape), full.shape)
    return np.bincount(source.ravel(), weights=full.ravel(), minlength=size).reshape(shape)


def _array(draw, shape, low=-2.0, high=2.0):
    values = draw(
        hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_subnormal=False))
    )
    return np.asarray(values, dtype=np.float64)


def _leaf(values):
    return mg.tensor(values, dtype=np.float64, requires_grad=True)


BINARY = {
    # name: (op, d out / d a, d out / d b)
    "add": (lambda a, b: a + b, lambda a, b: np.ones_like(a * b), lambda a, b: np.ones_like(a * b)),
    "sub": (
        lambda a, b: a - b,
        lambda a, b: np.ones_like(a * b),
        lambda a, b: -np.ones_like(a * b),
    ),
    "mul": (lambda a, b: a * b, lambda a, b: b + 0 * a, lambda a, b: a + 0 * b),
    "div": (lambda a, b: a / b, lambda a, b: 1 / b + 0 * a, lambda a, b: -a / b**2),
}


@SETTINGS
@given(
    data=st.data(),
    name=st.sampled_from(sorted(BINARY)),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
)
def test_elementwise_binary_broadcasting(data, name, shapes) -> None:
    shape_a, shape_b = shapes.input_shapes
    a_np = _array(data.draw, shape_a)
    b_np = _array(data.draw, shape_b, low=0.5, high=2.0)  # away from 0 for div
    op, da, db = BINARY[name]
    a, b = _leaf(a_np), _leaf(b_np)
    out = op(a, b)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.numpy(), op(a_np, b_np), rtol=1e-15)

    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(upstream)
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    np.testing.assert_allclose(a.grad, _sum_into(upstream * da(a_np, b_np), shape_a), rtol=1e-12)
    np.testing.assert_allclose(b.grad, _sum_into(upstream * db(a_np, b_np), shape_b), rtol=1e-12)


@st.composite
def _shape_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    negative = draw(st.booleans())
    if not axes:
        axis = None
    elif len(axes) == 1:
        axis = axes[0] - len(shape) if negative else axes[0]
    else:
        axis = tuple(axes)
    return shape, axis, draw(st.booleans())


@SETTINGS
@given(spec=_shape_and_axis(), name=st.sampled_from(["sum", "mean", "max"]))
def test_reductions_with_random_axes(spec, name) -> None:
    shape, axis, keepdims = spec
    n = int(np.prod(shape))
    # A permutation has no ties, so max has a unique, differentiable maximum.
    values = np.random.default_rng(n).permutation(n).reshape(shape) / n - 0.5
    x = _leaf(values)
    out = getattr(mg, name)(x, axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(values, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)

    upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(upstream)
    kept = upstream if keepdims else np.expand_dims(upstream, _axes(axis, len(shape)))
    spread = np.broadcast_to(kept, shape)
    if name == "sum":
        closed_form = spread
    elif name == "mean":
        closed_form = spread * expected.size / n
    else:
        winner = values == np.max(values, axis=axis, keepdims=True)
        closed_form = spread * winner
    np.testing.assert_allclose(x.grad, closed_form, rtol=1e-13)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


@st.composite
def _matmul_shapes(draw):
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    return (*batch.input_shapes[0], n, k), (*batch.input_shapes[1], k, m)


@SETTINGS
@given(shapes=_matmul_shapes())
def test_batched_matmul_values_and_gradients(shapes) -> None:
    shape_a, shape_b = shapes
    rng = np.random.default_rng(len(shape_a) * 10 + len(shape_b))
    a_np, b_np = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    a, b = _leaf(a_np), _leaf(b_np)
    out = a @ b
    np.testing.assert_allclose(out.numpy(), np.matmul(a_np, b_np), rtol=1e-12)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    # Per batch element: dA = G B^T, dB = A^T G, then summed over broadcast batch axes.
    full_a = np.einsum(
        "...nm,...km->...nk", upstream, np.broadcast_to(b_np, (*out.shape[:-2], *shape_b[-2:]))
    )
    full_b = np.einsum(
        "...nk,...nm->...km", np.broadcast_to(a_np, (*out.shape[:-2], *shape_a[-2:])), upstream
    )
    np.testing.assert_allclose(a.grad, _sum_into(full_a, shape_a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad, _sum_into(full_b, shape_b), rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    axis_seed=st.integers(0, 100),
)
def test_softmax_gradient_matches_finite_differences(shape, axis_seed) -> None:
    axis = axis_seed % len(shape)
    x = _leaf(np.random.default_rng(axis_seed).standard_normal(shape))
    assert mg.gradcheck(lambda t: mg.softmax(t, axis=axis), x)
    assert mg.gradcheck(lambda t: mg.log_softmax(t, axis=axis), x)


@settings(max_examples=25, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    seed=st.integers(0, 1000),
)
def test_reshape_transpose_getitem_chain_matches_finite_differences(shape, seed) -> None:
    rng = np.random.default_rng(seed)
    x = _leaf(rng.standard_normal(shape))
    perm = tuple(rng.permutation(len(shape)).tolist())
    picks = rng.integers(0, x.size, 5)  # repeats are likely: they must accumulate

    def fn(t):
        flat = t.transpose(perm).reshape(-1)
        return flat[picks] * flat[picks[::-1]]

    assert mg.gradcheck(fn, x)
