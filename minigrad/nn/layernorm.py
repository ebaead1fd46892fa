"""``LayerNorm``: normalise each feature vector to zero mean and unit variance."""

from __future__ import annotations

from typing import Any

from minigrad.errors import ShapeError
from minigrad.nn import init
from minigrad.nn._factory import check_size, empty_parameter
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class LayerNorm(Module):
    """y = gain * (x - mu) / sqrt(var + eps) + shift, over the last axis (Ba et al. 2016).

    mu and var are the mean and the (biased, divide-by-n) variance of the last
    axis of ``x``, computed per example and per time step, so it works the same
    for ``[B, F]`` and batch-first ``[B, T, F]`` inputs and at batch size 1.
    ``gain`` starts at 1 and ``shift`` at 0, so a fresh layer only normalises.

    Built from minigrad's differentiable ops (mean, sub, mul, sqrt, div), so
    its backward needs no code of its own: autograd derives it.
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int],
        eps: float = 1e-5,
        dtype: Any = None,
        device: str = "cpu",
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, (tuple, list)):
            if len(normalized_shape) != 1:
                raise ShapeError(
                    f"LayerNorm normalises the last axis only; got normalized_shape="
                    f"{tuple(normalized_shape)}: pass the size of the last axis"
                )
            (normalized_shape,) = normalized_shape
        self.normalized_shape = check_size(normalized_shape, "normalized_shape", "LayerNorm")
        self.eps = float(eps)
        size = (self.normalized_shape,)
        self.gain = init.ones_(empty_parameter(size, dtype, device, "LayerNorm"))
        self.shift = init.zeros_(empty_parameter(size, dtype, device, "LayerNorm"))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` of shape ``[..., normalized_shape]`` over its last axis."""
        if x.shape[-1:] != (self.normalized_shape,):
            raise ShapeError(
                f"LayerNorm({self.normalized_shape}): the last axis of the input must have "
                f"size {self.normalized_shape}, got input shape {tuple(x.shape)}"
            )
        mu = x.mean(axis=-1, keepdims=True)
        centred = x - mu
        var = (centred * centred).mean(axis=-1, keepdims=True)
        return centred / (var + self.eps).sqrt() * self.gain + self.shift

    def extra_repr(self) -> str:
        """``normalized_shape, eps``."""
        return f"{self.normalized_shape}, eps={self.eps}"
