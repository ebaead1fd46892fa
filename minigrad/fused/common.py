"""Shared pieces of the fused recurrent ops: layouts, masks and activations.

The fused ops work *time-major* internally (``[T, B, F]``): step t of every
example is then one contiguous block, which is what the per-step matrix
product wants. Inputs and outputs stay batch-first in the public API.
"""

from __future__ import annotations

from typing import Any


def time_major(xp: Any, x: Any) -> Any:
    """``[B, T, F]`` -> contiguous ``[T, B, F]``."""
    return xp.ascontiguousarray(x.transpose(1, 0, 2))


def batch_major(xp: Any, x: Any) -> Any:
    """``[T, B, F]`` -> contiguous ``[B, T, F]``."""
    return xp.ascontiguousarray(x.transpose(1, 0, 2))


def step_masks(xp: Any, lengths: Any, steps: int, dtype: Any) -> Any:
    """``[T, B, 1]`` float mask: 1 where step t is inside example b's length."""
    if lengths is None:
        return None
    t = xp.arange(steps)[:, None, None]
    return (t < xp.asarray(lengths)[None, :, None]).astype(dtype)


def first_masked_step(lengths: Any, steps: int) -> int:
    """The first time step at which some example has already ended."""
    return steps if lengths is None else int(min(lengths))


def sigmoid_(z: Any, xp: Any) -> Any:
    """In-place logistic sigmoid through tanh (finite for any input): (1 + tanh(z/2)) / 2."""
    z *= 0.5
    xp.tanh(z, out=z)
    z += 1.0
    z *= 0.5
    return z


class GateActivations:
    """Activate a whole row of gate blocks with one ``tanh``, and differentiate it.

    sigmoid(x) = tanh(x/2)/2 + 1/2, so every gate is ``y = tanh(s*x)*s + o``
    with, per column, s = o = 1/2 for a sigmoid gate and s = 1, o = 0 for a
    tanh gate. One pass over the contiguous ``[B, G*H]`` block then replaces a
    handful of passes over strided gate slices (each of which costs NumPy more
    than a full contiguous pass). The derivative follows from the output
    alone: dy/dx = s^2 - (y - o)^2, i.e. y(1 - y) for a sigmoid, 1 - y^2 for tanh.
    """

    def __init__(self, xp: Any, kinds: str, hidden: int, dtype: Any) -> None:
        """``kinds``: one letter per gate block, "s" (sigmoid) or "t" (tanh), e.g. "ssts"."""
        per_block = xp.asarray([0.5 if k == "s" else 1.0 for k in kinds], dtype=dtype)
        self.scale = xp.repeat(per_block, hidden)
        self.shift = xp.repeat(xp.where(per_block == 0.5, per_block, 0 * per_block), hidden)
        self.scale_sq = self.scale * self.scale

    def __call__(self, z: Any, xp: Any) -> Any:
        """Activate ``z`` ``[B, G*H]`` in place."""
        z *= self.scale
        xp.tanh(z, out=z)
        z *= self.scale
        z += self.shift
        return z

    def derivative(self, y: Any) -> Any:
        """dy/dx for every gate, from the activated gates ``y`` ``[B, G*H]``."""
        d = y - self.shift
        d *= d
        return self.scale_sq - d


def input_projection(xp: Any, x_tm: Any, U: Any, b: Any) -> Any:
    """``x_t @ U + b`` for every step at once: one ``[T*B, I] @ [I, G]`` product."""
    steps, batch, width = x_tm.shape
    z = x_tm.reshape(steps * batch, width) @ U
    if b is not None:
        z += b
    return z.reshape(steps, batch, U.shape[1])


def parameter_grads(xp: Any, x_tm: Any, h_prev: Any, dz: Any, U: Any) -> tuple[Any, Any, Any, Any]:
    """Gradients of the inputs and the three weight kinds from all gate gradients at once.

    ``dz`` holds d(loss)/d(pre-activation) for every step ``[T, B, G]``; the
    per-step products of the forward pass become single large products here:
    dU = X^T dZ, dW = H_prev^T dZ, db = sum dZ, dX = dZ U^T.
    """
    steps, batch, g = dz.shape
    flat = dz.reshape(steps * batch, g)
    d_u = x_tm.reshape(steps * batch, -1).T @ flat
    d_w = h_prev.reshape(steps * batch, -1).T @ flat
    d_b = flat.sum(axis=0)
    d_x = (flat @ xp.ascontiguousarray(U.T)).reshape(steps, batch, -1)
    return d_x, d_u, d_w, d_b
