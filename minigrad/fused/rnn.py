"""A whole basic-RNN sequence as one op: s_t = act(x_t U + s_{t-1} W + b).

Backward for one step: dz = ds * act'(z) (tanh: 1 - s^2; relu: s > 0;
sigmoid: s(1 - s)), ds_{t-1} = dz W^T; dU, dW, db and dx come from all steps'
dz at once.
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module
from minigrad.fused.common import (
    batch_major,
    first_masked_step,
    input_projection,
    parameter_grads,
    sigmoid_,
    step_masks,
    time_major,
)
from minigrad.tensor import Tensor

ACTIVATIONS = ("tanh", "relu", "sigmoid")


def _activate(z: Any, xp: Any, activation: str) -> None:
    if activation == "tanh":
        xp.tanh(z, out=z)
    elif activation == "relu":
        xp.maximum(z, 0, out=z)
    else:
        sigmoid_(z, xp)


def _derivative(s: Any, activation: str) -> Any:
    if activation == "tanh":
        return 1 - s * s
    if activation == "relu":
        return s > 0
    return s * (1 - s)


class RNNSequence(Function):
    """Outputs ``(S [B, T, H], s_T)`` of a basic RNN over a whole sequence."""

    @staticmethod
    def forward(ctx, x, s0, U, W, b, lengths, activation):
        xp = get_array_module(x)
        steps = x.shape[1]
        x_tm = time_major(xp, x)
        acts = input_projection(xp, x_tm, U, b)
        ss = xp.empty((steps + 1, *s0.shape), dtype=x.dtype)
        ss[0] = s0
        masks = step_masks(xp, lengths, steps, x.dtype)
        first_masked = first_masked_step(lengths, steps)
        for t in range(steps):
            z = acts[t]
            z += ss[t] @ W
            _activate(z, xp, activation)
            if t >= first_masked:
                m = masks[t]
                ss[t + 1] = z * m + ss[t] * (1 - m)
            else:
                ss[t + 1] = z
        ctx.save_for_backward(x_tm, U, W, acts, ss, masks)
        ctx.activation, ctx.first_masked = activation, first_masked
        outputs = ss[1:] if masks is None else ss[1:] * masks
        return batch_major(xp, outputs), ss[steps].copy()

    @staticmethod
    def backward(ctx, grads):
        x_tm, U, W, acts, ss, masks = ctx.saved
        xp = get_array_module(x_tm)
        d_out, ds = grads
        d_out = time_major(xp, d_out)
        if masks is not None:
            d_out = d_out * masks
        dz_all = xp.empty_like(acts)
        W_t = xp.ascontiguousarray(W.T)
        ds = ds.copy()
        for t in range(acts.shape[0] - 1, -1, -1):
            ds += d_out[t]
            if t >= ctx.first_masked:
                m = masks[t]
                ds_skip = ds * (1 - m)
                ds = ds * m
            xp.multiply(ds, _derivative(acts[t], ctx.activation), out=dz_all[t])
            ds = dz_all[t] @ W_t
            if t >= ctx.first_masked:
                ds += ds_skip
        d_x, d_u, d_w, d_b = parameter_grads(xp, x_tm, ss[:-1], dz_all, U)
        return batch_major(xp, d_x), ds, d_u, d_w, d_b


def rnn_sequence(
    x: Tensor,
    s0: Tensor,
    U: Tensor,
    W: Tensor,
    b: Tensor,
    lengths: Any = None,
    activation: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """Run a basic RNN over ``x`` ``[B, T, I]`` in one op -> ``(outputs [B, T, H], s_T)``."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"rnn_sequence: activation must be one of {ACTIVATIONS}")
    return RNNSequence.apply(x, s0, U, W, b, lengths=lengths, activation=activation)
