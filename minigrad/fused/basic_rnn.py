"""A whole basic-RNN sequence as one op: s_t = act(x_t U + s_{t-1} W + b).

The reference is the composed cell ``BasicRNNCell`` (``plugins/basic_rnn.py``);
this op computes the same thing with a hand-written backward.

Backward for one step: dz = ds * act'(z) (tanh: 1 - s^2; relu: s > 0;
sigmoid: s(1 - s)), ds_{t-1} = dz W^T; dU, dW, db and dx come from all steps'
dz at once.

Each step's arithmetic is written twice: ``_forward_step`` / ``_backward_step``
in NumPy (the version to read), and the same lines as CUDA source in
``CUDA_SOURCES`` (one kernel per step on a GPU, see ``fused/cuda.py``).
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module, is_gpu_array
from minigrad.errors import CellError
from minigrad.fused import cuda
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
        gpu = is_gpu_array(x)
        step = _cuda_forward_step if gpu else _forward_step
        for t in range(steps):
            mask = masks[t] if t >= first_masked else None
            step(acts[t], ss[t] @ W, ss[t], mask, ss[t + 1], activation)
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
        step = _cuda_backward_step if is_gpu_array(x_tm) else _backward_step
        for t in range(acts.shape[0] - 1, -1, -1):
            mask = masks[t] if t >= ctx.first_masked else None
            ds_skip = step(acts[t], ds, d_out[t], mask, dz_all[t], ctx.activation)
            ds = dz_all[t] @ W_t
            if mask is not None:
                ds += ds_skip
        d_x, d_u, d_w, d_b = parameter_grads(xp, x_tm, ss[:-1], dz_all, U)
        return batch_major(xp, d_x), ds, d_u, d_w, d_b


def _forward_step(z, hw, s_prev, mask, s_out, activation):
    """One step on the CPU: activate ``z + hw`` in place into ``z``; write s_t."""
    z += hw
    _activate(z, get_array_module(z), activation)
    s_out[...] = z if mask is None else z * mask + s_prev * (1 - mask)


def _backward_step(s, ds, d_out, mask, dz, activation):
    """One step back on the CPU: fill ``dz``; return the gradient that skips the cell."""
    ds = ds + d_out
    skip = None
    if mask is not None:
        ds, skip = ds * mask, ds * (1 - mask)
    get_array_module(s).multiply(ds, _derivative(s, activation), out=dz)
    return skip


# The same two steps for the GPU, one kernel each. activation: 0 tanh, 1 relu, 2 sigmoid.
CUDA_SOURCES: dict[str, cuda.KernelSource] = {
    "rnn_forward": (
        f"T hw, T s_prev, int32 activation, {cuda.MASKED}",
        "raw T z, T s",
        r"""
        T v = z[i] + hw;
        v = activation == 0 ? tanh(v) : activation == 1 ? (v > T(0) ? v : T(0)) : sigm(v);
        z[i] = v;
        s = v * m + s_prev * (T(1) - m);
        """,
    ),
    "rnn_backward": (
        f"T s, T ds_in, T d_out, int32 activation, {cuda.MASKED}",
        "T dz, T ds_skip",
        r"""
        T ds = ds_in + d_out;
        ds_skip = ds * (T(1) - m);
        ds = ds * m;
        const T d = activation == 0 ? T(1) - s * s
                  : activation == 1 ? (s > T(0) ? T(1) : T(0)) : s * (T(1) - s);
        dz = ds * d;
        """,
    ),
}
CUDA_ACTIVATIONS = {"tanh": 0, "relu": 1, "sigmoid": 2}


def _cuda_forward_step(z, hw, s_prev, mask, s_out, activation):
    """The GPU version of ``_forward_step``: one kernel launch."""
    m, masked = cuda.mask_args(mask, s_prev)
    code, H = CUDA_ACTIVATIONS[activation], s_prev.shape[1]
    kernel = cuda.kernel("rnn_forward", CUDA_SOURCES["rnn_forward"])
    kernel(hw, s_prev, code, m, H, masked, z, s_out)


def _cuda_backward_step(s, ds, d_out, mask, dz, activation):
    """The GPU version of ``_backward_step``: one kernel launch."""
    m, masked = cuda.mask_args(mask, s)
    code, H = CUDA_ACTIVATIONS[activation], s.shape[1]
    skip = get_array_module(s).empty_like(s)
    kernel = cuda.kernel("rnn_backward", CUDA_SOURCES["rnn_backward"])
    kernel(s, ds, d_out, code, m, H, masked, dz, skip)
    return skip


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
        raise CellError(
            f"rnn_sequence: activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}"
        )
    outputs, s_T = RNNSequence.apply_multi(x, s0, U, W, b, lengths=lengths, activation=activation)
    return outputs, s_T
