"""Matrix products."""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.tensor import Tensor


def _t(x):
    """Swap the last two axes, as a view.

    BLAS reads a transposed view directly (as a "transposed" flag), so no copy
    is needed. Measured with NumPy 2.4's OpenBLAS on 2 cores, a contiguous copy
    made on every call costs more than it saves at every size the lessons use
    (benchmarks/README.md); the fused cells, which reuse one transpose for a
    whole sequence, do keep a contiguous copy.
    """
    return x.swapaxes(-1, -2)


class MatMul(Function):
    """Z = A @ B (2-D, or batched over leading axes);  dL/dA = G @ B^T, dL/dB = A^T @ G.

    Leading (batch) axes broadcast like NumPy's ``matmul``; the engine sums the
    gradient of a broadcast operand back to its shape. 1-D operands are not
    supported: reshape a vector to (1, n) or (n, 1) so every shape is explicit.
    """

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} do not fit: need (..., n, k) @ (..., k, m)"
                " with matching k and at least 2 dimensions each"
            )
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        ga = grad @ _t(b) if need_a else None
        gb = _t(a) @ grad if need_b else None
        return ga, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product a @ b (2-D or batched). dL/da = G b^T, dL/db = a^T G."""
    return MatMul.apply(a, b)
