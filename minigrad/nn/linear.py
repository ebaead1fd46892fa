"""``Linear``: the affine map y = x @ W + b."""

from __future__ import annotations

import math
from typing import Any

from minigrad.nn import init
from minigrad.nn._factory import check_size, empty_parameter
from minigrad.nn.module import Module
from minigrad.ops import add, matmul
from minigrad.tensor import Tensor


class Linear(Module):
    """y = x @ W + b, applied to the last axis of ``x``.

    Shapes: ``x`` is ``[..., in_features]`` (``[B, F]``, or batch-first
    ``[B, T, F]`` for a sequence), ``y`` is ``[..., out_features]``.

    Parameters:
        W: ``(in_features, out_features)``. This is the seminar's notation,
            where a row vector of inputs multiplies the matrix from the left.
            PyTorch's ``nn.Linear`` stores the transpose, ``(out, in)``, and
            computes ``x @ weight.T``: transpose when porting weights.
        b: ``(out_features,)``, or ``None`` when ``bias=False``.

    Both start from U(-1/sqrt(in_features), 1/sqrt(in_features)), drawn from
    ``rng`` or, by default, minigrad's generator (``minigrad.manual_seed``).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = None,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = check_size(in_features, "in_features", "Linear")
        self.out_features = check_size(out_features, "out_features", "Linear")
        bound = 1.0 / math.sqrt(self.in_features)
        self.W = empty_parameter((self.in_features, self.out_features), dtype, device, "Linear")
        init.uniform_(self.W, -bound, bound, rng=rng)
        self.b = None
        if bias:
            self.b = empty_parameter((self.out_features,), dtype, device, "Linear")
            init.uniform_(self.b, -bound, bound, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        """``x @ W + b`` for ``x`` of shape ``[..., in_features]``."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        y = matmul(x, self.W)
        return y if self.b is None else add(y, self.b)

    def extra_repr(self) -> str:
        """``in_features, out_features, bias``."""
        return f"{self.in_features}, {self.out_features}, bias={self.b is not None}"
