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
    """Activate a whole row of gate blocks with one ``exp``, and differentiate it.

    sigmoid(x) = 1/(1 + exp(-x)) and tanh(x) = 2/(1 + exp(-2x)) - 1, so every
    gate is ``y = a/(1 + exp(k*x)) + s`` with, per column, (k, a, s) = (-1, 1, 0)
    for a sigmoid gate and (-2, 2, -1) for a tanh gate. One pass of each kind
    over the contiguous ``[B, G*H]`` block then replaces a handful of passes
    over strided gate slices (each of which costs NumPy more than a full
    contiguous pass), and NumPy's float32 ``exp`` costs half its ``tanh``
    (callgrind: 6.5 against 12.8 instructions per element). Where ``exp``
    overflows the gate is at its limit (0, or -1 for tanh), which the formula
    gives exactly. The derivative follows from the output alone, y(1 - y) for a
    sigmoid and 1 - y^2 for tanh: with c = 1/2 for a sigmoid column, 0 for tanh,
    and r = 1/2 or 1, it is r^2 - (y - c)^2.
    """

    def __init__(self, xp: Any, kinds: str, hidden: int, dtype: Any) -> None:
        """``kinds``: one letter per gate block, "s" (sigmoid) or "t" (tanh), e.g. "ssts"."""
        sig = xp.asarray([k == "s" for k in kinds])
        one = xp.ones(len(kinds), dtype=dtype)

        def columns(if_sigmoid: float, if_tanh: float) -> Any:
            return xp.repeat(xp.where(sig, if_sigmoid * one, if_tanh * one), hidden)

        self.k, self.a, self.s = columns(-1.0, -2.0), columns(1.0, 2.0), columns(0.0, -1.0)
        self.has_tanh = "t" in kinds
        self.centre, radius = columns(0.5, 0.0), columns(0.5, 1.0)
        self.radius_sq = radius * radius
        self._xp = xp

    def __call__(self, z: Any, xp: Any) -> Any:
        """Activate ``z`` ``[B, G*H]`` in place."""
        z *= self.k
        with xp.errstate(over="ignore"):  # exp(large) = inf gives the gate's limit exactly
            xp.exp(z, out=z)
        z += 1.0
        xp.divide(self.a, z, out=z)
        if self.has_tanh:
            z += self.s
        return z

    def derivative(self, y: Any) -> Any:
        """dy/dx for every gate, from the activated gates ``y`` ``[B, G*H]``."""
        d = y - self.centre
        d *= d
        self._xp.subtract(self.radius_sq, d, out=d)  # one pass for radius^2 - d^2
        return d


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
