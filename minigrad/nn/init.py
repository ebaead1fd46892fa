"""Initialisers: functions that fill a parameter's values in place.

Every function writes into ``param.data`` (keeping its shape, dtype and device)
and returns ``param``, so ``init.zeros_(layer.b)`` reads as a statement. The
trailing underscore is the convention for "modifies its argument".

Random initialisers take an optional ``rng`` (a NumPy or CuPy ``Generator``);
without one they draw from ``minigrad.backend.default_rng(param.device)``, the
generator that ``minigrad.manual_seed`` seeds, so one seed rebuilds a model
exactly. Values are drawn in float64 and then rounded to the parameter's dtype:
the same seed gives a float32 model and a float64 model that agree to float32
precision, which is what a float64 gradient check of a float32 model needs.

Layout note: minigrad stores a weight matrix as ``W`` of shape ``(in, out)``
and computes ``x @ W`` (the seminar's notation). PyTorch stores ``(out, in)``.
For the symmetric formulas here (uniform, normal, Glorot) the layout does not
matter; for ``orthogonal_blocks_`` it decides which axis holds the blocks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad import backend
from minigrad.errors import OptionError, ShapeError
from minigrad.tensor import Tensor


def _generator(param: Tensor, rng: Any) -> Any:
    return rng if rng is not None else backend.default_rng(param.device)


def _assign(param: Tensor, values: Any) -> Tensor:
    """Write ``values`` into ``param.data`` on its device, in its dtype, without reallocating."""
    values = backend.to_device(values, param.device)
    param.data[...] = values.astype(param.dtype, copy=False)
    return param


def _standard_normal(gen: Any, shape: tuple[int, ...]) -> Any:
    return gen.standard_normal(shape, dtype=np.float64)


def uniform_(param: Tensor, low: float = 0.0, high: float = 1.0, rng: Any = None) -> Tensor:
    """Fill ``param`` with samples from U(low, high)."""
    if not high >= low:
        raise OptionError(f"uniform_: need low <= high, got low={low}, high={high}")
    u = _generator(param, rng).random(param.shape, dtype=np.float64)
    return _assign(param, low + (high - low) * u)


def normal_(param: Tensor, mean: float = 0.0, std: float = 1.0, rng: Any = None) -> Tensor:
    """Fill ``param`` with samples from N(mean, std^2)."""
    if std < 0:
        raise OptionError(f"normal_: std must be >= 0, got {std}")
    z = _standard_normal(_generator(param, rng), param.shape)
    return _assign(param, mean + std * z)


def constant_(param: Tensor, value: float) -> Tensor:
    """Fill ``param`` with ``value`` (e.g. a forget-gate bias of 1.0)."""
    param.data[...] = value
    return param


def zeros_(param: Tensor) -> Tensor:
    """Fill ``param`` with 0."""
    return constant_(param, 0.0)


def ones_(param: Tensor) -> Tensor:
    """Fill ``param`` with 1."""
    return constant_(param, 1.0)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight in minigrad's ``(in, out)`` layout.

    The last axis is ``fan_out``; all other axes multiplied are ``fan_in``.
    """
    if len(shape) < 2:
        raise ShapeError(f"fans: need a weight with at least 2 dimensions, got shape {shape}")
    return math.prod(shape[:-1]), shape[-1]


def glorot_uniform_(param: Tensor, gain: float = 1.0, rng: Any = None) -> Tensor:
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Keeps the variance of activations and of gradients roughly equal across
    layers. Also available as ``xavier_uniform_``.
    """
    fan_in, fan_out = fans(param.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(param, -bound, bound, rng=rng)


xavier_uniform_ = glorot_uniform_


def _orthogonal(gen: Any, rows: int, cols: int) -> Any:
    """A (rows, cols) matrix with orthonormal columns (rows >= cols) or rows (rows < cols).

    QR of a Gaussian matrix gives Q with orthonormal columns, but Q alone is
    not uniformly distributed: multiplying each column by the sign of R's
    diagonal removes the bias that the QR algorithm's sign choice introduces
    (Mezzadri 2007).
    """
    tall = (max(rows, cols), min(rows, cols))
    a = _standard_normal(gen, tall)
    xp = backend.get_array_module(a)
    q, r = xp.linalg.qr(a)
    signs = xp.sign(xp.diagonal(r))
    signs[signs == 0] = 1.0
    q = q * signs
    return q if rows >= cols else q.T


def orthogonal_(param: Tensor, gain: float = 1.0, rng: Any = None) -> Tensor:
    """Fill a weight with a (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014).

    For a square ``(n, n)`` matrix W, ``W.T @ W = gain^2 I``. For a non-square
    ``(in, out)`` matrix the shorter side is orthonormal: the columns when
    ``in >= out``, the rows otherwise. Weights with more than two axes are
    treated as ``(prod(shape[:-1]), shape[-1])``.

    Orthogonal recurrent matrices neither shrink nor grow a state vector, which
    delays vanishing and exploding gradients in a vanilla RNN. For a matrix
    that stacks several gates side by side (an LSTM's ``[in, 4H]``), use
    ``orthogonal_blocks_`` so that each gate's block is orthogonal by itself.
    """
    fan_in, fan_out = fans(param.shape)
    q = _orthogonal(_generator(param, rng), fan_in, fan_out)
    return _assign(param, (gain * q).reshape(param.shape))


def orthogonal_blocks_(
    param: Tensor, num_blocks: int, gain: float = 1.0, rng: Any = None
) -> Tensor:
    """Orthogonal-initialise each of ``num_blocks`` equal blocks along the last (output) axis.

    A gated cell keeps its gates side by side in one ``(in, G * H)`` matrix
    (``x @ W`` gives all gate pre-activations at once). Orthogonalising the
    whole matrix would make the gates orthogonal *to each other*; what helps
    is each ``(in, H)`` block being orthogonal on its own. Blocks are drawn in
    order from the same generator, so a seed reproduces them.
    """
    _, fan_out = fans(param.shape)
    if num_blocks < 1 or fan_out % num_blocks:
        raise ShapeError(
            f"orthogonal_blocks_: the last axis ({fan_out}) of a weight of shape "
            f"{param.shape} does not split into {num_blocks} equal blocks"
        )
    width = fan_out // num_blocks
    gen = _generator(param, rng)
    rows = math.prod(param.shape[:-1])
    blocks = [gain * _orthogonal(gen, rows, width) for _ in range(num_blocks)]
    xp = backend.get_array_module(blocks[0])
    return _assign(param, xp.concatenate(blocks, axis=1).reshape(param.shape))


__all__ = [
    "constant_",
    "fans",
    "glorot_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "orthogonal_blocks_",
    "uniform_",
    "xavier_uniform_",
    "zeros_",
]
